#!/usr/bin/env python3
"""The read cache (src/http/cache.c): cacheable reads are answered from it
while nothing has been committed, and never with anything a plain query
would not answer.

- a repeated read is a hit (SQLite; PostgreSQL has no cache) and equal to
  the first answer, ETag included;
- a write through the API, through another daemon on the same database,
  or through "shiplogd token create" is seen by the very next read;
- answers are kept per token: a scoped token never gets what an unscoped
  one was answered, and its refusals stay refusals;
- query arguments are part of the key;
- SHIPLOG_CACHE_MB=0 turns it off;
- gate verdicts are kept the same way, per token and body, and also
  stop being given out at the moment the clock may change them;
- the data version's mapping leaves SQLite's locks on the WAL index alone.
"""
import datetime
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import SHIPLOGD, Daemon, check, eq, run_tests  # noqa: E402

SQLITE = os.environ.get("SHIPLOG_TEST_BACKEND", "sqlite") == "sqlite"
_n = [0]


def uniq(prefix):
    _n[0] += 1
    return "%s-c%d-%d" % (prefix, os.getpid() & 0xffff, _n[0])


def api(d, method, path, body=None, want=None, token=None):
    status, h, doc = d.request(method, path, body, token=token)
    if want is not None:
        eq(status, want, "%s %s -> %s" % (method, path, doc))
    return doc


def setup_world(d):
    svc = uniq("svc")
    api(d, "POST", "/v1/services", {"name": svc, "owner": "team-a"}, 201)
    envs = [uniq("env"), uniq("env")]
    for i, e in enumerate(envs):
        api(d, "POST", "/v1/environments", {"name": e, "rank": 10 + i}, 201)
    api(d, "POST", "/v1/releases",
        {"service": svc, "version": "1.0.0", "type": "minor"}, 201)
    return svc, envs


def deploy(d, svc, env, version="1.0.0"):
    dep = api(d, "POST", "/v1/deployments",
              {"release": "%s@%s" % (svc, version), "environment": env,
               "status": "in_progress"}, 201)
    return api(d, "POST", "/v1/deployments/%d/events" % dep["id"],
               {"status": "succeeded"}, 201)["deployment"]


def test_repeated_reads_are_hits_and_equal(d):
    svc, envs = setup_world(d)
    deploy(d, svc, envs[0])
    path = "/v1/releases/%s@1.0.0" % svc
    s1, h1, first = d.request("GET", path)
    before = d.cache_hits()
    s2, h2, second = d.request("GET", path)
    eq((s1, s2), (200, 200), "status")
    eq(second, first, "same document")
    eq(h2.get("etag"), h1.get("etag"), "same ETag")
    eq(h2.get("content-type"), h1.get("content-type"), "content type")
    check(h2.get("x-request-id") != h1.get("x-request-id"),
          "request ids are per request, not cached")
    eq(d.cache_hits() - before, 1 if SQLITE else 0, "one hit")


def test_writes_through_the_api_are_seen_at_once(d):
    svc, envs = setup_world(d)
    status_path = "/v1/status?service=" + svc
    eq(api(d, "GET", status_path, want=200)["items"], [], "nothing yet")
    api(d, "GET", status_path, want=200)
    deploy(d, svc, envs[0])
    items = api(d, "GET", status_path, want=200)["items"]
    eq([(i["environment"], i["running"]["version"]) for i in items],
       [(envs[0], "1.0.0")], "status after the deployment")

    # An update shows with its new revision and ETag.
    _, h0, doc0 = d.request("GET", "/v1/services/" + svc)
    api(d, "PATCH", "/v1/services/" + svc, {"tier": 1}, 200)
    _, h1, doc1 = d.request("GET", "/v1/services/" + svc)
    eq(doc1.get("tier"), 1, "updated field")
    eq(doc1["revision"], doc0["revision"] + 1, "revision")
    check(h1["etag"] != h0["etag"], "new ETag")

    # A failed write commits nothing and changes nothing.
    before = api(d, "GET", "/v1/services/" + svc, want=200)
    d.request("PATCH", "/v1/services/" + svc, {"tier": "high"})
    eq(api(d, "GET", "/v1/services/" + svc, want=200), before, "unchanged")


