#!/usr/bin/env python3
"""Faults: every decision fails closed, whatever store call fails.

The daemon of a test build has a fault hook in its store (src/store/
fault.h): SHIPLOG_FAULTS names a control file it re-reads when it changes.
For each decision route this file

  1. sets up a case where the route would allow (gate open, write
     accepted) and runs it once with tracing on, which records the name of
     every store call the route made (the list comes from the code, so a
     new query is covered without anyone adding it here);
  2. sets up the same case afresh and, for every call in that list, arms a
     fault on exactly that call and runs the route again, asserting a 503
     problem document, no 2xx, and the database (audit log included)
     unchanged byte for byte;
  3. runs the route once more without a fault and asserts that it allows,
     so the refusals came from the faults.

Then the freeze scenario of the issue: a freeze in force, the windows
unreadable: the gate answers 503 naming "windows", never allowed.
"""
import datetime
import itertools
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Daemon, api, check, eq,  # noqa: E402
                     pg_database_uri, pg_sql, run_tests, uniq)

CTL = None  # the control file, set in main


def now():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


def wall(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S")


# ---- the control file ----

def arm(text):
    tmp = CTL + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, CTL)  # a new inode: the daemon sees the change


def disarm():
    arm("")


def traced(run):
    """Runs run() with tracing on; returns (its result, the call names)."""
    trace = CTL + ".trace"
    if os.path.exists(trace):
        os.unlink(trace)
    arm("trace\n")
    try:
        out = run()
    finally:
        disarm()
    names = []
    if os.path.exists(trace):
        with open(trace) as f:
            names = [ln.strip() for ln in f if ln.strip()]
        os.unlink(trace)
    return out, names


# ---- what "nothing written" means: every table but the tokens' ----

def snapshot(d):
    """Every table but tokens (last use) and the log's tree, which the
    leader extends from the audit table in the background."""
    if d.backend == "sqlite":
        db = sqlite3.connect("file:%s?mode=ro" % d.db, uri=True, timeout=30)
        try:
            tables = [r[0] for r in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' AND name <> 'tokens' "
                "AND name NOT LIKE 'log_%' "
                "ORDER BY name")]
            return {t: db.execute("SELECT * FROM %s ORDER BY rowid" % t)
                    .fetchall() for t in tables}
        finally:
            db.close()
    # Entries are numbered after they commit, by the leader in the
    # background or by a read of the log: number them all now, so the
    # snapshot holds no number the next one would not.
    api(d, "GET", "/v1/audit?limit=1", want=200)
    uri = pg_database_uri(d.pg_database)
    q = ("SELECT string_agg(format('SELECT %L, md5(coalesce(string_agg("
         "t::text, ''|'' ORDER BY t::text), '''')) FROM %I t', "
         "table_name, table_name), ' UNION ALL ') FROM "
         "information_schema.tables WHERE table_schema = 'public' AND "
         "table_name <> 'tokens' AND table_name NOT LIKE 'log\\_%'")
    sql = subprocess.run(["psql", uri, "-X", "-A", "-t", "-c", q],
                         capture_output=True, text=True, timeout=60,
                         check=True).stdout.strip()
    out = subprocess.run(["psql", uri, "-X", "-A", "-t", "-c", sql],
                         capture_output=True, text=True, timeout=60,
                         check=True).stdout
    return dict(ln.split("|", 1) for ln in out.splitlines() if ln)


# ---- the shared world: environments, services, a policy with every
# kind of fact ----

W = {}


