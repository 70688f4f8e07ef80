#!/usr/bin/env python3
"""Three daemons on one database: every write lands once, idempotency and
If-Match hold across daemons, the audit log stays one gap-free sequence,
and exactly one daemon leads, with another taking over when it dies.

Runs on the backend the harness is given (PostgreSQL is the scale-out
target; on SQLite the daemons share one file the same way).
"""
import http.client
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ["SHIPLOG_LEADER_INTERVAL_MS"] = "100"
from harness import Daemon, check, eq  # noqa: E402

CLIENTS_PER_DAEMON = 8
WRITES_PER_CLIENT = 12


def post(d, path, body, key=None):
    h = {"Authorization": "Bearer " + d.token,
         "Content-Type": "application/json"}
    if key:
        h["Idempotency-Key"] = key
    c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=60)
    c.request("POST", path, json.dumps(body), h)
    r = c.getresponse()
    text = r.read()
    c.close()
    return r.status, text


def audit_all(d):
    items, after = [], 0
    while True:
        _, _, doc = d.request("GET", "/v1/audit?limit=500&after=%d" % after)
        items += doc["items"]
        if len(doc["items"]) < 500:
            return items
        after = items[-1]["seq"]


def leaders(ds):
    out = []
    for d in ds:
        try:
            status, _, doc = d.request("GET", "/readyz", auth=False)
            out.append(status == 200 and doc["leader"])
        except OSError:
            out.append(False)
    return out


def wait_for_one_leader(ds, seconds=20):
    deadline = time.time() + seconds
    while time.time() < deadline:
        got = leaders(ds)
        if got.count(True) == 1:
            # Hold steady for a few polls: never two at once.
            stable = all(leaders(ds).count(True) == 1 for _ in range(5))
            if stable:
                return got.index(True)
        time.sleep(0.1)
    raise AssertionError("no single leader: %r" % leaders(ds))