def test_another_process_write_is_seen_at_once(d):
    svc, envs = setup_world(d)
    path = "/v1/deployments?service=%s&environment=%s" % (svc, envs[1])
    eq(api(d, "GET", path, want=200)["items"], [], "empty")
    api(d, "GET", path, want=200)
    with Daemon(db_dir=d.dir) as other:  # same database, not removed
        deploy(other, svc, envs[1])
        items = api(d, "GET", path, want=200)["items"]
        eq([(i["environment"], i["status"]) for i in items],
           [(envs[1], "succeeded")], "seen by the first daemon")


def test_token_created_by_another_process_reads_at_once(d):
    svc, _ = setup_world(d)
    path = "/v1/services/" + svc
    api(d, "GET", path, want=200)
    out = subprocess.run([SHIPLOGD, "token", "create", "--name",
                          uniq("cli-tok"), "--role", "developer", "--db",
                          d.db], capture_output=True, text=True, timeout=60)
    eq(out.returncode, 0, out.stderr)
    secret = out.stdout.strip().split()[-1]
    eq(api(d, "GET", path, want=200, token=secret)["name"], svc,
       "the new token reads")


def test_answers_are_kept_per_token(d):
    svc, envs = setup_world(d)
    deploy(d, svc, envs[0])
    deploy(d, svc, envs[1])
    scoped = api(d, "POST", "/v1/tokens",
                 {"name": uniq("tok"), "role": "developer",
                  "environments": [envs[1]]}, 201)["token"]
    path = "/v1/status?service=" + svc
    for _ in range(2):
        items = api(d, "GET", path, want=200)["items"]
        eq(sorted(i["environment"] for i in items), sorted(envs), "admin")
    for _ in range(2):
        items = api(d, "GET", path, want=200, token=scoped)["items"]
        eq([i["environment"] for i in items], [envs[1]], "scoped token")
    # What the admin read of the first environment stays refused.
    dep_path = "/v1/deployments?service=%s&environment=%s" % (svc, envs[0])
    eq(len(api(d, "GET", dep_path, want=200)["items"]), 1, "admin list")
    eq(api(d, "GET", dep_path, want=200, token=scoped)["items"], [],
       "scoped list filtered")


def test_arguments_are_part_of_the_key(d):
    svc, envs = setup_world(d)
    deploy(d, svc, envs[0])
    base = "/v1/deployments?service=" + svc
    one = api(d, "GET", base + "&environment=" + envs[0], want=200)
    two = api(d, "GET", base + "&environment=" + envs[1], want=200)
    eq(len(one["items"]), 1, "first environment")
    eq(two["items"], [], "second environment")
    # An argument without a value is refused; an empty one is its own
    # key (and its own answer).
    s, _, doc = d.request("GET", base + "&environment")
    s2, _, doc2 = d.request("GET", base + "&environment=")
    eq(s, 400, "no value: %r" % (doc,))
    eq((s2, doc2["items"]), (200, []), "empty value")
    eq(api(d, "GET", base + "&environment=" + envs[0], want=200), one,
       "still the first answer")


def gate_check(d, body, token=None):
    doc = api(d, "POST", "/v1/gates/check", body, 200, token=token)
    return doc, {c["name"]: c["passed"] for c in doc["checks"]}