def world(d):
    if W:
        return W
    W["stage"] = api(d, "POST", "/v1/environments",
                     {"name": uniq("stage"), "rank": 10}, 201)["name"]
    W["prod"] = api(d, "POST", "/v1/environments",
                    {"name": uniq("prod"), "rank": 20}, 201)["name"]
    W["svc"] = api(d, "POST", "/v1/services",
                   {"name": uniq("svc"), "owner": "team-a",
                    "tags": {"tier": "1"}}, 201)["name"]
    W["dep"] = api(d, "POST", "/v1/services",
                   {"name": uniq("db"), "owner": "team-b"}, 201)["name"]
    # The dependency runs in production before the policy is strict.
    rel = api(d, "POST", "/v1/releases",
              {"service": W["dep"], "version": "2.1.0", "type": "minor"},
              201)
    for env in (W["stage"], W["prod"]):
        dep = api(d, "POST", "/v1/deployments",
                  {"release": rel["id"], "environment": env,
                   "status": "in_progress"}, 201)
        api(d, "POST", "/v1/deployments/%d/events" % dep["id"],
            {"status": "succeeded"}, 201)
    t = now()
    # Windows that exist but are not in force: each is evaluated.
    for body in (
            {"kind": "freeze", "start": wall(t + datetime.timedelta(days=2)),
             "end": wall(t + datetime.timedelta(days=3))},
            {"kind": "blackout", "service_tag": "tier=1",
             "start": wall(t + datetime.timedelta(days=5)),
             "end": wall(t + datetime.timedelta(days=6))},
            {"kind": "freeze", "rrule": "FREQ=WEEKLY;COUNT=3",
             "start": wall(t + datetime.timedelta(days=9)),
             "duration_minutes": 60}):
        api(d, "POST", "/v1/windows",
            dict(name=uniq("win"), environment=W["prod"], timezone="UTC",
                 **body), 201)
    W["cr"] = "CHG" + uniq("c").upper().replace("-", "")
    api(d, "POST", "/v1/change-requests",
        {"key": W["cr"], "class": "standard", "state": "new"}, 201)
    api(d, "PUT", "/v1/environments/%s/policy" % W["prod"], {
        "approvals": [{"group": "qa", "count": 1}],
        "checklists": [{"release_types": [], "items": ["backup"]}],
        "change_request": {"required": True, "standard_types": ["minor"]},
        "promotion": True, "soak_minutes": 0, "max_concurrent": 50,
        "segregation": {"approver_may_not_deploy": True},
        "override_roles": ["admin"]}, 200)
    W["qa"] = api(d, "POST", "/v1/tokens",
                  {"name": uniq("qa"), "role": "approver",
                   "groups": ["qa"]}, 201)["token"]
    # A second production-like environment under a freeze now, for the
    # emergency override.
    W["frozen"] = api(d, "POST", "/v1/environments",
                      {"name": uniq("frozen"), "rank": 30}, 201)["name"]
    api(d, "PUT", "/v1/environments/%s/policy" % W["frozen"],
        {"override_roles": ["admin"]}, 200)
    api(d, "POST", "/v1/windows",
        {"name": uniq("freeze"), "kind": "freeze", "environment": W["frozen"],
         "timezone": "UTC", "start": wall(t - datetime.timedelta(hours=1)),
         "end": wall(t + datetime.timedelta(days=30))}, 201)
    return W


_ver = itertools.count(1)


def ready_release(d, approved=True, checked=True, type="minor"):
    """A release of the world's service that passes every check for
    production: soaked in staging, approved, checklist done."""
    w = world(d)
    rel = api(d, "POST", "/v1/releases",
              {"service": w["svc"], "version": "1.%d.0" % next(_ver),
               "type": type, "change_request": w["cr"],
               "dependencies": [{"service": w["dep"], "range": "^2"}]}, 201)
    dep = api(d, "POST", "/v1/deployments",
              {"release": rel["id"], "environment": w["stage"],
               "status": "in_progress"}, 201)
    api(d, "POST", "/v1/deployments/%d/events" % dep["id"],
        {"status": "succeeded"}, 201)
    if approved:
        api(d, "POST", "/v1/releases/%d/approvals" % rel["id"],
            {"environment": w["prod"], "decision": "approve"}, 201,
            token=w["qa"])
    if checked:
        api(d, "POST", "/v1/releases/%d/checklist" % rel["id"],
            {"environment": w["prod"], "item": "backup"}, 201)
    return rel


# ---- the cases: each returns a fresh request that would be allowed ----

