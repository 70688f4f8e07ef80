#!/usr/bin/env python3
"""Governance: policies, segregation of duties, approvals, checklists,
change requests, windows, promotion, dependencies, concurrency, overrides
and the gate engine that explains every "no".

Tests share one daemon; each makes its own environments (windows are
always tied to an environment, so a freeze here never blocks another
test) and its own releases.
"""
import datetime
import itertools
import os
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Daemon, check, entry_after, eq, run_tests  # noqa: E402

_seq = itertools.count(1)
_tag = "%x" % (os.getpid() & 0xffff)
_rank = itertools.count(701, 10)

CHECKS = ["permission", "segregation", "approvals", "checklist",
          "change_request", "windows", "promotion", "dependencies",
          "concurrency"]


def uniq(prefix):
    return "%s-%s-%d" % (prefix, _tag, next(_seq))


def api(d, method, path, body=None, want=None, token=None, **kw):
    status, h, doc = d.request(method, path, body, token=token, **kw)
    if want is not None:
        eq(status, want, "%s %s -> %s" % (method, path, doc))
    return doc


def problem(d, method, path, body, want, token=None, **kw):
    status, h, doc = d.request(method, path, body, token=token, **kw)
    eq(status, want, "%s %s -> %s" % (method, path, doc))
    eq(h.get("content-type"), "application/problem+json", "problem type")
    eq(doc["status"], want, "problem status")
    return doc


def q(**params):
    return "?" + urllib.parse.urlencode(params)


def fields(doc):
    return [e["field"] for e in doc.get("errors", [])]


_audit = {"seq": 0}


def audit_new(d):
    items = []
    while True:
        doc = api(d, "GET", "/v1/audit?limit=500&after=%d" % _audit["seq"],
                  want=200)
        items += doc["items"]
        if doc["items"]:
            _audit["seq"] = doc["items"][-1]["seq"]
        if len(doc["items"]) < 500:
            return items


def token(d, role, **scope):
    name = uniq("tok-" + role.replace("_", "-"))
    doc = api(d, "POST", "/v1/tokens", dict(name=name, role=role, **scope),
              201)
    return name, doc["token"]