def test_gate_verdicts_are_kept_until_a_write_or_the_clock_changes_them(d):
    svc, envs = setup_world(d)
    env = envs[0]
    rel = api(d, "GET", "/v1/releases/%s@1.0.0" % svc, want=200)
    api(d, "PUT", "/v1/environments/%s/policy" % env,
        {"approvals": [{"group": "cab", "count": 1}]}, 200)
    body = {"release": "%s@1.0.0" % svc, "environment": env}
    first, _ = gate_check(d, body)
    eq(first["allowed"], False, "no approval yet")
    before = d.cache_hits()
    again, _ = gate_check(d, body)
    eq(d.cache_hits() - before, 1 if SQLITE else 0, "the second check is a hit")
    check(again["at"] != first["at"], "each answer has its own moment")
    eq(dict(again, at=None), dict(first, at=None), "the same verdict")
    # With "at" given the kept answer is the same to the byte.
    fixed = dict(body, at="2031-01-01T00:00:00Z")
    eq(gate_check(d, fixed)[0], gate_check(d, fixed)[0], "fixed moment")

    # A write is seen by the very next check.
    approver = api(d, "POST", "/v1/tokens",
                   {"name": uniq("tok"), "role": "approver",
                    "groups": ["cab"]}, 201)["token"]
    api(d, "POST", "/v1/releases/%d/approvals" % rel["id"],
        {"environment": env, "decision": "approve"}, 201, token=approver)
    eq(gate_check(d, body)[0]["allowed"], True, "approved")

    # Another token's check of the same body is judged for that token.
    scoped = api(d, "POST", "/v1/tokens",
                 {"name": uniq("tok"), "role": "developer",
                  "environments": [envs[1]]}, 201)["token"]
    for _ in range(2):
        doc, passed = gate_check(d, body, token=scoped)
        eq((doc["allowed"], passed["permission"]), (False, False),
           "out of the token's scope")

    # The clock: a freeze that begins in two seconds.
    start = (datetime.datetime.now(datetime.timezone.utc).replace(
        microsecond=0) + datetime.timedelta(seconds=3))
    api(d, "POST", "/v1/windows",
        {"name": uniq("win"), "kind": "freeze", "environment": env,
         "timezone": "UTC", "start": start.strftime("%Y-%m-%dT%H:%M:%S"),
         "end": (start + datetime.timedelta(hours=1)).strftime(
             "%Y-%m-%dT%H:%M:%S")}, 201)
    doc, passed = gate_check(d, body)
    eq((doc["allowed"], doc["valid_until"]),
       (True, start.strftime("%Y-%m-%dT%H:%M:%SZ")), "open until then")
    before = d.cache_hits()
    eq(gate_check(d, body)[0]["allowed"], True, "still open")
    eq(d.cache_hits() - before, 1 if SQLITE else 0, "kept while it holds")
    wait = (start - datetime.datetime.now(datetime.timezone.utc))
    time.sleep(max(0.0, wait.total_seconds()) + 0.2)
    doc, passed = gate_check(d, body)
    eq((doc["allowed"], passed["windows"]), (False, False),
       "refused once the freeze has begun")


def test_the_daemon_keeps_sqlites_hold_on_the_wal_index(d):
    """SQLite's locks on the "-shm" file are POSIX locks, owned by the
    process: a descriptor of the file closed anywhere in the daemon (the
    data version's mapping once did) drops them all, and the next process
    to open the database takes the file over and shrinks it under the
    daemon's mappings. The "dead man switch" byte (offset 128, SQLite's
    os_unix.c) must stay share-locked by the daemon after its reads."""
    if not SQLITE:
        return
    import fcntl
    svc, _ = setup_world(d)
    for _ in range(3):
        api(d, "GET", "/v1/services/" + svc, want=200)
        api(d, "GET", "/v1/services?limit=2", want=200)
    fd = os.open(d.db + "-shm", os.O_RDWR)
    try:
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, 128)
        except OSError:
            held = True
        else:
            held = False
            fcntl.lockf(fd, fcntl.LOCK_UN, 1, 128)
    finally:
        os.close(fd)
    check(held, "the daemon holds its shared lock on the WAL index")
    # Another process opening the database leaves the daemon whole.
    out = subprocess.run([SHIPLOGD, "token", "create", "--name", uniq("t"),
                          "--role", "auditor", "--db", d.db],
                         capture_output=True, text=True, timeout=30)
    eq(out.returncode, 0, out.stderr)
    api(d, "POST", "/v1/services", {"name": uniq("svc"), "owner": "x"}, 201)
    eq(api(d, "GET", "/v1/services/" + svc, want=200)["name"], svc, "read")


def test_cache_off(d):
    env = dict(os.environ, SHIPLOG_CACHE_MB="0")
    saved = os.environ.copy()
    os.environ.update(env)
    try:
        with Daemon() as off:
            svc, _ = setup_world(off)
            for _ in range(3):
                api(off, "GET", "/v1/services/" + svc, want=200)
            eq(off.cache_hits(), 0, "no hits with SHIPLOG_CACHE_MB=0")
    finally:
        os.environ.clear()
        os.environ.update(saved)


if __name__ == "__main__":
    sys.exit(run_tests(globals()))
