#!/usr/bin/env python3
"""The rules no request may step around: a release's status follows its
deployments, what was approved is what ships, what shipped stays the
record, a rollback to anything but what ran before meets the gates,
change requests move along the ITSM path, and a release's type fits its
version.

Tests share one daemon; each makes its own services, environments and
releases.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Daemon, api, check, eq, run_tests,  # noqa: E402,F401
                     uniq)

def problem(d, method, path, body, want, token=None, **kw):
    status, h, doc = d.request(method, path, body, token=token, **kw)
    eq(status, want, "%s %s -> %s" % (method, path, doc))
    eq(h.get("content-type"), "application/problem+json", "problem type")
    return doc


def fields(doc):
    return [e["field"] for e in doc.get("errors", [])]


def last_seq(d):
    seq = 0
    while True:
        doc = api(d, "GET", "/v1/audit?limit=500&after=%d" % seq, want=200)
        if not doc["items"]:
            return seq
        seq = doc["items"][-1]["seq"]


def audit_after(d, seq):
    return api(d, "GET", "/v1/audit?limit=500&after=%d" % seq,
               want=200)["items"]


def token(d, role, **scope):
    doc = api(d, "POST", "/v1/tokens",
              dict(name=uniq("tok-" + role.replace("_", "-")), role=role,
                   **scope), 201)
    return doc["token"]


def mk_service(d, **extra):
    return api(d, "POST", "/v1/services",
               dict(name=uniq("svc"), owner="team-r", **extra), 201)["name"]


def mk_env(d, rank=10, policy=None):
    name = api(d, "POST", "/v1/environments",
               {"name": uniq("env"), "rank": rank}, 201)["name"]
    if policy is not None:
        api(d, "PUT", "/v1/environments/%s/policy" % name, policy, 200)
    return name


def mk_release(d, svc, version, type, **extra):
    return api(d, "POST", "/v1/releases",
               dict(service=svc, version=version, type=type, **extra), 201)


def approve(d, rel, env, tok):
    return api(d, "POST", "/v1/releases/%d/approvals" % rel["id"],
               {"environment": env, "decision": "approve"}, 201, token=tok)


def gate(d, rel, env):
    return api(d, "POST", "/v1/gates/check",
               {"release": rel["id"], "environment": env}, 200)


def verdict(doc, name):
    c = [c for c in doc["checks"] if c["name"] == name][0]
    return c["passed"], c["detail"]


def deploy_ok(d, rel, env):
    dep = api(d, "POST", "/v1/deployments",
              {"release": rel["id"], "environment": env,
               "status": "in_progress"}, 201)
    api(d, "POST", "/v1/deployments/%d/events" % dep["id"],
        {"status": "succeeded"}, 201)
    return dep


QA = {"approvals": [{"group": "qa", "count": 1}]}


# ---- 1. a release's status follows from its deployments ----

def test_a_never_deployed_release_cannot_be_set_released_by_hand(d):
    svc = mk_service(d)
    mk_release(d, svc, "2.4.0", "minor")
    rel = mk_release(d, svc, "3.0.0", "major")
    path = "/v1/releases/%s@3.0.0" % svc
    seq = last_seq(d)
    p = problem(d, "PATCH", path, {"status": "released"}, 409)
    eq(fields(p), ["status"], "names the field")
    check("from draft to released by hand" in p["detail"], p["detail"])
    p = problem(d, "PATCH", path, {"status": "in_progress"}, 409)
    check("from draft to in_progress by hand" in p["detail"], p["detail"])
    eq(last_seq(d), seq, "refusals write no audit entry")
    got = api(d, "GET", path, want=200)
    eq((got["status"], got["revision"]), ("draft", rel["revision"]),
       "unchanged")
    # What a person may do: plan, unplan, cancel.
    eq(api(d, "PATCH", path, {"status": "planned"}, 200)["status"],
       "planned", "planned")
    eq(api(d, "PATCH", path, {"status": "draft"}, 200)["status"], "draft",
       "back to draft")
    eq(api(d, "PATCH", path, {"status": "cancelled"}, 200)["status"],
       "cancelled", "cancelled")


def test_an_in_progress_release_is_released_only_by_its_deployment(d):
    svc = mk_service(d)
    low = mk_env(d, rank=1)
    rel = mk_release(d, svc, "3.0.0", "major")
    api(d, "POST", "/v1/deployments",
        {"release": rel["id"], "environment": low}, 201)
    path = "/v1/releases/%d" % rel["id"]
    eq(api(d, "GET", path, want=200)["status"], "in_progress", "started")
    p = problem(d, "PATCH", path, {"status": "released"}, 409)
    check("from in_progress to released by hand" in p["detail"], p["detail"])
    eq(api(d, "GET", path, want=200)["status"], "in_progress", "unchanged")


def test_the_cli_release_status_released_is_refused(d):
    svc = mk_service(d)
    mk_release(d, svc, "3.0.0", "major")
    rc, out, err = d.cli("release", "status", svc + "@3.0.0", "released")
    eq(rc, 1, "exit code (stdout %r, stderr %r)" % (out, err))
    check("by hand" in err, err)
    eq(api(d, "GET", "/v1/releases/%s@3.0.0" % svc, want=200)["status"],
       "draft", "still draft")


def test_a_release_still_becomes_released_by_its_deployment(d):
    svc = mk_service(d)
    env = mk_env(d, rank=1000)
    rel = mk_release(d, svc, "1.0.0", "major")
    deploy_ok(d, rel, env)
    eq(api(d, "GET", "/v1/releases/%d" % rel["id"], want=200)["status"],
       "released", "released by its deployment at the top")


# ---- 2. what was approved is what ships; what shipped stays ----

def test_changing_the_commit_voids_approvals_and_audits_it_with_the_edit(d):
    env = mk_env(d, policy=QA)
    svc = mk_service(d)
    rel = mk_release(d, svc, "1.0.0", "minor", commit="abcdef1")
    qa = token(d, "approver", groups=["qa"])
    a = approve(d, rel, env, qa)
    eq(a["voided_at"], None, "a new approval is not void")
    eq(gate(d, rel, env)["allowed"], True, "approved")
    # Notes are not what was approved.
    api(d, "PATCH", "/v1/releases/%d" % rel["id"], {"notes": "n"}, 200)
    eq(gate(d, rel, env)["allowed"], True, "notes do not void")
    seq = last_seq(d)
    api(d, "PATCH", "/v1/releases/%d" % rel["id"], {"commit": "1234567"},
        200)
    eq(verdict(gate(d, rel, env), "approvals"),
       (False, "missing approvals: 0 of 1 from qa"), "void at the gate")
    items = api(d, "GET", "/v1/releases/%d/approvals" % rel["id"],
                want=200)["items"]
    eq(len(items), 1, "the decision keeps its record")
    check(items[0]["voided_at"] is not None, items[0])
    eq(items[0]["void_reason"], "release revision 3 changed commit",
       "why")
    entries = audit_after(d, seq)
    eq([(e["action"], e["object_id"]) for e in entries],
       [("approval.void", str(a["id"])), ("release.update", str(rel["id"]))],
       "the void is audited with the edit")
    eq(entries[0]["request_id"], entries[1]["request_id"], "one request")
    ops = {o["path"]: o for o in entries[0]["change"]}
    eq((ops["/voided_at"]["op"], ops["/void_reason"]["value"]),
       ("replace", "release revision 3 changed commit"), "the change")
    eq(ops["/voided_at"]["value"], items[0]["voided_at"], "voided at")
    approve(d, rel, env, qa)
    eq(gate(d, rel, env)["allowed"], True, "approved again")


def test_dependencies_and_the_rollback_plan_void_approvals_too(d):
    env = mk_env(d, policy=QA)
    svc = mk_service(d)
    qa = token(d, "approver", groups=["qa"])
    rel = mk_release(d, svc, "1.0.0", "minor")
    for body in ({"rollback": {"target_version": "0.9.0"}},
                 {"dependencies": [{"service": svc, "range": "^1"}]}):
        approve(d, rel, env, qa)
        eq(verdict(gate(d, rel, env), "approvals")[0], True, "approved")
        api(d, "PATCH", "/v1/releases/%d" % rel["id"], body, 200)
        eq(verdict(gate(d, rel, env), "approvals"),
           (False, "missing approvals: 0 of 1 from qa"), "void: %s" % body)


def test_a_released_release_keeps_all_but_notes_and_known_issues(d):
    svc = mk_service(d)
    env = mk_env(d, rank=1000)
    art = {"name": "app", "uri": "oci://r/app", "sha256": "ab" * 32}
    rel = mk_release(d, svc, "1.0.0", "major", commit="abcdef1",
                     artifacts=[art])
    deploy_ok(d, rel, env)
    path = "/v1/releases/%d" % rel["id"]
    eq(api(d, "GET", path, want=200)["status"], "released", "released")
    seq = last_seq(d)
    for body, field in (({"commit": "1234567"}, "commit"),
                        ({"artifacts": []}, "artifacts"),
                        ({"type": "minor"}, "type"),
                        ({"notes": "x", "tags": {"a": "b"}}, "tags")):
        p = problem(d, "PATCH", path, body, 409)
        eq(fields(p), [field], "names %s" % field)
        check("only notes and known_issues may" in p["detail"], p["detail"])
    eq(last_seq(d), seq, "nothing written")
    got = api(d, "GET", path, want=200)
    eq((got["commit"], got["artifacts"], got["notes"]),
       ("abcdef1", [art], None), "unchanged")
    # The same value again is no change; notes and known issues are.
    got = api(d, "PATCH", path, {"commit": "abcdef1", "notes": "shipped",
                                 "known_issues": "none"}, 200)
    eq((got["notes"], got["known_issues"]), ("shipped", "none"), "notes")


# ---- 3. rollbacks ----

def test_a_rollback_to_a_planned_target_that_never_ran_there_is_gated(d):
    env = mk_env(d, policy=QA)
    svc = mk_service(d)
    qa = token(d, "approver", groups=["qa"])
    old = mk_release(d, svc, "0.9.0", "minor")
    rel = mk_release(d, svc, "1.0.0", "major",
                     rollback={"target_version": "0.9.0"})
    approve(d, rel, env, qa)
    dep = api(d, "POST", "/v1/deployments",
              {"release": rel["id"], "environment": env,
               "status": "in_progress"}, 201)
    seq = last_seq(d)
    p = problem(d, "POST", "/v1/deployments/%d/rollback" % dep["id"], {},
                409)
    eq(p["type"], "https://shiplog.dev/problems/gate-refused", "gated")
    eq(verdict(p, "approvals"), (False, "missing approvals: 0 of 1 from qa"),
       "the target's own approvals")
    eq(last_seq(d), seq, "nothing written")
    eq(api(d, "GET", "/v1/deployments/%d" % dep["id"], want=200)["status"],
       "in_progress", "not rolled back")
    approve(d, old, env, qa)
    nd = api(d, "POST", "/v1/deployments/%d/rollback" % dep["id"], {}, 201)
    eq((nd["version"], nd["rollback_of"]), ("0.9.0", dep["id"]),
       "approved target")


def test_a_rollback_to_what_ran_there_before_is_never_gated(d):
    env = mk_env(d, policy=QA)
    svc = mk_service(d)
    qa = token(d, "approver", groups=["qa"])
    v1 = mk_release(d, svc, "1.0.0", "minor")
    v2 = mk_release(d, svc, "1.1.0", "minor")
    a = approve(d, v1, env, qa)
    deploy_ok(d, v1, env)
    approve(d, v2, env, qa)
    dep = api(d, "POST", "/v1/deployments",
              {"release": v2["id"], "environment": env,
               "status": "in_progress"}, 201)
    # 1.0.0 would no longer pass the gate: its approval is withdrawn.
    api(d, "DELETE", "/v1/approvals/%d" % a["id"], want=200, token=qa)
    eq(gate(d, v1, env)["allowed"], False, "1.0.0 would be refused")
    nd = api(d, "POST", "/v1/deployments/%d/rollback" % dep["id"], {}, 201)
    eq((nd["version"], nd["status"]), ("1.0.0", "in_progress"),
       "back to what ran before")


def test_an_emergency_rollback_target_may_override_and_opens_a_review(d):
    env = mk_env(d, policy=QA)
    svc = mk_service(d)
    qa = token(d, "approver", groups=["qa"])
    mk_release(d, svc, "1.0.0", "minor")
    mk_release(d, svc, "1.0.1", "emergency")
    rel = mk_release(d, svc, "1.1.0", "minor",
                     rollback={"target_version": "1.0.1"})
    approve(d, rel, env, qa)
    dep = api(d, "POST", "/v1/deployments",
              {"release": rel["id"], "environment": env,
               "status": "in_progress"}, 201)
    nd = api(d, "POST", "/v1/deployments/%d/rollback" % dep["id"],
             {"override": {"checks": ["approvals"],
                           "reason": "INC-7: 1.1.0 corrupts ledgers"}}, 201)
    eq((nd["version"], nd["override"]["checks"][0]["check"]),
       ("1.0.1", "approvals"), "overridden")
    reviews = [rv for rv in api(d, "GET", "/v1/reviews?open=true",
                                want=200)["items"]
               if rv["deployment_id"] == nd["id"]]
    eq(len(reviews), 1, "a review is open")


# ---- 4. change requests ----

def test_change_request_states_follow_the_itsm_path(d):
    key = uniq("CHG")
    path = "/v1/change-requests/" + key
    api(d, "POST", "/v1/change-requests",
        {"key": key, "class": "normal", "state": "new"}, 201)
    seq = last_seq(d)
    p = problem(d, "PATCH", path, {"state": "approved"}, 409)
    eq(fields(p), ["state"], "field")
    eq(p["detail"], "a normal change request cannot move from new to "
       "approved", "names from and to")
    eq(last_seq(d), seq, "nothing written")
    for st in ("assess", "authorize", "approved"):
        eq(api(d, "PATCH", path, {"state": st}, 200)["state"], st, st)
    p = problem(d, "PATCH", path, {"state": "new"}, 409)
    eq(p["detail"], "a normal change request cannot move from approved to "
       "new", "approved stays approved")
    for st in ("implement", "review", "closed"):
        api(d, "PATCH", path, {"state": st}, 200)
    problem(d, "PATCH", path, {"state": "approved"}, 409)
    eq(api(d, "GET", path, want=200)["state"], "closed", "closed is final")


def test_a_standard_change_is_scheduled_without_authorisation(d):
    key = uniq("CHG")
    path = "/v1/change-requests/" + key
    api(d, "POST", "/v1/change-requests",
        {"key": key, "class": "standard", "state": "new"}, 201)
    problem(d, "PATCH", path, {"state": "assess"}, 409)
    eq(api(d, "PATCH", path, {"state": "scheduled"}, 200)["state"],
       "scheduled", "pre-approved")


# ---- 5. the release type fits the version ----

def test_the_release_type_must_fit_the_version_bump(d):
    svc = mk_service(d)
    first = mk_release(d, svc, "2.0.0", "major")
    eq(first["warnings"], [], "no warnings")
    seq = last_seq(d)
    p = problem(d, "POST", "/v1/releases",
                {"service": svc, "version": "2.0.2", "type": "major"}, 422)
    eq(fields(p), ["type"], "field")
    eq(p["detail"], "2.0.2 after 2.0.0 is a patch bump, not what a major "
       "release is: make it patch or hotfix or emergency, or a major "
       "release 3.0.0", "what would fit")
    p = problem(d, "POST", "/v1/releases",
                {"service": svc, "version": "0.0.1", "type": "patch"}, 422)
    eq(fields(p), ["version"], "field")
    check("below every release" in p["detail"], p["detail"])
    problem(d, "POST", "/v1/releases",
            {"service": svc, "version": "3.0.0", "type": "minor"}, 422)
    eq(last_seq(d), seq, "refusals write nothing")
    eq([r["version"] for r in api(d, "GET", "/v1/releases?service=" + svc,
                                  want=200)["items"]], ["2.0.0"], "one")
    patch = mk_release(d, svc, "2.0.1", "patch")
    mk_release(d, svc, "3.0.0-rc.1", "major")
    mk_release(d, svc, "3.0.0", "major")
    mk_release(d, svc, "2.1.0", "minor")  # a backport line
    # A type changed later is checked the same way.
    p = problem(d, "PATCH", "/v1/releases/%d" % patch["id"],
                {"type": "major"}, 422)
    eq(fields(p), ["type"], "patch field")
    eq(api(d, "PATCH", "/v1/releases/%d" % patch["id"], {"type": "hotfix"},
           200)["type"], "hotfix", "a hotfix is a patch bump")


def test_a_service_may_ask_for_warnings_instead(d):
    svc = mk_service(d, release_type_check="warn")
    eq(api(d, "GET", "/v1/services/" + svc, want=200)["release_type_check"],
       "warn", "kept")
    eq(api(d, "GET", "/v1/services/" + mk_service(d),
           want=200)["release_type_check"], "refuse", "the default")
    mk_release(d, svc, "2.0.0", "major")
    rel = mk_release(d, svc, "2.0.2", "major")
    eq(rel["warnings"], ["2.0.2 after 2.0.0 is a patch bump, not what a "
                         "major release is: make it patch or hotfix or "
                         "emergency, or a major release 3.0.0"], "warned")
    eq(api(d, "PATCH", "/v1/releases/%d" % rel["id"], {"type": "patch"},
           200)["warnings"], [], "fixed")


if __name__ == "__main__":
    sys.exit(run_tests(globals()))