def case_gate_check(d):
    rel = ready_release(d)
    return dict(method="POST", path="/v1/gates/check",
                body={"release": rel["id"], "environment": W["prod"]},
                ok=200, gate=True)


def case_deploy_start(d):
    rel = ready_release(d)
    return dict(method="POST", path="/v1/deployments",
                body={"release": rel["id"], "environment": W["prod"],
                      "status": "in_progress"}, ok=201, gate=True,
                headers={"Idempotency-Key": uniq("idem")})


def case_deploy_queue(d):
    rel = ready_release(d)
    return dict(method="POST", path="/v1/deployments",
                body={"release": rel["id"], "environment": W["prod"]},
                ok=201)


def case_queued_start(d):
    rel = ready_release(d)
    dep = api(d, "POST", "/v1/deployments",
              {"release": rel["id"], "environment": W["prod"]}, 201)
    return dict(method="POST", path="/v1/deployments/%d/events" % dep["id"],
                body={"status": "in_progress"}, ok=201, gate=True)


def case_override(d):
    w = world(d)
    svc = api(d, "POST", "/v1/services",
              {"name": uniq("hot"), "owner": "team-a"}, 201)["name"]
    rel = api(d, "POST", "/v1/releases",
              {"service": svc, "version": "1.0.0", "type": "emergency"}, 201)
    return dict(method="POST", path="/v1/deployments",
                body={"release": rel["id"], "environment": w["frozen"],
                      "status": "in_progress",
                      "override": {"checks": ["windows"],
                                   "reason": "payments are down"}},
                ok=201, gate=True)


def case_approval(d):
    rel = ready_release(d, approved=False)
    return dict(method="POST", path="/v1/releases/%d/approvals" % rel["id"],
                body={"environment": W["prod"], "decision": "approve"},
                ok=201, token=W["qa"])


def case_checklist(d):
    rel = ready_release(d, checked=False)
    return dict(method="POST", path="/v1/releases/%d/checklist" % rel["id"],
                body={"environment": W["prod"], "item": "backup"}, ok=201)


def case_policy(d):
    env = api(d, "POST", "/v1/environments",
              {"name": uniq("penv"), "rank": 40}, 201)["name"]
    return dict(method="PUT", path="/v1/environments/%s/policy" % env,
                body={"approvals": [{"group": "qa", "count": 2}],
                      "max_concurrent": 1}, ok=200)


def case_window(d):
    w = world(d)
    t = now()
    return dict(method="POST", path="/v1/windows",
                body={"name": uniq("win"), "kind": "freeze",
                      "environment": w["prod"], "timezone": "UTC",
                      "start": wall(t + datetime.timedelta(days=40)),
                      "end": wall(t + datetime.timedelta(days=41))}, ok=201)


def case_grant(d):
    w = world(d)
    tok = api(d, "POST", "/v1/tokens",
              {"name": uniq("dev"), "role": "developer"}, 201)
    return dict(method="POST", path="/v1/grants",
                body={"token": tok["name"], "role": "deployer",
                      "environment": w["prod"], "hours": 2,
                      "reason": "on call"}, ok=201)


def case_fresh_token(d):
    """Authentication: a token never seen (so not in the token cache)."""
    tok = api(d, "POST", "/v1/tokens",
              {"name": uniq("rm"), "role": "release_manager"}, 201)
    return dict(method="POST", path="/v1/services",
                body={"name": uniq("svc"), "owner": "team-c"}, ok=201,
                token=tok["token"])


def case_rollback(d):
    """An ungated rollback: back to what ran in production before."""
    ids = []
    for _ in range(2):
        rel = ready_release(d)
        dep = api(d, "POST", "/v1/deployments",
                  {"release": rel["id"], "environment": W["prod"],
                   "status": "in_progress"}, 201)
        api(d, "POST", "/v1/deployments/%d/events" % dep["id"],
            {"status": "succeeded"}, 201)
        ids.append(dep["id"])
    return dict(method="POST", path="/v1/deployments/%d/rollback" % ids[1],
                body={"reason": "error rate up"}, ok=201)


