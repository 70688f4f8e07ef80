#!/usr/bin/env python3
"""End-to-end stories of the shiplog CLI's governance commands against the
real daemon: policies, gate checks, approvals, checklists, change
requests, windows, refused and emergency deployments, reviews, grants and
scoped tokens.

Each test runs the CLI (build/debug/shiplog, through d.cli with
SHIPLOG_URL and SHIPLOG_TOKEN in its environment) and checks what it
printed and returned against what the API itself then answers
(d.request). Every test makes its own services and environments, so they
share one daemon.
"""
import itertools
import json
import os
import subprocess
import sys
import tempfile
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import SHIPLOG, Daemon, run_tests  # noqa: E402,F401

_seq = itertools.count(1)


def uniq(prefix):
    """A slug no other test uses, so tests can share one daemon."""
    return "%s-%d" % (prefix, next(_seq))


def check(cond, *what):
    if not cond:
        raise AssertionError(" ".join(str(w) for w in what))


def eq(got, want, what=""):
    check(got == want, "%s: got %r, want %r" % (what, got, want))


def api(d, method, path, body=None, want=None):
    status, _, doc = d.request(method, path, body)
    if want is not None:
        eq(status, want, "%s %s (%s)" % (method, path, doc))
    return doc


def run(d, *args, token=True, want=None, stdin=None):
    """Runs the CLI; asserts the exit code when want is given; returns
    (exit code, stdout, stderr)."""
    if stdin is None:
        rc, out, err = d.cli(*args, token=token)
    else:
        e = dict(os.environ, SHIPLOG_URL=d.url,
                 SHIPLOG_TOKEN=d.token if token is True else token)
        p = subprocess.run([SHIPLOG] + list(args), input=stdin,
                           capture_output=True, text=True, env=e, timeout=60)
        rc, out, err = p.returncode, p.stdout, p.stderr
    if want is not None:
        eq(rc, want, "exit for %r (stdout %r, stderr %r)" % (args, out, err))
    return rc, out, err


def run_json(d, *args, token=True):
    _, out, _ = run(d, "--json", *args, token=token, want=0)
    return json.loads(out)


def rows(out):
    """The lines of a human table split into cells (header first)."""
    return [line.split() for line in out.splitlines() if line.strip()]


def check_rows(out):
    """{check name: RESULT} from a checks table."""
    got = {}
    for line in out.splitlines():
        cells = line.split()
        if len(cells) >= 2 and cells[1] in ("pass", "FAIL", "overridden"):
            got[cells[0]] = cells[1]
    return got


def setup(d, rank=None, type_="minor"):
    """A service, an environment and a release; returns (svc, env, ref)."""
    svc, env = uniq("svc"), uniq("env")
    api(d, "POST", "/v1/services", {"name": svc, "owner": "team"}, 201)
    api(d, "POST", "/v1/environments",
        {"name": env, "rank": rank if rank is not None else next(_seq)}, 201)
    api(d, "POST", "/v1/releases",
        {"service": svc, "version": "1.0.0", "type": type_}, 201)
    return svc, env, svc + "@1.0.0"


def write_json(doc):
    f = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
    json.dump(doc, f)
    f.close()
    return f.name


def make_token(d, role, *scope):
    """A token made through the CLI; returns (name, secret)."""
    name = uniq(role)
    tok = run_json(d, "token", "create", "--name", name, "--role", role,
                   *scope)
    return name, tok["token"]


