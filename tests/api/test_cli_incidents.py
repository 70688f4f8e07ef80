#!/usr/bin/env python3
"""End-to-end stories of the shiplog CLI's incident commands against the
real daemon: recording an incident, listing with filters, showing it with
its suspected deployments, confirming and withdrawing a cause, updating
and resolving it, and the exit codes of each (0 done, 1 refused by the
server, 2 usage error with nothing sent).

Each test runs the CLI (build/debug/shiplog through d.cli) and checks
what it printed and returned against what the API itself then answers.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import api, check, eq, run_tests, uniq  # noqa: E402
from test_incidents import mk_deploy, mk_env, mk_release, mk_service, token  # noqa: E402,E501


def run(d, *args, want=None, token=True):
    rc, out, err = d.cli(*args, token=token)
    if want is not None:
        eq(rc, want, "exit for %r (stdout %r, stderr %r)" % (args, out, err))
    return rc, out, err


def run_json(d, *args, want=0, **kw):
    _, out, _ = run(d, "--json", *args, want=want, **kw)
    return json.loads(out)


def audit_count(d):
    return len(api(d, "GET", "/v1/audit?limit=500", want=200)["items"])


def test_create_list_and_show_an_incident_with_its_suspects(d):
    env, svc, web = mk_env(d), mk_service(d), mk_service(d)
    rel = mk_release(d, svc, "1.2.3", commit="e" * 40)
    dep = mk_deploy(d, rel, env)
    key = uniq("inc")
    doc = run_json(d, "incident", "create", key, "--severity", "critical",
                   "--env", env, "--service", svc, "--service", web,
                   "--summary", "payments time out")
    eq((doc["key"], doc["severity"], doc["services"], doc["status"]),
       (key, "critical", [svc, web], "open"), "created")
    eq(api(d, "GET", "/v1/incidents/" + key, want=200)["summary"],
       "payments time out", "stored")
    _, out, _ = run(d, "incident", "list", "--service", web, want=0)
    lines = [line.split() for line in out.splitlines() if line.strip()]
    eq(lines[0][:3], ["KEY", "STATUS", "SEVERITY"], "header")
    eq([x[0] for x in lines[1:]], [key], "one row")
    items = run_json(d, "incident", "list", "--env", env, "--status",
                     "open")["items"]
    eq([x["key"] for x in items], [key], "json list")
    shown = run_json(d, "incident", "show", key)
    eq([s["deployment_id"] for s in shown["suspected"]], [dep["id"]],
       "suspected")
    _, out, _ = run(d, "incident", "show", key, want=0)
    check("suspected deployments:" in out, out)
    check("1.2.3" in out and str(dep["id"]) in out, out)


def test_confirm_withdraw_update_and_resolve(d):
    env, svc = mk_env(d), mk_service(d)
    dep = mk_deploy(d, mk_release(d, svc, "2.0.0"), env)
    key = uniq("inc")
    run(d, "incident", "create", key, "--severity", "major", "--env", env,
        "--service", svc, "--summary", "errors", "--started-at",
        "2030-01-01T00:00:00Z", want=0)
    doc = run_json(d, "incident", "cause", key, str(dep["id"]),
                   "--comment", "bad config")
    eq(doc["causes"][0]["comment"], "bad config", "comment")
    x = api(d, "GET", "/v1/deployments/%d" % dep["id"], want=200)
    eq((x["change_failure"], x["caused_incidents"]), (True, [key]), "marked")
    # A developer may not confirm: refused by the server, exit 1.
    rc, _, err = run(d, "incident", "withdraw", key, str(dep["id"]),
                     token=token(d, "developer"))
    eq(rc, 1, "developer refused")
    check("incident.cause" in err, err)
    run(d, "incident", "withdraw", key, str(dep["id"]), want=0)
    x = api(d, "GET", "/v1/deployments/%d" % dep["id"], want=200)
    eq(x["change_failure"], False, "cleared")
    doc = run_json(d, "incident", "update", key, "--severity", "minor")
    eq(doc["severity"], "minor", "updated")
    doc = run_json(d, "incident", "resolve", key, "--at",
                   "2030-01-01T02:00:00Z")
    eq((doc["status"], doc["resolution_seconds"]), ("resolved", 7200),
       "resolved")
    rc, _, err = run(d, "incident", "resolve", key, "--at",
                     "2029-12-31T00:00:00Z")
    eq(rc, 1, "before the start is refused")
    check("resolved_at" in err, err)


def test_usage_errors_send_nothing(d):
    n = audit_count(d)
    for args in (("incident", "cause", "k"),
                 ("incident", "cause", "k", "not-an-id"),
                 ("incident", "withdraw", "k", "0"),
                 ("incident", "create", "k", "--severity"),
                 ("incident", "explode")):
        rc, _, _ = run(d, *args)
        eq(rc, 2, "usage for %r" % (args,))
    eq(audit_count(d), n, "nothing written")
    rc, _, err = run(d, "incident", "show", uniq("none"))
    eq(rc, 1, "unknown incident")
    rc, out, _ = run(d, "incident", "--help")
    eq(rc, 0, "help")
    for sub in ("create", "list", "show", "update", "resolve", "cause",
                "withdraw"):
        check("shiplog incident " + sub in out, out)


if __name__ == "__main__":
    sys.exit(run_tests(globals()))