def case_withdraw(d):
    rel = ready_release(d, approved=False)
    a = api(d, "POST", "/v1/releases/%d/approvals" % rel["id"],
            {"environment": W["prod"], "decision": "approve"}, 201,
            token=W["qa"])
    return dict(method="DELETE", path="/v1/approvals/%d" % a["id"],
                body=None, ok=200, token=W["qa"])


def incident_with_suspect(d):
    """An incident with one suspected deployment, in a place of its own
    (no policy, so the deployment is not gated)."""
    env = api(d, "POST", "/v1/environments",
              {"name": uniq("inc-env"), "rank": 5}, 201)["name"]
    svc = api(d, "POST", "/v1/services",
              {"name": uniq("inc-svc"), "owner": "team-a"}, 201)["name"]
    rel = api(d, "POST", "/v1/releases",
              {"service": svc, "version": "1.0.0", "type": "minor"}, 201)
    dep = api(d, "POST", "/v1/deployments",
              {"release": rel["id"], "environment": env,
               "status": "in_progress"}, 201)
    key = uniq("inc")
    api(d, "POST", "/v1/incidents",
        {"key": key, "severity": "major", "environment": env,
         "services": [svc], "summary": "errors"}, 201)
    return key, dep["id"]


def case_incident_cause(d):
    """Confirming a cause: the incident and the deployment, in one write."""
    key, dep = incident_with_suspect(d)
    return dict(method="POST", path="/v1/incidents/%s/causes" % key,
                body={"deployment_id": dep}, ok=201)


def case_incident_suspects(d):
    """An incident's suspects: never a partial list from unread facts."""
    key, _ = incident_with_suspect(d)
    return dict(method="GET", path="/v1/incidents/" + key, body=None,
                ok=200)


def case_verification(d):
    """A verification policy, on an environment of its own (no deployment
    there for the worker to begin verifying)."""
    env = api(d, "POST", "/v1/environments",
              {"name": uniq("verify"), "rank": 30}, 201)["name"]
    return dict(method="PUT", path="/v1/environments/%s/verification" % env,
                body={"stabilisation_seconds": 60, "interval_seconds": 10,
                      "probes": [{"name": "health",
                                  "url": "http://{service}.test/healthz"}]},
                ok=201)


CASES = [case_rollback, case_withdraw, case_gate_check, case_deploy_start, case_deploy_queue,
         case_queued_start, case_override, case_approval, case_checklist,
         case_policy, case_window, case_grant, case_fresh_token,
         case_incident_cause, case_incident_suspects,
         case_verification]
COVERED = []  # (case, calls) for the summary


def send(d, req):
    return d.request(req["method"], req["path"], req["body"],
                     token=req.get("token"), headers=req.get("headers"))


def walk(d, make):
    world(d)
    first = make(d)

    def warm(req):
        # A known token is served from the token cache, as in use; only
        # the fresh-token case looks its token up.
        if make is not case_fresh_token:
            d.request("GET", "/healthz", token=req.get("token"))
            d.request("GET", "/v1/environments", token=req.get("token"))
    warm(first)
    (status, _, doc), names = traced(lambda: send(d, first))
    check(status < 300, "%s: the traced run is allowed: %s %s"
          % (make.__name__, status, doc))
    check(names, "%s: the hook saw the route's store calls" % make.__name__)
    req = make(d)
    before = snapshot(d)
    seen = {}
    warm(req)
    failures = []
    for i, name in enumerate(names):
        seen[name] = seen.get(name, 0) + 1
        # Each call fails once as unavailable; every fourth as a bug.
        error = "internal" if i % 4 == 3 else "unavailable"
        arm("fail query=%s nth=%d error=%s\n" % (name, seen[name], error))
        try:
            status, h, doc = send(d, req)
        finally:
            disarm()
        what = "%s: fault on call %d (%s #%d, %s)" % (
            make.__name__, i + 1, name, seen[name], error)
        if status < 300:
            failures.append("%s answered %d: %s" % (what, status, doc))
            break
        want = 503 if error == "unavailable" else (500, 503)
        if (status not in want if isinstance(want, tuple)
                else status != want):
            failures.append("%s answered %d, not %s: %s"
                            % (what, status, want, doc))
        if h.get("content-type") != "application/problem+json":
            failures.append("%s: not a problem document" % what)
        if (req.get("gate") and error == "unavailable" and status == 503
                and isinstance(doc, dict) and "checks" in doc):
            eq(doc["type"], "https://shiplog.dev/problems/gate-unavailable",
               what)
            check(doc["allowed"] is False and doc["checks"], what)
        if snapshot(d) != before:
            failures.append("%s wrote something" % what)
            break
    check(not failures, "\n".join(failures))
    status, _, doc = send(d, req)
    check(status < 300, "%s: without a fault the route allows: %s %s"
          % (make.__name__, status, doc))
    COVERED.append((make.__name__, len(names)))


