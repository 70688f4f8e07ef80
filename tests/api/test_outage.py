#!/usr/bin/env python3
"""The database goes away and comes back (PostgreSQL).

While no connection to the database can be made, requests get 503 problem
documents and /readyz says not ready; nothing half-written remains, the
daemon does not crash, and once the database is back the same daemon
serves again with its pool re-established. On SQLite there is no server
to lose, so the file reports that and runs nothing.
"""
import os
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Daemon, check, eq, pg_sql  # noqa: E402


def cut(d):
    """Refuses new connections to the daemon's database and ends the ones
    it has."""
    pg_sql("ALTER DATABASE %s ALLOW_CONNECTIONS false" % d.pg_database)
    pg_sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
           " WHERE datname = '%s'" % d.pg_database)


def restore(d):
    pg_sql("ALTER DATABASE %s ALLOW_CONNECTIONS true" % d.pg_database)


def story(d):
    eq(d.request("POST", "/v1/services", {"name": "before", "owner": "t"})[0],
       201, "a write before the outage")
    _, _, audit = d.request("GET", "/v1/audit?limit=500")
    cut(d)
    try:
        status, h, doc = d.request("GET", "/v1/services/before")
        eq(status, 503, "read during the outage")
        eq(h["content-type"], "application/problem+json", "problem")
        eq(doc["status"], 503, "problem status")
        status, _, doc = d.request("POST", "/v1/services",
                                   {"name": "during", "owner": "t"})
        eq(status, 503, "write during the outage")
        status, _, doc = d.request("GET", "/readyz", auth=False)
        eq(status, 503, "not ready")
        eq(d.request("GET", "/healthz", auth=False)[0], 200, "still alive")
        check(d.proc.poll() is None, "the daemon is still running")
    finally:
        restore(d)
    deadline = time.time() + 20
    while time.time() < deadline:
        if d.request("GET", "/readyz", auth=False)[0] == 200:
            break
        time.sleep(0.1)
    eq(d.request("GET", "/readyz", auth=False)[0], 200, "ready again")
    eq(d.request("GET", "/v1/services/during")[0], 404, "nothing written")
    _, _, again = d.request("GET", "/v1/audit?limit=500")
    eq(again["items"], audit["items"], "audit log unchanged")
    eq(d.request("POST", "/v1/services", {"name": "after", "owner": "t"})[0],
       201, "a write after the outage")


def main():
    d = Daemon()
    if d.backend != "postgresql":
        print("backend: %s: no database server to lose; nothing to run"
              % d.backend)
        print("0 passed, 0 failed")
        return 0
    passed = failed = 0
    d.start()
    try:
        story(d)
        passed += 1
        print("ok   test_outage_answers_503_and_recovers", flush=True)
    except Exception:
        failed += 1
        print("FAIL test_outage_answers_503_and_recovers", flush=True)
        traceback.print_exc()
    finally:
        rc = d.stop()
        if rc != 0:
            failed += 1
            print("FAIL daemon exited with %r" % rc)
            print(d.read_log()[-3000:])
        d.drop_database()
    print("%d passed, %d failed" % (passed, failed), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
