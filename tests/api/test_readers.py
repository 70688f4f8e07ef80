#!/usr/bin/env python3
"""The readers (src/http/server.c): on SQLite, a read the read cache cannot
answer runs on one of a few reader threads, so the request thread that took
it keeps answering its other connections (from the cache) meanwhile.

- --readers N starts N reader threads beside the one writer thread; on
  PostgreSQL there are neither (every request thread reads and writes);
- many clients at once, through one request thread and with the cache
  off (every answer from a query, each on a reader), get every answer,
  each equal to the one the same read gets alone;
- a gate check answered from the cache and one computed by a reader are
  the same verdict;
- --readers outside 1..256 is a usage error.
"""
import os
import time
import random
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import SHIPLOGD, Daemon, check, eq, run_tests  # noqa: E402

SQLITE = os.environ.get("SHIPLOG_TEST_BACKEND", "sqlite") == "sqlite"
_n = [0]


def uniq(prefix):
    _n[0] += 1
    return "%s-r%d-%d" % (prefix, os.getpid() & 0xffff, _n[0])


def api(d, method, path, body=None, want=None):
    status, _, doc = d.request(method, path, body)
    if want is not None:
        eq(status, want, "%s %s -> %s" % (method, path, doc))
    return doc


def thread_names(d):
    names = []
    task = "/proc/%d/task" % d.proc.pid
    for t in os.listdir(task):
        try:
            with open(os.path.join(task, t, "comm")) as f:
                names.append(f.read().strip())
        except OSError:
            pass  # a thread that just ended
    return names


def world(d):
    """A service in two environments with two releases, one deployed."""
    svc = uniq("svc")
    api(d, "POST", "/v1/services", {"name": svc, "owner": "team-r"}, 201)
    envs = [uniq("env"), uniq("env")]
    for i, e in enumerate(envs):
        api(d, "POST", "/v1/environments", {"name": e, "rank": 10 + i}, 201)
    for v in ("1.0.0", "1.1.0"):
        api(d, "POST", "/v1/releases",
            {"service": svc, "version": v, "type": "minor"}, 201)
    dep = api(d, "POST", "/v1/deployments",
              {"release": svc + "@1.0.0", "environment": envs[0],
               "status": "in_progress"}, 201)
    api(d, "POST", "/v1/deployments/%d/events" % dep["id"],
        {"status": "succeeded"}, 201)
    return svc, envs


def reads(svc, envs):
    """(method, path, body) of reads whose answers do not move while
    nothing is written (the gate check names its moment)."""
    gate = {"release": svc + "@1.1.0", "environment": envs[1],
            "at": "2030-01-01T00:00:00Z"}
    return [
        ("GET", "/v1/services/" + svc, None),
        ("GET", "/v1/releases/%s@1.0.0" % svc, None),
        ("GET", "/v1/releases?service=" + svc, None),
        ("GET", "/v1/deployments?service=%s&environment=%s"
         % (svc, envs[0]), None),
        ("GET", "/v1/status?service=" + svc, None),
        ("POST", "/v1/gates/check", gate),
    ]


def test_readers_are_started_as_asked(_):
    with Daemon(args=["--threads", "1", "--readers", "3"]) as d:
        # Each thread names itself once it runs, which may be just after
        # the daemon answers: the names are read again until they are
        # what is asked, or for five seconds (on PostgreSQL, until the
        # stream's thread has named itself: the others started before).
        def settled(names):
            if SQLITE:
                return (names.count("shiplog-reader") == 3 and
                        names.count("shiplog-writer") == 1)
            return "shiplog-stream" in names

        deadline = time.time() + 5
        names = thread_names(d)
        while not settled(names) and time.time() < deadline:
            time.sleep(0.05)
            names = thread_names(d)
        if SQLITE:
            eq(names.count("shiplog-reader"), 3, "reader threads: %s" % names)
            eq(names.count("shiplog-writer"), 1, "writer thread")
        else:
            eq(names.count("shiplog-reader") + names.count("shiplog-writer"),
               0, "no readers or writer on PostgreSQL: %s" % names)


def test_many_clients_through_one_request_thread_get_every_answer(_):
    with Daemon(args=["--threads", "1", "--readers", "4"],
                env={"SHIPLOG_CACHE_MB": "0"}) as d:
        svc, envs = world(d)
        alone = {}
        for m, path, body in reads(svc, envs):
            status, _, doc = d.request(m, path, body)
            eq(status, 200, "%s %s alone -> %s" % (m, path, doc))
            alone[(m, path)] = doc
        wrong = []
        answered = [0]
        lock = threading.Lock()

        def client(seed):
            rnd = random.Random(seed)
            todo = reads(svc, envs)
            for _ in range(25):
                m, path, body = rnd.choice(todo)
                status, _, doc = d.request(m, path, body)
                with lock:
                    answered[0] += 1
                    if status != 200 or doc != alone[(m, path)]:
                        wrong.append((m, path, status, doc))

        threads = [threading.Thread(target=client, args=(i,))
                   for i in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        eq(answered[0], 16 * 25, "every request answered")
        eq(wrong[:3], [], "answers equal to the ones given alone")


def test_a_kept_verdict_equals_one_a_reader_computes(_):
    with Daemon(args=["--threads", "1", "--readers", "2"]) as d:
        svc, envs = world(d)
        gate = {"release": svc + "@1.1.0", "environment": envs[1],
                "at": "2030-01-01T00:00:00Z"}
        first = api(d, "POST", "/v1/gates/check", gate, 200)
        before = d.cache_hits()
        again = api(d, "POST", "/v1/gates/check", gate, 200)
        eq(again, first, "the kept verdict")
        eq(d.cache_hits() - before, 1 if SQLITE else 0, "answered from the cache")
        check("allowed" in first and first["checks"], "a verdict: %s" % first)


def test_readers_out_of_range_is_a_usage_error(_):
    for bad in ("0", "257", "x"):
        out = subprocess.run([SHIPLOGD, "--readers", bad, "--db", ":memory:"],
                             capture_output=True, text=True, timeout=30)
        eq(out.returncode, 2, "--readers %s: %s" % (bad, out.stderr))
        check("--readers" in out.stderr, "says which option: %r" % out.stderr)


if __name__ == "__main__":
    sys.exit(run_tests(globals()))