def test_walk_gate_check(d):
    walk(d, case_gate_check)


def test_walk_deploy_start(d):
    walk(d, case_deploy_start)


def test_walk_deploy_queue(d):
    walk(d, case_deploy_queue)


def test_walk_queued_start(d):
    walk(d, case_queued_start)


def test_walk_override(d):
    walk(d, case_override)


def test_walk_approval(d):
    walk(d, case_approval)


def test_walk_checklist(d):
    walk(d, case_checklist)


def test_walk_policy(d):
    walk(d, case_policy)


def test_walk_rollback(d):
    walk(d, case_rollback)


def test_walk_withdraw(d):
    walk(d, case_withdraw)


def test_walk_window(d):
    walk(d, case_window)


def test_walk_grant(d):
    walk(d, case_grant)


def test_walk_fresh_token(d):
    walk(d, case_fresh_token)


def test_walk_incident_cause(d):
    walk(d, case_incident_cause)


def test_walk_incident_suspects(d):
    walk(d, case_incident_suspects)


def test_walk_verification(d):
    walk(d, case_verification)


def test_zz_every_case_walked(d):
    eq(sorted(c for c, _ in COVERED), sorted(c.__name__ for c in CASES),
       "cases walked")
    print("walked: " + ", ".join("%s (%d calls)" % c for c in COVERED))
    print("faults injected: %d" % sum(n for _, n in COVERED))


# ---- the scenario, one fact at a time ----

def test_freeze_with_unreadable_windows_refuses(d):
    world(d)
    t = now()
    env = api(d, "POST", "/v1/environments",
              {"name": uniq("production"), "rank": 50,
               "protected": True}, 201)["name"]
    api(d, "POST", "/v1/windows",
        {"name": uniq("freeze"), "kind": "freeze", "environment": env,
         "timezone": "UTC", "start": wall(t - datetime.timedelta(hours=1)),
         "end": wall(t + datetime.timedelta(hours=3))}, 201)
    svc = api(d, "POST", "/v1/services",
              {"name": uniq("frz"), "owner": "team-a"}, 201)["name"]
    rel = api(d, "POST", "/v1/releases",
              {"service": svc, "version": "1.0.0", "type": "minor"}, 201)
    body = {"release": rel["id"], "environment": env}
    doc = api(d, "POST", "/v1/gates/check", body, 200)
    eq(doc["allowed"], False, "the freeze holds without a fault")
    before = snapshot(d)
    arm("fail query=sl_store_window_list\n")
    try:
        status, h, doc = d.request("POST", "/v1/gates/check", body)
        eq(status, 503, "gate check: %s" % doc)
        eq(h["content-type"], "application/problem+json", "problem")
        eq(doc["type"], "https://shiplog.dev/problems/gate-unavailable",
           "its own type")
        eq([c["name"] for c in doc["checks"]], ["windows"], "names windows")
        check("injected" in doc["checks"][0]["reason"], doc)
        eq(doc["allowed"], False, "never allowed")
        status, _, doc = d.request("POST", "/v1/deployments",
                                   dict(body, status="in_progress"))
        eq(status, 503, "deploy: %s" % doc)
        status, _, doc = d.request("GET", "/v1/windows")
        eq(status, 503, "window list: %s" % doc)
        # The CLI says so with exit code 3.
        rc, out, err = d.cli("gate", "check",
                             "%s@%s" % (rel["service"], rel["version"]), env)
        eq(rc, 3, "shiplog gate check exit code: %s %s" % (out, err))
        check("windows" in err and "allowed" not in out, (out, err))
    finally:
        disarm()
    eq(snapshot(d), before, "nothing written")
    eq(d.request("POST", "/v1/gates/check", body)[2]["allowed"], False,
       "after the fault the freeze still holds")