def utc(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%S")


# --- policy, gate check, approvals ----------------------------------------

def test_policy_gate_check_and_approval_story(d):
    svc, env, ref = setup(d)
    path = write_json({"approvals": [{"group": "qa", "count": 1}]})
    try:
        _, out, _ = run(d, "policy", "set", env, "--file", path, want=0)
    finally:
        os.unlink(path)
    check("version 1" in out, out)
    pol = api(d, "GET", "/v1/environments/%s/policy" % env, want=200)
    eq(pol["version"], 1, "policy version")
    eq(pol["policy"]["approvals"], [{"group": "qa", "count": 1}], "approvals")

    # The CI step: not allowed, and the table names the missing group.
    rc, out, _ = run(d, "gate", "check", ref, env, want=1)
    eq(out.splitlines()[-1], "not allowed", "verdict line")
    eq(rows(out)[0], ["CHECK", "RESULT", "DETAIL"], "header")
    results = check_rows(out)
    eq(results.get("approvals"), "FAIL", "approvals row")
    line = [ln for ln in out.splitlines() if ln.startswith("approvals")][0]
    check("qa" in line and "0 of 1" in line, line)
    eq(len(results), 9, "every check listed")

    # A qa approver, scoped through the new token options.
    qa_name, qa = make_token(d, "approver", "--group", "qa", "--env", env)
    toks = api(d, "GET", "/v1/tokens", want=200)["items"]
    mine = [t for t in toks if t["name"] == qa_name][0]
    eq(mine["scope"], {"groups": ["qa"], "environments": [env]}, "scope")

    _, out, _ = run(d, "approvals", "pending", token=qa, want=0)
    check(any(r[0] == svc + "-1.0.0" and r[2] == env for r in rows(out)),
          out)

    run(d, "approve", ref, env, "--comment", "tested", token=qa, want=0)
    got = api(d, "GET", "/v1/releases/%s/approvals" % ref, want=200)
    eq(len(got["items"]), 1, "approvals written")
    eq(got["items"][0]["approver"], qa_name, "approver")
    eq(got["items"][0]["group"], "qa", "group")
    eq(got["items"][0]["comment"], "tested", "comment")

    _, out, _ = run(d, "approvals", "list", ref, "--env", env, want=0)
    check(qa_name in out and "approve" in out, out)

    rc, out, _ = run(d, "gate", "check", ref, env, want=0)
    eq(out.splitlines()[-1], "allowed", "verdict line")
    eq(check_rows(out).get("approvals"), "pass", "approvals row")
    doc = run_json(d, "gate", "check", ref, env)
    eq(doc["allowed"], True, "--json verdict")


def test_gate_check_says_until_when_the_verdict_stands(d):
    _, env, ref = setup(d)
    start = (datetime.now(timezone.utc) + timedelta(hours=2)).replace(
        microsecond=0)
    api(d, "POST", "/v1/windows",
        {"name": uniq("freeze"), "kind": "freeze", "environment": env,
         "timezone": "UTC", "start": utc(start),
         "end": utc(start + timedelta(hours=1))}, 201)
    _, out, _ = run(d, "gate", "check", ref, env, want=0)
    eq(out.splitlines()[-2:],
       ["the verdict stands until %sZ unless something is recorded before"
        % utc(start), "allowed"], "until and verdict lines")


def test_gate_check_json_still_exits_1_when_not_allowed(d):
    _, env, ref = setup(d)
    api(d, "PUT", "/v1/environments/%s/policy" % env,
        {"approvals": [{"group": "cab", "count": 2}]}, 200)
    rc, out, _ = run(d, "--json", "gate", "check", ref, env, want=1)
    doc = json.loads(out)
    eq(doc["allowed"], False, "allowed")
    names = [c["name"] for c in doc["checks"] if not c["passed"]]
    eq(names, ["approvals"], "failing checks")


def test_reject_blocks_until_withdrawn(d):
    _, env, ref = setup(d)
    run(d, "reject", ref, env, want=2)  # --comment is required
    eq(api(d, "GET", "/v1/releases/%s/approvals" % ref, want=200)["items"],
       [], "nothing written by the usage error")
    doc = run_json(d, "reject", ref, env, "--comment", "broken login")
    eq(doc["decision"], "reject", "decision")
    _, out, _ = run(d, "gate", "check", ref, env, want=1)
    line = [ln for ln in out.splitlines() if ln.startswith("approvals")][0]
    check("broken login" in line and "FAIL" in line, line)
    _, out, _ = run(d, "approvals", "withdraw", str(doc["id"]), want=0)
    check("withdrawn" in out, out)
    got = api(d, "GET", "/v1/releases/%s/approvals" % ref, want=200)
    check(got["items"][0]["withdrawn_at"], got)
    run(d, "gate", "check", ref, env, want=0)


def test_policy_set_from_stdin_round_trip_and_versions(d):
    _, env, _ = setup(d)
    run(d, "policy", "set", env, "-", want=2)  # no --file
    run(d, "policy", "set", env, "--file", "-", stdin="{not json",
        want=2)
    eq(api(d, "GET", "/v1/environments/%s/policy" % env, want=200)
       ["version"], 0, "nothing written")
    run(d, "policy", "set", env, "--file", "-",
        stdin=json.dumps({"soak_minutes": 30}), want=0)
    # What "policy get --json" prints goes back in as it is.
    _, got, _ = run(d, "--json", "policy", "get", env, want=0)
    doc = json.loads(got)
    doc["policy"]["soak_minutes"] = 45
    run(d, "policy", "set", env, "--file", "-", stdin=json.dumps(doc),
        want=0)
    pol = api(d, "GET", "/v1/environments/%s/policy" % env, want=200)
    eq(pol["version"], 2, "version")
    eq(pol["policy"]["soak_minutes"], 45, "soak")
    _, out, _ = run(d, "policy", "get", env, "--version", "1", want=0)
    check('"soak_minutes": 30' in out, out)
    _, out, _ = run(d, "policy", "versions", env, want=0)
    eq([r[0] for r in rows(out)], ["VERSION", "1", "2"], "versions")
    # --force skips the If-Match; an invalid document is the server's 422.
    run(d, "policy", "set", env, "--force", "--file", "-",
        stdin=json.dumps({"windows_mode": "sometimes"}), want=1)
    eq(api(d, "GET", "/v1/environments/%s/policy" % env, want=200)
       ["version"], 2, "no version for the invalid document")


# --- checklists -------------------------------------------------------------

def test_checklist_show_and_done(d):
    _, env, ref = setup(d)
    api(d, "PUT", "/v1/environments/%s/policy" % env,
        {"checklists": [{"items": ["backup validated", "on-call informed"]}]},
        200)
    _, out, _ = run(d, "checklist", "show", ref, env, want=0)
    check(all("no" in ln for ln in out.splitlines()[1:]), out)
    _, out, _ = run(d, "gate", "check", ref, env, want=1)
    check("2 of 2 checklist items open" in out, out)

    run(d, "checklist", "done", ref, env, "backup validated",
        "--evidence", "https://ci.example/backup/7", want=0)
    got = api(d, "GET", "/v1/releases/%s/checklist?environment=%s"
              % (ref, env), want=200)
    done = {i["item"]: i["done"] for i in got["items"]}
    eq(done["backup validated"]["evidence"], "https://ci.example/backup/7",
       "evidence")
    eq(done["on-call informed"], None, "still open")
    run(d, "checklist", "done", ref, env, "not on the list", want=1)
    run(d, "checklist", "done", ref, env, "on-call informed", want=0)
    _, out, _ = run(d, "checklist", "show", ref, env, want=0)
    check(all(" yes " in ln for ln in out.splitlines()[1:]), out)
    run(d, "gate", "check", ref, env, want=0)


# --- change requests --------------------------------------------------------

def test_change_create_update_list_get(d):
    key = "CHG%07d" % next(_seq)
    run(d, "change", "create", key, "--class", "normal", want=2)
    run(d, "change", "create", key, "--class", "normal", "--state", "new",
        "--window-start", "2030-01-01T00:00:00Z", want=2)
    api(d, "GET", "/v1/change-requests/" + key, want=404)
    run(d, "change", "create", key, "--class", "normal", "--state", "assess",
        "--system", "servicenow", "--risk", "moderate",
        "--window-start", "2030-01-01T20:00:00Z",
        "--window-end", "2030-01-01T23:00:00Z",
        "--url", "https://itsm.example/" + key, want=0)
    doc = api(d, "GET", "/v1/change-requests/" + key, want=200)
    eq((doc["class"], doc["state"], doc["risk"], doc["system"], doc["url"]),
       ("normal", "assess", "moderate", "servicenow",
        "https://itsm.example/" + key), "stored")
    _, _, err = run(d, "change", "update", key, "--state", "approved",
                    want=1)
    check("cannot move from assess to approved" in err, err)
    run(d, "change", "update", key, "--state", "authorize", want=0)
    run(d, "change", "update", key, "--state", "approved", want=0)
    doc = api(d, "GET", "/v1/change-requests/" + key, want=200)
    eq(doc["state"], "approved", "state")
    eq(doc["risk"], "moderate", "risk kept")
    run(d, "change", "update", key, "--state", "bogus", want=1)
    _, out, _ = run(d, "change", "list", want=0)
    check(any(r[0] == key and r[2] == "approved" for r in rows(out)), out)
    eq(run_json(d, "change", "get", key)["key"], key, "get")


def test_change_request_gate_uses_cli_records(d):
    svc, env, _ = setup(d)
    key = "CHG%07d" % next(_seq)
    api(d, "POST", "/v1/releases", {"service": svc, "version": "2.0.0",
                                    "type": "major", "change_request": key},
        201)
    api(d, "PUT", "/v1/environments/%s/policy" % env,
        {"change_request": {"required": True}}, 200)
    now = datetime.now(timezone.utc)
    run(d, "change", "create", key, "--class", "normal", "--state", "assess",
        "--window-start", utc(now - timedelta(hours=1)) + "Z",
        "--window-end", utc(now + timedelta(hours=5)) + "Z", want=0)
    _, out, _ = run(d, "gate", "check", svc + "@2.0.0", env, want=1)
    eq(check_rows(out).get("change_request"), "FAIL", out)
    run(d, "change", "update", key, "--state", "authorize", want=0)
    run(d, "change", "update", key, "--state", "approved", want=0)
    run(d, "gate", "check", svc + "@2.0.0", env, want=0)


# --- windows ----------------------------------------------------------------

def test_window_create_list_occurrences_delete(d):
    env = uniq("env")
    api(d, "POST", "/v1/environments", {"name": env, "rank": 50}, 201)
    # Fridays 18:00 Berlin for 12 hours; March 2025 has five Fridays and
    # the clocks change on the 30th.
    doc = run_json(d, "window", "create", "weekend freeze", "--kind",
                   "freeze", "--timezone", "Europe/Berlin", "--start",
                   "2025-01-03T18:00:00", "--rrule", "FREQ=WEEKLY;BYDAY=FR",
                   "--duration", "720", "--env", env, "--reason", "weekend")
    wid = doc["id"]
    stored = [w for w in api(d, "GET", "/v1/windows", want=200)["items"]
              if w["id"] == wid][0]
    eq((stored["kind"], stored["timezone"], stored["rrule"],
        stored["duration_minutes"], stored["environment"]),
       ("freeze", "Europe/Berlin", "FREQ=WEEKLY;BYDAY=FR", 720, env),
       "stored")

    _, out, _ = run(d, "window", "list", "--from", "2025-03-03T00:00:00Z",
                    "--to", "2025-04-07T00:00:00Z", "--env", env, want=0)
    table = rows(out)
    eq(table[0], ["WINDOW", "NAME", "KIND", "ENVIRONMENT", "START", "END"],
       "header")
    mine = [ln for ln in out.splitlines()[1:] if ln.split()[0] == str(wid)]
    starts = [ln.split()[-2] for ln in mine]
    eq(starts, ["2025-03-07T17:00:00Z", "2025-03-14T17:00:00Z",
                "2025-03-21T17:00:00Z", "2025-03-28T17:00:00Z",
                "2025-04-04T16:00:00Z"], "occurrences across the DST change")
    page = run_json(d, "window", "list", "--from", "2025-03-03T00:00:00Z",
                    "--to", "2025-04-07T00:00:00Z", "--env", env)
    eq(len([o for o in page["occurrences"] if o["window_id"] == wid]), 5,
       "--json occurrences")

    _, out, _ = run(d, "window", "list", "--env", env, want=0)
    check("weekend freeze" in out and "FREQ=WEEKLY;BYDAY=FR" in out, out)
    run(d, "window", "delete", str(wid), want=0)
    check(all(w["id"] != wid for w in
              api(d, "GET", "/v1/windows", want=200)["items"]), "deleted")


def test_window_usage_errors_send_nothing(d):
    before = len(api(d, "GET", "/v1/windows", want=200)["items"])
    base = ["window", "create", uniq("w"), "--kind", "freeze"]
    for extra in (["--timezone", "UTC"],  # no --start
                  ["--timezone", "UTC", "--start", "2030-01-01T00:00:00"],
                  ["--timezone", "UTC", "--start", "2030-01-01T00:00:00",
                   "--end", "2030-01-02T00:00:00", "--rrule", "FREQ=DAILY"],
                  ["--timezone", "UTC", "--start", "2030-01-01T00:00:00",
                   "--rrule", "FREQ=DAILY"],
                  ["--timezone", "UTC", "--start", "2030-01-01T00:00:00",
                   "--end", "2030-01-02T00:00:00", "--service-tag", "x"],
                  ["--timezone", "UTC", "--start", "2030-01-01T00:00:00",
                   "--rrule", "FREQ=DAILY", "--duration", "ten"]):
        run(d, *(base + extra), want=2)
    run(d, "window", "list", "--from", "2025-01-01T00:00:00Z", want=2)
    # The server's own checks: a malformed RRULE is refused (exit 1).
    run(d, *(base + ["--timezone", "UTC", "--start", "2030-01-01T00:00:00",
                     "--rrule", "FREQ=SOMETIMES", "--duration", "10"]),
        want=1)
    eq(len(api(d, "GET", "/v1/windows", want=200)["items"]), before,
       "no window written")


def test_a_window_given_a_bare_date_is_told_the_local_time_format(d):
    before = len(api(d, "GET", "/v1/windows", want=200)["items"])
    _, out, err = run(d, "window", "create", uniq("w"), "--kind", "freeze",
                      "--timezone", "UTC", "--start", "2026-12-24",
                      "--end", "2026-12-25T00:00:00Z", want=1)
    eq(out, "", "stdout")
    eq(err.splitlines(), [
        'shiplog: Invalid request: start: must be a local time '
        'YYYY-MM-DDTHH:MM:SS such as 2026-12-24T00:00:00 (no UTC offset; '
        'years 1970-9999), not "2026-12-24"',
        'shiplog: Invalid request: end: must be a local time '
        'YYYY-MM-DDTHH:MM:SS such as 2026-12-24T00:00:00 (no UTC offset; '
        'years 1970-9999), not "2026-12-25T00:00:00Z"',
    ], "each field once, with the format")
    # The API says the same.
    status, _, doc = d.request("POST", "/v1/windows", {
        "name": uniq("w"), "kind": "freeze", "timezone": "UTC",
        "start": "2026-12-24", "end": "2026-12-25T00:00:00"})
    eq(status, 422, "API status")
    eq([e["field"] for e in doc["errors"]], ["start"], "API fields")
    check("YYYY-MM-DDTHH:MM:SS" in doc["detail"], doc["detail"])
    eq(len(api(d, "GET", "/v1/windows", want=200)["items"]), before,
       "no window written")


# --- refused and emergency deployments, reviews ------------------------------

def frozen_env(d, svc_type="minor"):
    """An environment under a freeze that covers now; returns
    (svc, env, ref, window id)."""
    svc, env, ref = setup(d, type_=svc_type)
    now = datetime.now(timezone.utc)
    w = run_json(d, "window", "create", "incident freeze", "--kind",
                 "freeze", "--timezone", "UTC", "--start",
                 utc(now - timedelta(days=1)), "--end",
                 utc(now + timedelta(days=1)), "--env", env)
    return svc, env, ref, w["id"]


def test_deploy_refused_by_the_gates_prints_the_checks(d):
    svc, env, ref, _ = frozen_env(d)
    rc, out, err = run(d, "deploy", ref, env, "--status", "in_progress",
                       want=1)
    eq(out, "", "stdout")
    check("Refused by the gates" in err, err)
    check("CHECK" in err and "RESULT" in err, err)
    eq(check_rows(err).get("windows"), "FAIL", err)
    check("incident freeze" in err, err)
    got = api(d, "GET", "/v1/deployments?release=" + ref, want=200)
    eq(got["items"], [], "nothing written")

    # A queued deployment meets the gates when it starts.
    dep = run_json(d, "deploy", ref, env)
    rc, _, err = run(d, "deploy", "event", str(dep["id"]), "--status",
                     "in_progress", want=1)
    eq(check_rows(err).get("windows"), "FAIL", err)
    eq(api(d, "GET", "/v1/deployments/%d" % dep["id"], want=200)["status"],
       "queued", "still queued")

    # An override is for emergency releases only: refused, nothing written.
    run(d, "deploy", ref, env, "--status", "in_progress", "--override",
        "windows", "--reason", "try", want=1)
    eq(len(api(d, "GET", "/v1/deployments?release=" + ref,
               want=200)["items"]), 1, "still only the queued one")


def test_emergency_override_opens_a_review_that_closes(d):
    svc, env, ref, _ = frozen_env(d, svc_type="emergency")
    run(d, "deploy", ref, env, "--status", "in_progress", "--override",
        "windows", want=2)  # no --reason
    run(d, "deploy", ref, env, "--status", "in_progress", "--reason", "x",
        want=2)  # no --override
    eq(api(d, "GET", "/v1/deployments?release=" + ref, want=200)["items"],
       [], "nothing written by usage errors")

    # The gate check previews the override.
    _, out, _ = run(d, "gate", "check", ref, env, "--override", "windows",
                    "--reason", "sev1 outage", want=0)
    eq(check_rows(out).get("windows"), "overridden", out)

    rc, out, err = run(d, "deploy", ref, env, "--status", "in_progress",
                       "--override", "windows", "--reason", "sev1 outage",
                       want=0)
    check("review" in err, err)
    deps = api(d, "GET", "/v1/deployments?release=" + ref, want=200)["items"]
    eq(len(deps), 1, "one deployment")
    eq(deps[0]["status"], "in_progress", "status")
    eq(deps[0]["override"]["reason"], "sev1 outage", "override reason")
    eq([c["check"] for c in deps[0]["override"]["checks"]], ["windows"],
       "overridden checks")

    reviews = api(d, "GET", "/v1/reviews?open=true", want=200)["items"]
    mine = [r for r in reviews if r["deployment_id"] == deps[0]["id"]]
    eq(len(mine), 1, "one open review")
    rid = mine[0]["id"]
    _, out, _ = run(d, "review", "list", "--open", want=0)
    check(any(r[0] == str(rid) and r[4] == "windows" for r in rows(out)),
          out)

    run(d, "review", "close", str(rid), want=2)  # --link is required
    run(d, "review", "close", str(rid), "--link", "https://wiki.example/pir",
        want=0)
    doc = [r for r in api(d, "GET", "/v1/reviews", want=200)["items"]
           if r["id"] == rid][0]
    eq(doc["link"], "https://wiki.example/pir", "link")
    check(doc["closed_at"], doc)
    check(all(r["id"] != rid for r in
              api(d, "GET", "/v1/reviews?open=true", want=200)["items"]),
          "no longer open")
    _, out, _ = run(d, "review", "list", "--open", want=0)
    check(all(r[0] != str(rid) for r in rows(out)[1:]), out)
    run(d, "review", "close", str(rid), "--link", "https://wiki.example/pir",
        want=1)  # already closed


# --- grants -----------------------------------------------------------------

def test_grant_create_and_list(d):
    _, env, _ = setup(d)
    name, _ = make_token(d, "developer")
    run(d, "grant", "create", name, "deployer", env, "--hours", "4", want=2)
    run(d, "grant", "create", name, "deployer", env, "--hours", "four",
        "--reason", "on call", want=2)
    run(d, "grant", "create", name, "deployer", env, "--hours", "4",
        "--reason", "on call", want=0)
    got = [g for g in api(d, "GET", "/v1/grants", want=200)["items"]
           if g["token"] == name]
    eq(len(got), 1, "one grant")
    eq((got[0]["role"], got[0]["environment"], got[0]["reason"]),
       ("deployer", env, "on call"), "grant")
    _, out, _ = run(d, "grant", "list", want=0)
    check(any(r[1] == name and r[3] == env for r in rows(out)), out)
    run(d, "grant", "create", "no-such-token", "deployer", env, "--hours",
        "1", "--reason", "x", want=1)


# --- help and usage ---------------------------------------------------------

NEW_COMMANDS = [["gate"], ["gate", "check"], ["approve"], ["reject"],
                ["approvals"], ["approvals", "list"],
                ["approvals", "pending"], ["approvals", "withdraw"],
                ["policy"], ["policy", "get"], ["policy", "set"],
                ["policy", "versions"], ["checklist"],
                ["checklist", "show"], ["checklist", "done"], ["change"],
                ["change", "create"], ["change", "list"], ["change", "get"],
                ["change", "update"], ["window"], ["window", "create"],
                ["window", "list"], ["window", "delete"], ["grant"],
                ["grant", "create"], ["grant", "list"], ["review"],
                ["review", "list"], ["review", "close"], ["deploy"],
                ["token", "create"]]


def test_help_on_every_new_command_exits_0(d):
    for args in NEW_COMMANDS:
        for flag in ("--help", "-h"):
            rc, out, err = d.cli(*args, flag, token=False, url=False,
                                 env={"SHIPLOG_URL": "http://127.0.0.1:1"})
            eq(rc, 0, "exit for %r %s: %s" % (args, flag, err))
            check(out.startswith("usage: shiplog"), args, out)
    _, out, _ = d.cli("deploy", "--help")
    check("--override CHECK" in out and "--reason R" in out, out)
    _, out, _ = d.cli("token", "create", "--help")
    for opt in ("--env E", "--service S", "--team T", "--group G"):
        check(opt in out, opt, out)
    rc, out, _ = d.cli("--help")
    eq(rc, 0, "top help")
    for cmd in ("gate check", "approve", "reject", "approvals pending",
                "policy set", "checklist done", "change create",
                "window list", "grant create", "review close"):
        check(cmd in out, cmd, out)
    check("gate check found the release not" in out, out)


def test_usage_errors_exit_2_and_send_nothing(d):
    svc, env, ref = setup(d)
    cases = [
        ["gate"],
        ["gate", "check"],
        ["gate", "check", ref],
        ["gate", "check", ref, env, "extra"],
        ["gate", "check", ref, env, "--bogus"],
        ["gate", "check", ref, env, "--override", "windows"],
        ["approve", ref],
        ["approve", ref, env, "--comment"],
        ["reject", ref, env],
        ["approvals", "list"],
        ["approvals", "withdraw"],
        ["approvals", "explode"],
        ["policy", "get", env, "--version", "latest"],
        ["policy", "set", env],
        ["policy", "set", env, "--file", "/no/such/file.json"],
        ["checklist", "done", ref, env],
        ["change", "create", "CHG1", "--state", "new"],
        ["change", "update", "CHG1"],
        ["window", "create", "w", "--kind", "freeze"],
        ["window", "delete"],
        ["grant", "create", "t", "deployer"],
        ["grant", "create", "t", "deployer", env, "--reason", "r"],
        ["review", "close", "1"],
        ["review", "list", "--open=yes"],
        ["token", "create", "--name", "n", "--role", "admin", "--env"],
        ["deploy", ref, env, "--override", "windows"],
    ]
    for args in cases:
        rc, out, err = d.cli(*args)
        eq(rc, 2, "exit for %r (%s)" % (args, err))
        check("--help" in err, "hint for %r: %s" % (args, err))
    eq(api(d, "GET", "/v1/releases/%s/approvals" % ref, want=200)["items"],
       [], "no approvals")
    eq(api(d, "GET", "/v1/environments/%s/policy" % env, want=200)
       ["version"], 0, "no policy")
    eq(api(d, "GET", "/v1/deployments?release=" + ref, want=200)["items"],
       [], "no deployments")


def test_refusals_exit_1_and_network_errors_exit_3(d):
    _, env, ref = setup(d)
    run(d, "gate", "check", "nope@1.0.0", env, want=1)
    run(d, "approve", ref, "no-such-env", want=1)
    run(d, "policy", "get", "no-such-env", want=1)
    run(d, "approvals", "withdraw", "999999", want=1)
    # An auditor may read but not approve.
    _, auditor = make_token(d, "auditor")
    run(d, "approve", ref, env, token=auditor, want=1)
    run(d, "gate", "check", ref, env, token=auditor, want=1)
    rc, _, err = d.cli("gate", "check", ref, env, url=False,
                       env={"SHIPLOG_URL": "http://127.0.0.1:1"})
    eq(rc, 3, "unreachable: " + err)


if __name__ == "__main__":
    sys.exit(run_tests(globals()))
