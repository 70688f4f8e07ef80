#!/usr/bin/env python3
"""Crash safety: kill -9 in the middle of heavy writes, many times.

Each round starts the daemon on the same database, lets load clients
write deployment events with unique messages (recording every 2xx), kills
the daemon with SIGKILL at a random moment, and restarts it. After every
round: every acknowledged event is present exactly once, no event appears
twice, the audit sequence has no gaps, and on SQLite PRAGMA
integrity_check says ok.

SHIPLOG_CRASH_ROUNDS sets the rounds (default 20; use 1000 for the long
run: SHIPLOG_CRASH_ROUNDS=1000 python3 tests/api/test_crash.py).
"""
import http.client
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Daemon, check, eq  # noqa: E402

ROUNDS = int(os.environ.get("SHIPLOG_CRASH_ROUNDS", "20"))
CLIENTS = 8


def audit_seqs(d, after=0):
    """The audit sequence numbers above after, in order."""
    seqs = []
    while True:
        _, _, doc = d.request("GET", "/v1/audit?limit=500&after=%d" % after)
        seqs += [e["seq"] for e in doc["items"]]
        if len(doc["items"]) < 500:
            return seqs
        after = seqs[-1]


def event_messages(d, dep_id):
    _, _, evs = d.request("GET", "/v1/deployments/%d/events" % dep_id)
    return [e["message"] for e in evs["items"] if e["message"]], evs["items"]


def load(d, dep_id, round_no, acked, stop):
    """Writes events until stop is set or the daemon goes away."""
    def client(n):
        j = 0
        while not stop.is_set():
            msg = "r%d-c%d-%d" % (round_no, n, j)
            j += 1
            try:
                c = http.client.HTTPConnection("127.0.0.1", d.port,
                                               timeout=10)
                c.request("POST", "/v1/deployments/%d/events" % dep_id,
                          json.dumps({"message": msg}),
                          {"Authorization": "Bearer " + d.token,
                           "Content-Type": "application/json"})
                r = c.getresponse()
                r.read()
                c.close()
            except (OSError, http.client.HTTPException):
                return
            if r.status == 201:
                acked.append(msg)
            elif r.status < 500:
                raise AssertionError("refused %s: %d" % (msg, r.status))

    ts = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    [t.start() for t in ts]
    return ts


def integrity_ok(d):
    if d.backend != "sqlite":
        return True
    p = subprocess.run(["sqlite3", d.db, "PRAGMA integrity_check;"],
                       capture_output=True, text=True, timeout=120)
    return p.stdout.strip() == "ok"


def crash_rounds():
    tmp = tempfile.mkdtemp(prefix="shiplog-crash-")
    d = Daemon(db_dir=tmp)
    rng = random.Random(int(os.environ.get("SHIPLOG_CRASH_SEED", "7")))
    passed = failed = 0
    try:
        d.start()
        print("backend: %s, rounds: %d" % (d.backend, ROUNDS), flush=True)
        d.request("POST", "/v1/services", {"name": "crash", "owner": "t"})
        d.request("POST", "/v1/environments", {"name": "prod", "rank": 1})
        d.request("POST", "/v1/releases", {"service": "crash",
                                           "version": "1.0.0",
                                           "type": "major"})
        # Each round writes to a deployment of its own, so checking a
        # round reads only that round's events; the audit log is checked
        # from where the previous round left it; a full pass at the end
        # reads everything once more.
        rounds = {}
        checked = 0
        for rnd in range(1, ROUNDS + 1):
            try:
                _, _, dep = d.request("POST", "/v1/deployments",
                                      {"release": "crash@1.0.0",
                                       "environment": "prod",
                                       "status": "in_progress"})
                acked = []
                rounds[dep["id"]] = acked
                stop = threading.Event()
                ts = load(d, dep["id"], rnd, acked, stop)
                time.sleep(rng.uniform(0.05, 0.6))
                d.stop(signal.SIGKILL)
                stop.set()
                [t.join() for t in ts]
                check(integrity_ok(d), "integrity_check after the kill")
                d.start()
                msgs, items = event_messages(d, dep["id"])
                eq(len(msgs), len(set(msgs)), "no event twice")
                eq(sorted(set(acked) - set(msgs)), [],
                   "acknowledged events lost")
                eq([e["seq"] for e in items], list(range(1, len(items) + 1)),
                   "event seqs")
                seqs = audit_seqs(d, max(checked - 1, 0))
                eq(seqs, list(range(max(checked, 1), len(seqs) +
                                    max(checked, 1))), "audit gap-free")
                checked = seqs[-1] if seqs else checked
                passed += 1
                print("ok   round %d: %d acknowledged, %d stored"
                      % (rnd, len(acked), len(msgs)), flush=True)
            except Exception:
                failed += 1
                print("FAIL round %d" % rnd, flush=True)
                traceback.print_exc()
                if not d.proc:
                    try:
                        d.start()
                    except RuntimeError:
                        break
        try:
            for dep_id, acked in rounds.items():
                msgs, _ = event_messages(d, dep_id)
                eq(sorted(set(acked) - set(msgs)), [],
                   "deployment %d lost events later" % dep_id)
                eq(len(msgs), len(set(msgs)), "no event twice")
            seqs = audit_seqs(d)
            eq(seqs, list(range(1, len(seqs) + 1)), "whole audit gap-free")
            passed += 1
            print("ok   final pass over %d rounds" % len(rounds), flush=True)
        except Exception:
            failed += 1
            print("FAIL final pass", flush=True)
            traceback.print_exc()
    finally:
        if d.proc:
            rc = d.stop()
            if rc != 0:
                failed += 1
                print("FAIL daemon exited with %r" % rc)
        d.drop_database()
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (passed, failed), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(crash_rounds())