def now():
    return datetime.datetime.now(datetime.timezone.utc).replace(
        microsecond=0)


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def wall(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S")


def parse_t(s):
    """An RFC 3339 UTC time as the daemon writes it, with or without
    microseconds."""
    fmt = "%Y-%m-%dT%H:%M:%S.%fZ" if "." in s else "%Y-%m-%dT%H:%M:%SZ"
    return datetime.datetime.strptime(s, fmt).replace(
        tzinfo=datetime.timezone.utc)


def mk_service(d, **extra):
    body = dict(name=uniq("svc"), owner="team-a", **extra)
    return api(d, "POST", "/v1/services", body, 201)["name"]


def mk_env(d, rank=None, policy=None, **extra):
    body = dict(name=uniq("env"), rank=rank or 10, **extra)
    name = api(d, "POST", "/v1/environments", body, 201)["name"]
    if policy is not None:
        put_policy(d, name, policy)
    return name


def mk_release(d, svc=None, version="1.0.0", type="minor", token=None,
               **extra):
    svc = svc or mk_service(d)
    body = dict(service=svc, version=version, type=type, **extra)
    return api(d, "POST", "/v1/releases", body, 201, token=token)


def put_policy(d, env, policy, token=None):
    cur = api(d, "GET", "/v1/environments/%s/policy" % env, want=200)
    h = {"If-Match": '"%d"' % cur["version"]} if cur["version"] else None
    return api(d, "PUT", "/v1/environments/%s/policy" % env, policy, 200,
               headers=h, token=token)


def gate(d, rel, env, token=None, **extra):
    body = dict(release=rel["id"], environment=env, **extra)
    doc = api(d, "POST", "/v1/gates/check", body, 200, token=token)
    eq([c["name"] for c in doc["checks"]], CHECKS, "check names in order")
    return doc


def verdict(doc, name):
    c = [c for c in doc["checks"] if c["name"] == name][0]
    return c["passed"], c["detail"]


def deploy(d, rel, env, want=201, token=None, **extra):
    body = dict(release=rel["id"], environment=env, **extra)
    status, h, doc = d.request("POST", "/v1/deployments", body, token=token)
    eq(status, want, "deploy -> %s" % doc)
    return doc


def succeed(d, rel, env, **extra):
    dep = deploy(d, rel, env, status="in_progress", **extra)
    return api(d, "POST", "/v1/deployments/%d/events" % dep["id"],
               {"status": "succeeded"}, 201)["deployment"]


def approve(d, rel, env, tok, want=201, decision="approve", **extra):
    body = dict(environment=env, decision=decision, **extra)
    status, h, doc = d.request("POST", "/v1/releases/%d/approvals"
                               % rel["id"], body, token=tok)
    eq(status, want, "approval -> %s" % doc)
    return doc


def deployments_of(d, rel):
    return api(d, "GET", "/v1/deployments" + q(release=rel["id"]),
               want=200)["items"]


# ---- policies ----

def test_policy_versions_are_kept_and_audited(d):
    env = mk_env(d)
    p0 = api(d, "GET", "/v1/environments/%s/policy" % env, want=200)
    eq((p0["version"], p0["policy"]["windows_mode"]), (0, "normal"),
       "defaults as version 0")
    audit_new(d)
    status, h, v1 = d.request("PUT", "/v1/environments/%s/policy" % env,
                              {"soak_minutes": 10})
    eq(status, 200, v1)
    eq((v1["version"], v1["policy"]["soak_minutes"], h.get("etag")),
       (1, 10, '"1"'), "version 1")
    v2 = api(d, "PUT", "/v1/environments/%s/policy" % env,
             {"soak_minutes": 20, "max_concurrent": 2}, 200,
             headers={"If-Match": '"1"'})
    eq(v2["version"], 2, "version 2")
    # A stale If-Match is 412 and writes nothing.
    problem(d, "PUT", "/v1/environments/%s/policy" % env,
            {"soak_minutes": 30}, 412, headers={"If-Match": '"1"'})
    entries = audit_new(d)
    eq([(e["action"], e["object_id"]) for e in entries],
       [("policy.update", env)] * 2, "every change audited")
    eq(entry_after(v1, entries[1]), v2, "the second entry turns version 1 "
       "into version 2")
    check({"op": "replace", "path": "/policy/soak_minutes", "value": 20}
          in entries[1]["change"], entries[1]["change"])
    vers = api(d, "GET", "/v1/environments/%s/policy/versions" % env,
               want=200)["items"]
    eq(sorted(v["version"] for v in vers), [1, 2], "versions listed")
    old = api(d, "GET", "/v1/environments/%s/policy?version=1" % env,
              want=200)
    eq((old["version"], old["policy"]["soak_minutes"],
        old["policy"]["max_concurrent"]), (1, 10, None), "version 1 kept")
    cur = api(d, "GET", "/v1/environments/%s/policy" % env, want=200)
    eq((cur["version"], cur["policy"]["soak_minutes"]), (2, 20), "latest")
    problem(d, "GET", "/v1/environments/%s/policy?version=9" % env, None,
            404)


def test_policy_validation_errors_name_the_field_and_write_nothing(d):
    env = mk_env(d, policy={"soak_minutes": 1})
    audit_new(d)
    bad = [
        ({"approvals": [{"group": "qa", "count": 1}], "colour": "red"},
         "colour"),
        ({"approvals": [{"group": "qa", "count": 0}]}, "count"),
        ({"approvals": [{"group": "qa", "count": 1, "who": "x"}]}, "who"),
        ({"checklists": [{"release_types": ["mega"], "items": ["a"]}]},
         "release_types"),
        ({"override_roles": ["admin", "janitor"]}, "override_roles"),
        ({"windows_mode": "sometimes"}, "windows_mode"),
        ({"change_request": {"required": True, "standard_types": ["x"]}},
         "standard_types"),
    ]
    for body, field in bad:
        doc = problem(d, "PUT", "/v1/environments/%s/policy" % env, body,
                      422, headers={"If-Match": '"1"'})
        check(any(field in f for f in fields(doc)),
              "%s: errors %r should name %s" % (body, doc.get("errors"),
                                                  field))
    eq(audit_new(d), [], "nothing audited")
    eq(api(d, "GET", "/v1/environments/%s/policy" % env, want=200)
       ["version"], 1, "still version 1")
    problem(d, "PUT", "/v1/environments/%s/policy" % uniq("nowhere"),
            {"soak_minutes": 1}, 404)


# ---- the gate check answer ----

def test_gate_check_lists_every_check_with_a_sentence(d):
    env, rel = mk_env(d), mk_release(d)
    doc = gate(d, rel, env)
    eq(doc["allowed"], True, doc)
    eq((doc["release"], doc["environment"]), (rel["name"], env), "names")
    for c in doc["checks"]:
        eq(c["passed"], True, c)
        check(len(c["detail"]) > 10, c)


def test_gate_check_bad_input_is_422_and_writes_nothing(d):
    env, rel = mk_env(d), mk_release(d)
    audit_new(d)
    doc = problem(d, "POST", "/v1/gates/check",
                  {"release": rel["id"], "environment": uniq("nowhere")}, 422)
    eq(fields(doc), ["environment"], doc)
    doc = problem(d, "POST", "/v1/gates/check",
                  {"release": "nope@9.9.9", "environment": env}, 422)
    eq(fields(doc), ["release"], doc)
    doc = problem(d, "POST", "/v1/gates/check",
                  {"release": rel["id"], "environment": env, "x": 1}, 422)
    eq(fields(doc), ["x"], doc)
    # Approvals for an unknown environment.
    doc = problem(d, "POST", "/v1/releases/%d/approvals" % rel["id"],
                  {"environment": uniq("nowhere"), "decision": "approve"},
                  422)
    eq(fields(doc), ["environment"], doc)
    eq(audit_new(d), [], "nothing audited")
    eq(api(d, "GET", "/v1/releases/%d/approvals" % rel["id"],
           want=200)["items"], [], "no approval")


# ---- segregation of duties ----

def test_segregation_author_may_not_approve(d):
    env = mk_env(d, policy={"segregation": {"author_may_not_approve": True},
                            "approvals": [{"group": "cab", "count": 1}]})
    rm, rm_secret = token(d, "release_manager", groups=["cab"])
    rel = mk_release(d, token=rm_secret)
    eq(rel["created_by"], rm, "author")
    audit_new(d)
    doc = problem(d, "POST", "/v1/releases/%d/approvals" % rel["id"],
                  {"environment": env, "decision": "approve"}, 403,
                  token=rm_secret)
    check("author_may_not_approve" in doc["detail"], doc)
    eq(audit_new(d), [], "nothing audited")
    # Someone else may.
    _, other = token(d, "approver", groups=["cab"])
    approve(d, rel, env, other)
    eq(gate(d, rel, env)["allowed"], True, "approved by another")


def test_segregation_approver_may_not_deploy(d):
    env = mk_env(d, policy={"segregation": {"approver_may_not_deploy": True}})
    rm, rm_secret = token(d, "release_manager")
    rel = mk_release(d)
    eq(gate(d, rel, env, token=rm_secret)["allowed"], True, "before")
    approve(d, rel, env, rm_secret)
    doc = gate(d, rel, env, token=rm_secret)
    passed, detail = verdict(doc, "segregation")
    eq((doc["allowed"], passed), (False, False), doc)
    check("approver_may_not_deploy" in detail and rm in detail, detail)
    audit_new(d)
    ref = problem(d, "POST", "/v1/deployments",
                  {"release": rel["id"], "environment": env,
                   "status": "in_progress"}, 409, token=rm_secret)
    check("approver_may_not_deploy" in ref["detail"], ref)
    eq([c["name"] for c in ref["checks"]], CHECKS, "the same list")
    eq(audit_new(d), [], "nothing audited")
    eq(deployments_of(d, rel), [], "no deployment")
    # Another deployer may.
    _, dep = token(d, "deployer")
    deploy(d, rel, env, token=dep, status="in_progress")


def test_segregation_deployer_may_not_be_author(d):
    env = mk_env(d, policy={"segregation":
                            {"deployer_may_not_be_author": True}})
    rm, rm_secret = token(d, "release_manager")
    rel = mk_release(d, token=rm_secret)
    passed, detail = verdict(gate(d, rel, env, token=rm_secret),
                             "segregation")
    eq(passed, False, detail)
    check("deployer_may_not_be_author" in detail, detail)
    # Queued, then started: the start is gated.
    dep = deploy(d, rel, env, token=rm_secret)
    eq(dep["status"], "queued", "queued is not gated")
    ref = problem(d, "POST", "/v1/deployments/%d/events" % dep["id"],
                  {"status": "in_progress"}, 409, token=rm_secret)
    check("deployer_may_not_be_author" in ref["detail"], ref)
    eq(api(d, "GET", "/v1/deployments/%d" % dep["id"], want=200)["status"],
       "queued", "still queued")
    # Admin did not write it and may start it.
    api(d, "POST", "/v1/deployments/%d/events" % dep["id"],
        {"status": "in_progress"}, 201)


# ---- approvals ----

def groups_env(d, **policy):
    p = {"approvals": [{"group": "qa", "count": 1},
                       {"group": "cab", "count": 2}]}
    p.update(policy)
    return mk_env(d, policy=p)


def test_approvals_by_group_are_listed_until_complete(d):
    env = groups_env(d)
    rel = mk_release(d)
    qa, qa_s = token(d, "approver", groups=["qa"])
    cab1, cab1_s = token(d, "approver", groups=["cab"])
    cab2, cab2_s = token(d, "approver", groups=["cab"])
    passed, detail = verdict(gate(d, rel, env), "approvals")
    eq(passed, False, detail)
    eq(detail, "missing approvals: 0 of 1 from qa; 0 of 2 from cab",
       "nothing yet")
    a = approve(d, rel, env, cab1_s, comment="looks fine")
    eq((a["group"], a["approver"], a["decision"]), ("cab", cab1, "approve"),
       "approval")
    # The same member twice is still one.
    approve(d, rel, env, cab1_s)
    passed, detail = verdict(gate(d, rel, env), "approvals")
    eq(detail, "missing approvals: 0 of 1 from qa; 1 of 2 from cab (%s)"
       % cab1, "one cab")
    approve(d, rel, env, qa_s)
    passed, detail = verdict(gate(d, rel, env), "approvals")
    eq((passed, detail), (False, "missing approvals: 1 of 2 from cab (%s)"
                          % cab1), "qa done")
    ref = problem(d, "POST", "/v1/deployments",
                  {"release": rel["id"], "environment": env,
                   "status": "in_progress"}, 409)
    check(ref["detail"].startswith("missing approvals"), ref)
    approve(d, rel, env, cab2_s)
    doc = gate(d, rel, env)
    eq(doc["allowed"], True, doc)
    check(verdict(doc, "approvals")[1].startswith("approved: "), doc)
    deploy(d, rel, env, status="in_progress")


def test_approval_from_outside_the_group_is_403(d):
    env = groups_env(d)
    rel = mk_release(d)
    _, qa_s = token(d, "approver", groups=["qa"])
    _, none_s = token(d, "approver")
    audit_new(d)
    doc = problem(d, "POST", "/v1/releases/%d/approvals" % rel["id"],
                  {"environment": env, "decision": "approve",
                   "group": "cab"}, 403, token=qa_s)
    check("cab" in doc["detail"], doc)
    doc = problem(d, "POST", "/v1/releases/%d/approvals" % rel["id"],
                  {"environment": env, "decision": "approve",
                   "group": "security"}, 422, token=qa_s)
    eq(fields(doc), ["group"], doc)
    eq(audit_new(d), [], "nothing audited")
    # A token in no group: its approval counts for no group.
    approve(d, rel, env, none_s)
    eq(verdict(gate(d, rel, env), "approvals")[1],
       "missing approvals: 0 of 1 from qa; 0 of 2 from cab", "no group")
    # The deployer role may not approve at all.
    _, dep_s = token(d, "deployer", groups=["qa"])
    doc = problem(d, "POST", "/v1/releases/%d/approvals" % rel["id"],
                  {"environment": env, "decision": "approve"}, 403,
                  token=dep_s)
    check("approve" in doc["detail"], doc)


def test_rejection_blocks_until_withdrawn(d):
    env = mk_env(d, policy={"approvals": [{"group": "cab", "count": 1}]})
    rel = mk_release(d)
    _, ok_s = token(d, "approver", groups=["cab"])
    rej, rej_s = token(d, "approver", groups=["cab"])
    approve(d, rel, env, ok_s)
    eq(gate(d, rel, env)["allowed"], True, "approved")
    r = approve(d, rel, env, rej_s, decision="reject",
                comment="no rollback plan")
    passed, detail = verdict(gate(d, rel, env), "approvals")
    eq(passed, False, detail)
    eq(detail, "rejected by %s: no rollback plan; withdraw or supersede it "
       "first" % rej, "rejecter named")
    # Someone else may not withdraw it.
    problem(d, "DELETE", "/v1/approvals/%d" % r["id"], None, 403,
            token=ok_s)
    got = api(d, "DELETE", "/v1/approvals/%d" % r["id"], want=200,
              token=rej_s)
    check(got["withdrawn_at"], got)
    eq(gate(d, rel, env)["allowed"], True, "unblocked")
    # Superseded: the rejecter rejects again, then approves.
    approve(d, rel, env, rej_s, decision="reject")
    eq(gate(d, rel, env)["allowed"], False, "blocked again")
    approve(d, rel, env, rej_s)
    eq(gate(d, rel, env)["allowed"], True, "superseded by an approval")


def test_approvals_expire(d):
    env = mk_env(d, policy={"approvals": [{"group": "cab", "count": 1}],
                            "approval_valid_hours": 2})
    rel = mk_release(d)
    _, s = token(d, "approver", groups=["cab"])
    a = approve(d, rel, env, s)
    check(a["expires_at"] and a["expires_at"] > a["at"], a)
    t = now()
    doc = gate(d, rel, env, at=iso(t + datetime.timedelta(hours=1)))
    eq(doc["allowed"], True, "in an hour")
    eq(doc["valid_until"], a["expires_at"], "holds until the approval "
       "expires")
    doc = gate(d, rel, env, at=iso(t + datetime.timedelta(hours=3)))
    eq(verdict(doc, "approvals"),
       (False, "missing approvals: 0 of 1 from cab"), "expired")
    eq(doc["valid_until"], None, "nothing ahead changes it by the clock")


def test_approvals_are_void_after_the_artifacts_change(d):
    env = mk_env(d, policy={"approvals": [{"group": "cab", "count": 1}]})
    art = {"name": "app.tar", "uri": "https://a.example/app.tar",
           "sha256": "ab" * 32}
    rel = mk_release(d, artifacts=[art])
    _, s = token(d, "approver", groups=["cab"])
    approve(d, rel, env, s)
    eq(gate(d, rel, env)["allowed"], True, "approved")
    # Same artifacts again: still approved.
    api(d, "PATCH", "/v1/releases/%d" % rel["id"], {"notes": "n"}, 200)
    eq(gate(d, rel, env)["allowed"], True, "notes do not void")
    art2 = dict(art, sha256="cd" * 32)
    api(d, "PATCH", "/v1/releases/%d" % rel["id"], {"artifacts": [art2]},
        200)
    eq(verdict(gate(d, rel, env), "approvals"),
       (False, "missing approvals: 0 of 1 from cab"), "void")
    approve(d, rel, env, s)
    eq(gate(d, rel, env)["allowed"], True, "approved again")


def test_pending_lists_what_waits_for_a_qa_member(d):
    env = groups_env(d)
    rel = mk_release(d)
    other = mk_release(d)
    _, qa_s = token(d, "approver", groups=["qa"])
    _, qa2_s = token(d, "approver", groups=["qa"])
    ids = (rel["id"], other["id"])
    mine = [i for i in api(d, "GET", "/v1/approvals/pending", want=200,
                           token=qa_s)["items"]
            if i["environment"] == env and i["release_id"] in ids]
    eq(sorted((i["release_id"], i["group"], i["have"], i["required"])
              for i in mine),
       sorted([(rel["id"], "qa", 0, 1), (other["id"], "qa", 0, 1)]),
       "pending for qa")
    approve(d, rel, env, qa2_s)
    mine = [i for i in api(d, "GET", "/v1/approvals/pending", want=200,
                           token=qa_s)["items"]
            if i["environment"] == env and i["release_id"] in ids]
    eq([i["release_id"] for i in mine], [other["id"]], "after qa2")
    # The deployer role may not ask.
    _, dep_s = token(d, "deployer")
    problem(d, "GET", "/v1/approvals/pending", None, 403, token=dep_s)


def test_pending_counts_what_the_gate_counts(d):
    """One person deciding twice is one approver, and a decision that no
    longer stands leaves the release waiting for its approver again."""
    env = mk_env(d, policy={"approvals": [{"group": "cab", "count": 2}]})
    rel = mk_release(d)
    _, a_s = token(d, "approver", groups=["cab"])
    b, b_s = token(d, "approver", groups=["cab"])

    def pending(tok):
        return [(i["have"], i["required"]) for i in
                api(d, "GET", "/v1/approvals/pending", want=200,
                    token=tok)["items"]
                if i["environment"] == env and i["release_id"] == rel["id"]]
    approve(d, rel, env, b_s)
    approve(d, rel, env, b_s)
    eq(verdict(gate(d, rel, env), "approvals"),
       (False, "missing approvals: 1 of 2 from cab (%s)" % b), "the gate")
    eq(pending(a_s), [(1, 2)], "pending counts one approver, as the gate")
    eq(pending(b_s), [], "b has decided")
    # b's decisions end with an edit of what they approved: it waits for
    # b again.
    art = {"name": "app.tar", "uri": "https://a.example/app.tar",
           "sha256": "ef" * 32}
    api(d, "PATCH", "/v1/releases/%d" % rel["id"], {"artifacts": [art]},
        200)
    eq(pending(b_s), [(0, 2)], "waits for b again")


# ---- checklists ----

ITEMS = ["backup validated", "rollback rehearsed", "on-call informed"]


def test_checklist_gates_the_start_of_a_major_release(d):
    env = mk_env(d, policy={"checklists": [{"release_types": ["major"],
                                            "items": ITEMS}]})
    rel = mk_release(d, version="2.0.0", type="major")
    minor = mk_release(d, type="minor")
    eq(verdict(gate(d, minor, env), "checklist"),
       (True, "no checklist applies"), "minor")
    dep = deploy(d, rel, env)
    eq(dep["status"], "queued", "queued")
    ref = problem(d, "POST", "/v1/deployments/%d/events" % dep["id"],
                  {"status": "in_progress"}, 409)
    eq(ref["detail"], "3 of 3 checklist items open: " + ", ".join(ITEMS),
       "open items")
    _, dev = token(d, "developer")
    done = api(d, "POST", "/v1/releases/%d/checklist" % rel["id"],
               {"environment": env, "item": ITEMS[0],
                "evidence": "https://wiki.example/backup/1"}, 201, token=dev)
    eq(done["evidence"], "https://wiki.example/backup/1", "evidence")
    api(d, "POST", "/v1/releases/%d/checklist" % rel["id"],
        {"environment": env, "item": ITEMS[1]}, 201)
    ref = problem(d, "POST", "/v1/deployments/%d/events" % dep["id"],
                  {"status": "in_progress"}, 409)
    eq(ref["detail"], "1 of 3 checklist items open: on-call informed",
       "one left")
    api(d, "POST", "/v1/releases/%d/checklist" % rel["id"],
        {"environment": env, "item": ITEMS[2]}, 201)
    got = api(d, "POST", "/v1/deployments/%d/events" % dep["id"],
              {"status": "in_progress"}, 201)
    eq(got["deployment"]["status"], "in_progress", "started")
    lst = api(d, "GET", "/v1/releases/%d/checklist?environment=%s"
              % (rel["id"], env), want=200)["items"]
    eq([i["item"] for i in lst], ITEMS, "items")
    first = lst[0]["done"]
    check(first["by"] and first["at"], first)
    eq(first["evidence"], "https://wiki.example/backup/1", "evidence kept")


def test_checklist_bad_items(d):
    env = mk_env(d, policy={"checklists": [{"release_types": ["major"],
                                            "items": ITEMS}]})
    rel = mk_release(d, version="3.0.0", type="major")
    audit_new(d)
    doc = problem(d, "POST", "/v1/releases/%d/checklist" % rel["id"],
                  {"environment": env, "item": "pray"}, 422)
    eq(fields(doc), ["item"], doc)
    eq(audit_new(d), [], "nothing audited")
    api(d, "POST", "/v1/releases/%d/checklist" % rel["id"],
        {"environment": env, "item": ITEMS[0]}, 201)
    audit_new(d)
    problem(d, "POST", "/v1/releases/%d/checklist" % rel["id"],
            {"environment": env, "item": ITEMS[0]}, 409)
    eq(audit_new(d), [], "nothing audited")
    _, auditor = token(d, "auditor")
    problem(d, "POST", "/v1/releases/%d/checklist" % rel["id"],
            {"environment": env, "item": ITEMS[1]}, 403, token=auditor)


# ---- change requests ----

def mk_change(d, **body):
    key = "CHG" + uniq("c").upper().replace("-", "")
    api(d, "POST", "/v1/change-requests", dict(key=key, **body), 201)
    return key


def test_change_request_required(d):
    env = mk_env(d, policy={"change_request": {"required": True,
                                               "standard_types": ["patch"]}})
    t = now()
    rel = mk_release(d)
    eq(verdict(gate(d, rel, env), "change_request"),
       (False, "%s needs an approved change request and the release names "
        "none" % env), "none named")
    rel = mk_release(d, change_request="CHG-NOT-THERE")
    eq(verdict(gate(d, rel, env), "change_request"),
       (False, "change request CHG-NOT-THERE is not known to shiplog"),
       "unknown key")
    key = mk_change(d, **{"class": "normal", "state": "assess"})
    rel = mk_release(d, change_request=key)
    eq(verdict(gate(d, rel, env), "change_request"),
       (False, "change request %s is assess, not approved" % key),
       "not approved")
    api(d, "PATCH", "/v1/change-requests/" + key, {"state": "authorize"},
        200)
    start, end = t + datetime.timedelta(hours=2), t + datetime.timedelta(
        hours=4)
    api(d, "PATCH", "/v1/change-requests/" + key,
        {"state": "approved", "window_start": iso(start),
         "window_end": iso(end)}, 200)
    doc = gate(d, rel, env)
    passed, detail = verdict(doc, "change_request")
    eq(passed, False, detail)
    check("does not cover now" in detail, detail)
    eq(doc["valid_until"], iso(start), "holds until the window opens")
    eq(deploy(d, rel, env, want=409, status="in_progress")["detail"],
       detail, "deployment refused with the same sentence")
    doc = gate(d, rel, env, at=iso(t + datetime.timedelta(hours=3)))
    eq(verdict(doc, "change_request"),
       (True, "change request %s is approved and its window is open" % key),
       "covered")
    eq(doc["valid_until"], iso(end), "holds until the window closes")
    # A standard change pre-approves the allowed types only.
    std = mk_change(d, **{"class": "standard", "state": "new"})
    patch = mk_release(d, version="1.0.1", type="patch", change_request=std)
    eq(verdict(gate(d, patch, env), "change_request"),
       (True, "%s is a standard change, pre-approved for this release type"
        % std), "standard patch")
    major = mk_release(d, version="2.0.0", type="major", change_request=std)
    eq(verdict(gate(d, major, env), "change_request")[0], False,
       "standard does not pre-approve a major")


def test_change_request_bad_input(d):
    audit_new(d)
    doc = problem(d, "POST", "/v1/change-requests",
                  {"key": "CHG" + uniq("x"), "class": "normal",
                   "state": "new", "window_start": "2030-01-02T00:00:00Z",
                   "window_end": "2030-01-01T00:00:00Z"}, 422)
    eq(fields(doc), ["window_end"], doc)
    doc = problem(d, "POST", "/v1/change-requests",
                  {"key": "CHG" + uniq("x"), "class": "weird",
                   "state": "new"}, 422)
    eq(fields(doc), ["class"], doc)
    eq(audit_new(d), [], "nothing audited")


# ---- windows ----

def mk_window(d, env, want=201, **body):
    b = dict(name=uniq("win"), kind="freeze", environment=env,
             timezone="UTC")
    b.update(body)
    status, h, doc = d.request("POST", "/v1/windows", b)
    eq(status, want, "window -> %s" % doc)
    return doc


def test_freeze_covering_now_refuses(d):
    env = mk_env(d)
    rel = mk_release(d)
    t = now()
    start, end = t - datetime.timedelta(hours=1), t + datetime.timedelta(
        hours=2)
    w = mk_window(d, env, name="year-end", start=wall(start), end=wall(end),
                  reason="year end")
    want = "freeze 'year-end' is in force until %s" % iso(end)
    doc = gate(d, rel, env)
    eq(verdict(doc, "windows"), (False, want), "freeze")
    eq(doc["valid_until"], iso(end), "holds until the freeze ends")
    ref = deploy(d, rel, env, want=409, status="in_progress")
    eq(ref["detail"], want, "deployment refused")
    eq(deployments_of(d, rel), [], "nothing written")
    # After the freeze, and in another environment, it does not apply.
    eq(verdict(gate(d, rel, env, at=iso(end + datetime.timedelta(
        minutes=1))), "windows")[0], True, "after")
    other = gate(d, rel, mk_env(d))
    eq((other["allowed"], other["valid_until"]), (True, None),
       "other environment")
    api(d, "DELETE", "/v1/windows/%d" % w["id"], want=204)
    eq(gate(d, rel, env)["allowed"], True, "deleted")


def test_a_verdict_says_until_when_the_clock_leaves_it_standing(d):
    env = mk_env(d)
    rel = mk_release(d)
    t = now()
    start, end = t + datetime.timedelta(hours=2), t + datetime.timedelta(
        hours=3)
    mk_window(d, env, start=wall(start), end=wall(end))
    doc = gate(d, rel, env)
    eq((doc["allowed"], doc["valid_until"]), (True, iso(start)),
       "allowed until the freeze begins")
    doc = gate(d, rel, env, at=iso(start))
    eq((doc["allowed"], doc["valid_until"]), (False, iso(end)),
       "refused from its start until its end")
    # A weekly window: the next change is the next occurrence's start.
    env2 = mk_env(d)
    mk_window(d, env2, kind="blackout", start=wall(start),
              duration_minutes=30, rrule="FREQ=WEEKLY")
    doc = gate(d, rel, env2, at=iso(start + datetime.timedelta(hours=1)))
    eq((doc["allowed"], doc["valid_until"]),
       (True, iso(start + datetime.timedelta(days=7))), "next week")


def test_maintenance_only_allows_only_inside_maintenance(d):
    env = mk_env(d, policy={"windows_mode": "maintenance_only"})
    rel = mk_release(d)
    t = now()
    eq(verdict(gate(d, rel, env), "windows"),
       (False, "%s allows deployments only in maintenance windows and none "
        "is scheduled" % env), "none")
    mstart = t + datetime.timedelta(days=2)
    mk_window(d, env, kind="maintenance", start=wall(mstart),
              end=wall(mstart + datetime.timedelta(hours=2)))
    eq(verdict(gate(d, rel, env), "windows"),
       (False, "%s allows deployments only in maintenance windows; the next "
        "opens at %s" % (env, iso(mstart))), "next")
    deploy(d, rel, env, want=409, status="in_progress")
    inside = gate(d, rel, env, at=iso(mstart + datetime.timedelta(hours=1)))
    eq(verdict(inside, "windows")[0], True, "inside")
    eq(inside["allowed"], True, inside)
    mk_window(d, env, kind="maintenance",
              start=wall(t - datetime.timedelta(minutes=5)),
              end=wall(t + datetime.timedelta(hours=1)))
    deploy(d, rel, env, status="in_progress")


def occurrences(d, wid, frm, to):
    doc = api(d, "GET", "/v1/windows" + q(**{"from": frm, "to": to}),
              want=200)
    return [(o["start"][:19] + "Z", o["end"][:19] + "Z")
            for o in doc["occurrences"] if o["window_id"] == wid]


def test_weekly_berlin_freeze_across_both_dst_changes(d):
    env = mk_env(d)
    w = mk_window(d, env, name="weekend", timezone="Europe/Berlin",
                  start="2026-01-02T18:00:00", rrule="FREQ=WEEKLY;BYDAY=FR",
                  duration_minutes=60 * 60)
    # Spring: clocks go forward on Sunday 29 March 2026.
    eq(occurrences(d, w["id"], "2026-03-19T00:00:00Z",
                   "2026-04-07T00:00:00Z"),
       [("2026-03-20T17:00:00Z", "2026-03-23T05:00:00Z"),
        ("2026-03-27T17:00:00Z", "2026-03-30T04:00:00Z"),
        ("2026-04-03T16:00:00Z", "2026-04-06T04:00:00Z")], "spring")
    # Autumn: clocks go back on Sunday 25 October 2026.
    eq(occurrences(d, w["id"], "2026-10-22T00:00:00Z",
                   "2026-11-03T00:00:00Z"),
       [("2026-10-23T16:00:00Z", "2026-10-26T05:00:00Z"),
        ("2026-10-30T17:00:00Z", "2026-11-02T05:00:00Z")], "autumn")
    rel = mk_release(d)
    doc = gate(d, rel, env, at="2026-03-29T12:00:00Z")
    eq(verdict(doc, "windows"),
       (False, "freeze 'weekend' is in force until 2026-03-30T04:00:00Z"),
       "inside the DST weekend")
    eq(verdict(gate(d, rel, env, at="2026-03-30T04:00:00Z"), "windows")[0],
       True, "Monday 06:00 CEST is outside")
    eq(verdict(gate(d, rel, env, at="2026-10-26T04:30:00Z"), "windows")[0],
       False, "Monday 05:30 CET is inside")


def test_bad_windows_are_422_and_write_nothing(d):
    env = mk_env(d)
    audit_new(d)
    base = dict(start="2030-01-04T18:00:00", duration_minutes=60)
    cases = [
        (dict(base, rrule="FREQ=SOMETIMES"), "rrule"),
        (dict(base, rrule="BYDAY=FR"), "rrule"),
        (dict(base, rrule="FREQ=WEEKLY;BYDAY=XX"), "rrule"),
        (dict(base, rrule="FREQ=WEEKLY", timezone="Mars/Olympus_Mons"),
         "timezone"),
        (dict(start="2030-01-02T00:00:00", end="2030-01-01T00:00:00"),
         "end"),
        (dict(start="2030-13-02T00:00:00", end="2030-12-03T00:00:00"),
         "start"),
    ]
    for body, field in cases:
        name = uniq("bad")
        doc = mk_window(d, env, want=422, name=name, **body)
        eq(d.request("GET", "/v1/windows")[0], 200, "list")
        check(field in fields(doc), "%s: %r should name %s"
              % (body, doc.get("errors"), field))
        eq([w for w in api(d, "GET", "/v1/windows", want=200)["items"]
            if w["name"] == name], [], "not stored")
    mk_window(d, uniq("nowhere"), want=422, start="2030-01-01T00:00:00",
              end="2030-01-02T00:00:00")
    eq(audit_new(d), [], "nothing audited")


# ---- promotion, dependencies, concurrency ----

def test_promotion_needs_success_below_and_soak(d):
    base = next(_rank)
    lower = mk_env(d, rank=base)
    higher = mk_env(d, rank=base + 1,
                    policy={"promotion": True, "soak_minutes": 30})
    rel = mk_release(d)
    eq(verdict(gate(d, rel, higher), "promotion"),
       (False, "the release has not succeeded in %s, the environment below "
        "%s" % (lower, higher)), "not below yet")
    deploy(d, rel, higher, want=409, status="in_progress")
    dep = succeed(d, rel, lower)
    passed, detail = verdict(gate(d, rel, higher), "promotion")
    eq(passed, False, detail)
    check(detail.startswith("the release must soak in %s until " % lower)
          and "(30 minutes" in detail, detail)
    eq(parse_t(gate(d, rel, higher)["valid_until"]),
       parse_t(dep["finished_at"]) + datetime.timedelta(minutes=30),
       "holds until the soak ends")
    fin = datetime.datetime.strptime(dep["finished_at"][:19],
                                     "%Y-%m-%dT%H:%M:%S")
    later = iso(fin + datetime.timedelta(minutes=31))
    eq(verdict(gate(d, rel, higher, at=later), "promotion"),
       (True, "the release succeeded in %s and has soaked" % lower), "soaked")
    # A failed deployment below does not count.
    rel2 = mk_release(d)
    dep2 = deploy(d, rel2, lower, status="in_progress")
    api(d, "POST", "/v1/deployments/%d/events" % dep2["id"],
        {"status": "failed"}, 201)
    eq(verdict(gate(d, rel2, higher, at=later), "promotion")[0], False,
       "failed below")


def test_dependencies_must_run_in_the_target(d):
    env = mk_env(d)
    db = mk_service(d)
    rel = mk_release(d, dependencies=[{"service": db, "range": "^1.4"}])
    eq(verdict(gate(d, rel, env), "dependencies"),
       (False, "%s ^1.4 is needed in %s but it does not run there"
        % (db, env)), "absent")
    succeed(d, mk_release(d, db, "1.3.0"), env)
    eq(verdict(gate(d, rel, env), "dependencies"),
       (False, "%s ^1.4 is needed in %s but 1.3.0 runs there" % (db, env)),
       "too old")
    deploy(d, rel, env, want=409, status="in_progress")
    succeed(d, mk_release(d, db, "1.5.2"), env)
    eq(verdict(gate(d, rel, env), "dependencies"),
       (True, "every dependency runs in %s" % env), "satisfied")
    # Running elsewhere does not count.
    eq(verdict(gate(d, rel, mk_env(d)), "dependencies")[0], False,
       "other environment")


def test_bad_dependency_range_is_422_at_release_creation(d):
    svc, db = mk_service(d), mk_service(d)
    audit_new(d)
    for rng in ("^^1", "1.2.x.y", ">=banana"):
        doc = problem(d, "POST", "/v1/releases",
                      {"service": svc, "version": "1.0.0", "type": "minor",
                       "dependencies": [{"service": db, "range": rng}]}, 422)
        check(any("range" in f for f in fields(doc)), doc)
    api(d, "GET", "/v1/releases/%s@1.0.0" % svc, want=404)
    eq(audit_new(d), [], "nothing audited")


def test_max_concurrent(d):
    env = mk_env(d, policy={"max_concurrent": 1})
    first, second = mk_release(d), mk_release(d)
    dep = deploy(d, first, env, status="in_progress")
    eq(verdict(gate(d, second, env), "concurrency"),
       (False, "%s allows 1 deployments at once and 1 are in progress"
        % env), "full")
    deploy(d, second, env, want=409, status="in_progress")
    api(d, "POST", "/v1/deployments/%d/events" % dep["id"],
        {"status": "succeeded"}, 201)
    eq(verdict(gate(d, second, env), "concurrency"),
       (True, "0 of 1 concurrent deployments in use"), "free")
    deploy(d, second, env, status="in_progress")
    # More in progress than the limit (they started before it was set):
    # refused, without counting every one of them.
    busy = mk_env(d)
    for _ in range(3):
        deploy(d, mk_release(d), busy, status="in_progress")
    put_policy(d, busy, {"max_concurrent": 2})
    eq(verdict(gate(d, mk_release(d), busy), "concurrency"),
       (False, "%s allows 2 deployments at once and more than that are in "
        "progress" % busy), "over the limit")
    put_policy(d, busy, {"max_concurrent": 4})
    eq(verdict(gate(d, mk_release(d), busy), "concurrency"),
       (True, "3 of 4 concurrent deployments in use"), "under the limit")


# ---- overrides and reviews ----

def frozen_env(d, **policy):
    env = mk_env(d, policy=policy or None)
    t = now()
    mk_window(d, env, name="incident-freeze",
              start=wall(t - datetime.timedelta(hours=1)),
              end=wall(t + datetime.timedelta(hours=3)))
    return env


OVR = {"checks": ["windows"], "reason": "payments down, hotfix needed"}


def test_override_rules(d):
    env = frozen_env(d, override_roles=["admin"])
    normal = mk_release(d, type="hotfix")
    emerg = mk_release(d, version="1.0.1", type="emergency")
    _, rm = token(d, "release_manager")
    audit_new(d)
    doc = problem(d, "POST", "/v1/deployments",
                  {"release": normal["id"], "environment": env,
                   "status": "in_progress", "override": OVR}, 422)
    check("only emergency releases" in doc["detail"], doc)
    doc = problem(d, "POST", "/v1/deployments",
                  {"release": emerg["id"], "environment": env,
                   "status": "in_progress",
                   "override": {"checks": ["windows"]}}, 422)
    check(any("reason" in f for f in fields(doc)), doc)
    doc = problem(d, "POST", "/v1/deployments",
                  {"release": emerg["id"], "environment": env,
                   "status": "in_progress",
                   "override": {"checks": ["windows"], "reason": ""}}, 422)
    check(any("reason" in f for f in fields(doc)), doc)
    doc = problem(d, "POST", "/v1/deployments",
                  {"release": emerg["id"], "environment": env,
                   "status": "in_progress", "override": OVR}, 403, token=rm)
    check("release_manager" in doc["detail"], doc)
    for c in ("dependencies", "permission", "segregation", "concurrency"):
        doc = problem(d, "POST", "/v1/deployments",
                      {"release": emerg["id"], "environment": env,
                       "status": "in_progress",
                       "override": {"checks": [c], "reason": "x"}}, 422)
        check(c in doc["detail"], doc)
    # Without an override the freeze holds.
    deploy(d, emerg, env, want=409, status="in_progress")
    eq(audit_new(d), [], "nothing audited")
    eq(deployments_of(d, emerg) + deployments_of(d, normal), [],
       "nothing written")
    eq([v for v in api(d, "GET", "/v1/reviews", want=200)["items"]
        if v["environment"] == env], [], "no review")
    # The gate check shows what an override would do.
    doc = gate(d, emerg, env, override=OVR)
    eq(doc["allowed"], True, doc)
    c = [c for c in doc["checks"] if c["name"] == "windows"][0]
    eq(c.get("overridden"), True, c)
    check(c["detail"].startswith("overridden by admin (%s): freeze "
                                 "'incident-freeze'" % OVR["reason"]), c)


def test_override_opens_a_review_closed_with_a_link(d):
    env = frozen_env(d)
    emerg = mk_release(d, type="emergency")
    dep = deploy(d, emerg, env, status="in_progress", override=OVR)
    ov = dep["override"]
    eq((ov["by"], ov["reason"], [c["check"] for c in ov["checks"]]),
       ("admin", OVR["reason"], ["windows"]), "who overrode what")
    check("incident-freeze" in ov["checks"][0]["detail"], ov)
    eq(api(d, "GET", "/v1/deployments/%d" % dep["id"], want=200)["override"],
       ov, "stored")
    rv = [v for v in api(d, "GET", "/v1/reviews?open=true",
                         want=200)["items"] if v["deployment_id"] == dep["id"]]
    eq(len(rv), 1, "one open review")
    rv = rv[0]
    eq((rv["overridden_by"], rv["environment"], rv["closed_at"]),
       ("admin", env, None), rv)
    problem(d, "POST", "/v1/reviews/%d/close" % rv["id"], {}, 422)
    problem(d, "POST", "/v1/reviews/%d/close" % rv["id"],
            {"link": "not a link"}, 422)
    _, dev = token(d, "developer")
    problem(d, "POST", "/v1/reviews/%d/close" % rv["id"],
            {"link": "https://wiki.example/pir/7"}, 403, token=dev)
    audit_new(d)
    closed = api(d, "POST", "/v1/reviews/%d/close" % rv["id"],
                 {"link": "https://wiki.example/pir/7"}, 200)
    eq((closed["link"], closed["closed_by"]),
       ("https://wiki.example/pir/7", "admin"), closed)
    eq([e["action"] for e in audit_new(d)], ["review.close"], "audited")
    check(all(v["id"] != rv["id"] for v in
              api(d, "GET", "/v1/reviews?open=true", want=200)["items"]),
          "no longer open")
    problem(d, "POST", "/v1/reviews/%d/close" % rv["id"],
            {"link": "https://wiki.example/pir/8"}, 409)


def test_queued_override_is_checked_then_used_at_start(d):
    env = frozen_env(d)
    hotfix = mk_release(d, type="hotfix")
    audit_new(d)
    # Queuing with an override checks it as starting would.
    doc = problem(d, "POST", "/v1/deployments",
                  {"release": hotfix["id"], "environment": env,
                   "override": OVR}, 422)
    check("only emergency releases" in doc["detail"], doc)
    eq(audit_new(d), [], "nothing audited")
    eq(deployments_of(d, hotfix), [], "nothing written")
    emerg = mk_release(d, type="emergency")
    dep = deploy(d, emerg, env, override=OVR)
    eq(dep["status"], "queued", "queued")
    eq([c["check"] for c in dep["override"]["checks"]], ["windows"],
       "what the override sets aside")
    got = api(d, "POST", "/v1/deployments/%d/events" % dep["id"],
              {"status": "in_progress"}, 201)
    eq(got["deployment"]["status"], "in_progress", "started under the "
       "override")
    # Without one, a queued deployment meets the freeze when it starts.
    plain = deploy(d, mk_release(d, type="emergency"), env)
    problem(d, "POST", "/v1/deployments/%d/events" % plain["id"],
            {"status": "in_progress"}, 409)


if __name__ == "__main__":
    sys.exit(run_tests(globals()))