def test_each_gate_fact_unreadable_refuses(d):
    """The same with each other fact made to fail, by query name."""
    rel = ready_release(d)
    body = {"release": rel["id"], "environment": W["prod"]}
    eq(api(d, "POST", "/v1/gates/check", body, 200)["allowed"], True,
       "allowed without a fault")
    facts = {
        "approval_rows": ["segregation", "approvals"],
        "sl_store_checklist_list": ["checklist"],
        "sl_store_change_get": ["change_request"],
        "sl_store_window_list": ["windows"],
        "sl_store_environment_list": ["promotion"],
        "sl_store_release_success_in": ["promotion"],
        "sl_store_running_in": ["dependencies"],
        "sl_store_deployment_count_status": ["concurrency"],
        "sl_store_policy_get": None,  # every check
        "sl_store_environment_get": None,
    }
    for query, names in facts.items():
        arm("fail query=%s\n" % query)
        try:
            status, _, doc = d.request("POST", "/v1/gates/check", body)
        finally:
            disarm()
        eq(status, 503, "%s: %s" % (query, doc))
        got = [c["name"] for c in doc["checks"]]
        if names is None:
            eq(len(got), 9, "%s: every check named" % query)
        else:
            eq(got, names, query)


def test_readyz_follows_the_store(d):
    eq(d.request("GET", "/readyz", auth=False)[0], 200, "ready")
    arm("fail error=unavailable\n")
    try:
        status, _, doc = d.request("GET", "/readyz", auth=False)
        eq(status, 503, "not ready while no store call answers: %s" % doc)
        eq(d.request("GET", "/healthz", auth=False)[0], 200, "alive")
    finally:
        disarm()
    eq(d.request("GET", "/readyz", auth=False)[0], 200, "ready again")


def test_sqlite_full_disk_and_io_errors(d):
    """A full disk or an I/O error on write or on sync: 503, never a
    half-acknowledged write; afterwards the daemon serves again and the
    file is intact. (A test VFS below SQLite fails the calls.)"""
    if d.backend != "sqlite":
        return
    names = []
    kept = api(d, "POST", "/v1/services",
               {"name": uniq("kept"), "owner": "t"}, 201)["name"]
    before = snapshot(d)
    for fault in ("write=full", "write=ioerr", "sync=full", "sync=ioerr"):
        name = uniq("lost")
        names.append(name)
        arm("io %s\n" % fault)
        try:
            status, h, doc = d.request("POST", "/v1/services",
                                       {"name": name, "owner": "t"})
            eq(status, 503, "%s: write -> %s" % (fault, doc))
            wrote = doc
            eq(h["content-type"], "application/problem+json", fault)
            status, _, doc = d.request("GET", "/readyz", auth=False)
            eq(status, 503, "%s: not ready: %s (the write said %s)"
               % (fault, doc, wrote))
            eq(d.request("GET", "/healthz", auth=False)[0], 200, "alive")
        finally:
            disarm()
        eq(snapshot(d), before, "%s: nothing written" % fault)
    eq(d.request("GET", "/readyz", auth=False)[0], 200, "ready again")
    after = api(d, "POST", "/v1/services",
                {"name": uniq("after"), "owner": "t"}, 201)["name"]
    for name in names:
        eq(d.request("GET", "/v1/services/" + name)[0], 404, name)
    for name in (kept, after):
        eq(d.request("GET", "/v1/services/" + name)[0], 200, name)
    db = sqlite3.connect("file:%s?mode=ro" % d.db, uri=True, timeout=30)
    try:
        eq(db.execute("PRAGMA integrity_check").fetchall(), [("ok",)],
           "integrity")
    finally:
        db.close()