def test_concurrent_writes_land_once_in_one_gap_free_audit_log(ds):
    a = ds[0]
    eq(a.request("POST", "/v1/services", {"name": "cl", "owner": "t"})[0],
       201, "service")
    eq(a.request("POST", "/v1/environments", {"name": "prod", "rank": 1})[0],
       201, "environment")
    eq(ds[1].request("POST", "/v1/releases",
                     {"service": "cl", "version": "1.0.0",
                      "type": "major"})[0], 201, "release")
    status, _, dep = ds[2].request("POST", "/v1/deployments",
                                   {"release": "cl@1.0.0",
                                    "environment": "prod",
                                    "status": "in_progress"})
    eq(status, 201, "deployment")
    before = len(audit_all(a))
    acked, errors, lock = [], [], threading.Lock()

    def client(d, n):
        for j in range(WRITES_PER_CLIENT):
            msg = "c%d-%d" % (n, j)
            status, text = post(d, "/v1/deployments/%d/events" % dep["id"],
                                {"message": msg})
            with lock:
                (acked if status == 201 else errors).append(
                    msg if status == 201 else (status, text[:200]))
            svc = "s%d-%d" % (n, j)
            status, text = post(d, "/v1/services", {"name": svc,
                                                    "owner": "t"})
            with lock:
                (acked if status == 201 else errors).append(
                    svc if status == 201 else (status, text[:200]))

    threads = [threading.Thread(target=client, args=(ds[i % 3], i))
               for i in range(3 * CLIENTS_PER_DAEMON)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    eq(errors, [], "every write answered 201")
    total = 3 * CLIENTS_PER_DAEMON * WRITES_PER_CLIENT * 2
    eq(len(acked), total, "acknowledged writes")
    for d in ds:
        _, _, evs = d.request("GET", "/v1/deployments/%d/events" % dep["id"])
        msgs = [e["message"] for e in evs["items"] if e["message"]]
        eq(sorted(msgs), sorted(m for m in acked if m.startswith("c")),
           "events seen from daemon %d" % d.port)
        eq([e["seq"] for e in evs["items"]],
           list(range(1, len(evs["items"]) + 1)), "event seqs")
    items = audit_all(ds[1])
    eq([e["seq"] for e in items], list(range(1, len(items) + 1)),
       "audit seqs gap-free")
    eq(len(items) - before, total, "one audit entry per write")


def test_daemons_started_together_migrate_and_bootstrap_once(ds):
    _, _, toks = ds[0].request("GET", "/v1/tokens")
    admins = [t for t in toks["items"] if t["role"] == "admin"]
    eq(len(admins), 1, "one admin token")
    creates = [e for e in audit_all(ds[1]) if e["action"] == "token.create"]
    eq(len(creates), 1, "one token.create audit entry")
    versions = set()
    for d in ds:
        status, _, doc = d.request("GET", "/readyz", auth=False)
        eq(status, 200, "ready")
        versions.add(doc["schema_version"])
    eq(len(versions), 1, "one schema version for all")
    check(versions.pop() >= 2, "migrated past the first version")


def test_idempotency_key_holds_across_daemons(ds):
    body = {"name": "idem-x", "owner": "t"}
    s1, t1 = post(ds[0], "/v1/services", body, key="k-cluster")
    s2, t2 = post(ds[1], "/v1/services", body, key="k-cluster")
    eq((s1, s2), (201, 201), "statuses")
    eq(t2, t1, "the retry on another daemon answers the first response")
    s3, t3 = post(ds[2], "/v1/services", {"name": "idem-y", "owner": "t"},
                  key="k-cluster")
    eq(s3, 422, "same key, different body: " + t3.decode())
    _, _, doc = ds[2].request("GET", "/v1/services/idem-y")
    eq(doc["status"], 404, "nothing written")
    eq(len([e for e in audit_all(ds[0]) if e["object_id"] == "idem-x"]), 1,
       "one audit entry")


def test_if_match_holds_across_daemons(ds):
    post(ds[0], "/v1/services", {"name": "etag-x", "owner": "t"})
    _, h, _ = ds[1].request("GET", "/v1/services/etag-x")
    etag = h["etag"]
    status, h2, doc = ds[2].request("PATCH", "/v1/services/etag-x",
                                    {"owner": "u"},
                                    headers={"If-Match": etag})
    eq(status, 200, "first update")
    status, _, doc = ds[0].request("PATCH", "/v1/services/etag-x",
                                   {"owner": "v"},
                                   headers={"If-Match": etag})
    eq(status, 412, "stale If-Match on another daemon")
    _, _, doc = ds[1].request("GET", "/v1/services/etag-x")
    eq(doc["owner"], "u", "the stale update changed nothing")


def test_zz_exactly_one_leader_and_another_takes_over(ds):
    first = wait_for_one_leader(ds)
    ds[first].proc.send_signal(signal.SIGKILL)
    ds[first].proc.wait()
    ds[first].proc = None
    ds[first].log.close()
    rest = [d for i, d in enumerate(ds) if i != first]
    second = wait_for_one_leader(rest)
    check(second in (0, 1), "a survivor leads")


def main():
    tmp = tempfile.mkdtemp(prefix="shiplog-cluster-")
    ds = [Daemon(db_dir=tmp) for _ in range(3)]
    for i, d in enumerate(ds):
        d.log_path = os.path.join(tmp, "daemon-%d.log" % i)
    passed = failed = 0
    try:
        # All three start at once on an empty database: the migrations
        # and the first admin token must come out exactly once.
        errs = []
        if ds[0].pg_database:
            ds[0]._create_database()

        def start(d):
            try:
                d.start()
            except Exception as e:  # reported below
                errs.append(e)
        ts = [threading.Thread(target=start, args=(d,)) for d in ds]
        [t.start() for t in ts]
        [t.join() for t in ts]
        if errs:
            raise errs[0]
        print("backend: " + ds[0].backend, flush=True)
        tests = sorted((n, f) for n, f in globals().items()
                       if n.startswith("test_"))
        for name, fn in tests:
            try:
                fn(ds)
                passed += 1
                print("ok   " + name, flush=True)
            except Exception:
                failed += 1
                print("FAIL " + name, flush=True)
                traceback.print_exc()
    finally:
        for i, d in enumerate(ds):
            if d.proc:
                rc = d.stop()
                if rc != 0:
                    failed += 1
                    print("FAIL daemon %d exited with %r" % (i, rc))
                    print(d.read_log()[-3000:])
        ds[0].drop_database()
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (passed, failed), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