def test_pg_backends_terminated_mid_requests(d):
    """PostgreSQL: the daemon's server processes are killed while writes
    run. Each write answers 201 or 503; every 201 is kept; the same
    daemon serves again without a restart."""
    if d.backend != "postgresql":
        return
    import threading
    acked, answers, stop = [], [], threading.Event()

    def writer():
        while not stop.is_set():
            name = uniq("t")
            status, _, _ = d.request("POST", "/v1/services",
                                     {"name": name, "owner": "t"})
            answers.append(status)
            if status == 201:
                acked.append(name)

    threads = [threading.Thread(target=writer) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        for _ in range(8):
            pg_sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                   " WHERE datname = '%s' AND pid <> pg_backend_pid()"
                   % d.pg_database)
            time.sleep(0.15)
    finally:
        stop.set()
        for t in threads:
            t.join()
    check(set(answers) <= {201, 503}, "only 201 or 503: %s" % set(answers))
    check(503 in answers and 201 in answers, "faults met: %s"
          % sorted(set(answers)))
    for name in acked:
        eq(d.request("GET", "/v1/services/" + name)[0], 200,
           "acknowledged %s kept" % name)
    deadline = time.time() + 10
    while d.request("GET", "/readyz", auth=False)[0] != 200:
        check(time.time() < deadline, "ready again")
        time.sleep(0.1)
    api(d, "POST", "/v1/services", {"name": uniq("after"), "owner": "t"},
        201)


def test_pg_statement_timeout_refuses_the_gate(d):
    """PostgreSQL: the windows table is locked, so reading it runs past
    statement_timeout (set in the database URI): the gate answers 503
    naming windows, not a verdict."""
    if d.backend != "postgresql":
        return
    w = world(d)
    rel = ready_release(d)
    body = {"release": rel["id"], "environment": w["prod"]}
    slow = Daemon(env={"SHIPLOG_CACHE_MB": "0"})
    slow.pg_database = d.pg_database  # the same data, its own daemon
    slow.db = pg_database_uri(d.pg_database) + \
        "?options=-c%20statement_timeout%3D300"
    slow.token_file = os.path.join(slow.dir, "admin-token")
    slow.token = d.token
    slow.start()
    try:
        eq(api(slow, "POST", "/v1/gates/check", body, 200)["allowed"], True,
           "allowed before the lock")
        lock = subprocess.Popen(
            ["psql", pg_database_uri(d.pg_database), "-X", "-q"],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, text=True)
        lock.stdin.write("BEGIN; LOCK TABLE windows IN ACCESS EXCLUSIVE "
                         "MODE; SELECT pg_sleep(4); COMMIT;\n")
        lock.stdin.flush()
        time.sleep(0.5)
        try:
            status, _, doc = slow.request("POST", "/v1/gates/check", body)
            eq(status, 503, "gate while windows are locked: %s" % doc)
            eq(doc["type"], "https://shiplog.dev/problems/gate-unavailable",
               "type")
            check("windows" in [c["name"] for c in doc["checks"]], doc)
        finally:
            lock.stdin.close()
            lock.wait(timeout=30)
        eq(api(slow, "POST", "/v1/gates/check", body, 200)["allowed"], True,
           "allowed again")
    finally:
        slow.stop()
        shutil.rmtree(slow.dir, ignore_errors=True)


def main():
    global CTL
    # No read cache, and tokens kept for the whole walk: each call a
    # route makes is then the same call every time it runs.
    d = Daemon(env={"SHIPLOG_CACHE_MB": "0",
                    "SHIPLOG_TOKEN_CACHE_MS": "600000"})
    CTL = os.path.join(d.dir, "faults")
    d.extra_env["SHIPLOG_FAULTS"] = CTL
    return run_tests(globals(), daemon=d)


if __name__ == "__main__":
    sys.exit(main())
