#!/usr/bin/env python3
"""Every role against every write route, scoped tokens and grants.

For each role (admin, release_manager, approver, deployer, developer,
auditor) and each non-GET route of src/http/routes.c, admin prepares fresh
objects so the request can succeed, then the role's token sends it. The
permission table of src/core/perm.c says what must happen: allowed means
the exact success status and one audit entry by that token; refused means
403, a problem document naming the missing permission, no audit entry and
the object absent or unchanged. One test function per (role, route), so
the summary counts them.
"""
import itertools
import os
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Daemon, check, eq, run_tests  # noqa: E402

SHA = "ab" * 32
_seq = itertools.count(1)
_tag = "%x" % (os.getpid() & 0xffff)

ROLES = ["admin", "release_manager", "approver", "deployer", "developer",
         "auditor"]

# The permission table of src/core/perm.c: action -> roles holding it.
PERMS = {
    "read": set(ROLES),
    "catalog.write": {"admin", "release_manager"},
    "policy.write": {"admin", "release_manager"},
    "release.write": {"admin", "release_manager", "deployer", "developer"},
    "deploy": {"admin", "release_manager", "deployer"},
    "approve": {"admin", "release_manager", "approver"},
    "checklist.complete": {"admin", "release_manager", "approver",
                           "deployer", "developer"},
    "change.write": {"admin", "release_manager"},
    "window.write": {"admin", "release_manager"},
    "override": {"admin", "release_manager"},
    "grant.write": {"admin", "release_manager"},
    "token.admin": {"admin"},
    "incident.write": {"admin", "release_manager", "deployer", "developer"},
    "incident.cause": {"admin", "release_manager"},
}


def uniq(prefix):
    return "%s-%s-%d" % (prefix, _tag, next(_seq))


def api(d, method, path, body=None, want=None, token=None, **kw):
    status, h, doc = d.request(method, path, body, token=token, **kw)
    if want is not None:
        eq(status, want, "%s %s -> %s" % (method, path, doc))
    return doc


def q(**params):
    return "?" + urllib.parse.urlencode(params)


# ---- the audit log: followed from where we last looked ----

_audit = {"seq": 0}


def audit_new(d):
    """Audit entries appended since the last call (or since the start)."""
    items = []
    while True:
        doc = api(d, "GET", "/v1/audit?limit=500&after=%d" % _audit["seq"],
                  want=200)
        items += doc["items"]
        if doc["items"]:
            _audit["seq"] = doc["items"][-1]["seq"]
        if len(doc["items"]) < 500:
            return items


# ---- tokens, one per role, made once ----

_tokens = {}


def token(d, role, **scope):
    """(name, secret) of a token with that role (and scope); unscoped
    tokens are made once per role."""
    key = (role, tuple(sorted((k, tuple(v)) for k, v in scope.items())))
    if key not in _tokens or scope:
        name = uniq("tok-" + role.replace("_", "-"))
        body = dict(name=name, role=role, **scope)
        doc = api(d, "POST", "/v1/tokens", body, 201)
        _tokens[key] = (name, doc["token"])
    return _tokens[key]


# ---- objects admin prepares ----

def mk_service(d, owner="team-a", **extra):
    body = dict(name=uniq("svc"), owner=owner, **extra)
    return api(d, "POST", "/v1/services", body, 201)["name"]


def mk_env(d, **extra):
    body = dict(name=uniq("env"), rank=10, **extra)
    return api(d, "POST", "/v1/environments", body, 201)["name"]


def mk_release(d, svc=None, version="1.0.0", type="minor", **extra):
    svc = svc or mk_service(d)
    body = dict(service=svc, version=version, type=type, **extra)
    return api(d, "POST", "/v1/releases", body, 201)


def mk_deploy(d, rel, env, status="in_progress", **extra):
    body = dict(release=rel["id"],
                environment=env, status=status, **extra)
    return api(d, "POST", "/v1/deployments", body, 201)


def put_policy(d, env, policy):
    cur = api(d, "GET", "/v1/environments/%s/policy" % env, want=200)
    h = {"If-Match": '"%d"' % cur["version"]} if cur["version"] else None
    return api(d, "PUT", "/v1/environments/%s/policy" % env, policy, 200,
               headers=h)


# ---- the rows: (route, permission) -> prepare(d, role) -> case ----
#
# A case is a dict: method, path, body, ok (the success status) and
# unchanged(d): asserts the refused request left things as they were;
# optional token: the secret to send with (default: the role's).


def row_service_create(d, role):
    name = uniq("svc")
    return dict(method="POST", path="/v1/services",
                body={"name": name, "owner": "team-a"}, ok=201,
                unchanged=lambda d: api(d, "GET", "/v1/services/" + name,
                                        want=404))


def row_service_update(d, role):
    name = mk_service(d)

    def unchanged(d):
        eq(api(d, "GET", "/v1/services/" + name, want=200)["owner"],
           "team-a", "owner")
    return dict(method="PATCH", path="/v1/services/" + name,
                body={"owner": "team-z"}, ok=200, unchanged=unchanged)


def row_service_delete(d, role):
    name = mk_service(d)
    return dict(method="DELETE", path="/v1/services/" + name, body=None,
                ok=204, unchanged=lambda d: api(
                    d, "GET", "/v1/services/" + name, want=200))


def row_env_create(d, role):
    name = uniq("env")
    return dict(method="POST", path="/v1/environments",
                body={"name": name, "rank": 3}, ok=201,
                unchanged=lambda d: api(d, "GET", "/v1/environments/" + name,
                                        want=404))


def row_env_update(d, role):
    name = mk_env(d)

    def unchanged(d):
        eq(api(d, "GET", "/v1/environments/" + name,
               want=200)["protected"], False, "protected")
    return dict(method="PATCH", path="/v1/environments/" + name,
                body={"protected": True}, ok=200, unchanged=unchanged)


def row_env_delete(d, role):
    name = mk_env(d)
    return dict(method="DELETE", path="/v1/environments/" + name, body=None,
                ok=204, unchanged=lambda d: api(
                    d, "GET", "/v1/environments/" + name, want=200))


def row_release_create(d, role):
    svc = mk_service(d)
    return dict(method="POST", path="/v1/releases",
                body={"service": svc, "version": "2.0.0", "type": "major"},
                ok=201, unchanged=lambda d: api(
                    d, "GET", "/v1/releases/%s@2.0.0" % svc, want=404))


def row_release_update(d, role):
    rel = mk_release(d)

    def unchanged(d):
        eq(api(d, "GET", "/v1/releases/%d" % rel["id"], want=200)["notes"],
           rel["notes"], "notes")
    return dict(method="PATCH", path="/v1/releases/%d" % rel["id"],
                body={"notes": "changed by " + role}, ok=200,
                unchanged=unchanged)


def row_deploy_create(d, role):
    rel, env = mk_release(d), mk_env(d)

    def unchanged(d):
        eq(api(d, "GET", "/v1/deployments" + q(release=rel["id"]),
               want=200)["items"], [], "deployments of the release")
    return dict(method="POST", path="/v1/deployments",
                body={"release": rel["id"], "environment": env,
                      "status": "in_progress"}, ok=201, unchanged=unchanged)


def row_deploy_event(d, role):
    dep = mk_deploy(d, mk_release(d), mk_env(d))

    def unchanged(d):
        got = api(d, "GET", "/v1/deployments/%d" % dep["id"], want=200)
        eq((got["status"], len(got["events"])), ("in_progress", 1),
           "status and timeline")
    return dict(method="POST", path="/v1/deployments/%d/events" % dep["id"],
                body={"status": "succeeded"}, ok=201, unchanged=unchanged)


def row_deploy_rollback(d, role):
    svc, env = mk_service(d), mk_env(d)
    old = mk_release(d, svc, "1.0.0")
    new = mk_release(d, svc, "1.1.0")
    for rel in (old, new):
        dep = mk_deploy(d, rel, env)
        api(d, "POST", "/v1/deployments/%d/events" % dep["id"],
            {"status": "succeeded"}, 201)

    def unchanged(d):
        got = api(d, "GET", "/v1/deployments/%d" % dep["id"], want=200)
        eq(got["status"], "succeeded", "status")
        eq(len(api(d, "GET", "/v1/deployments" + q(release=old["id"]),
                   want=200)["items"]), 1, "deployments of the old release")
    return dict(method="POST",
                path="/v1/deployments/%d/rollback" % dep["id"],
                body={"reason": "bad"}, ok=201, unchanged=unchanged)


def tokens_named(d, name):
    return [t for t in api(d, "GET", "/v1/tokens", want=200)["items"]
            if t["name"] == name]


def row_token_create(d, role):
    name = uniq("tok")
    return dict(method="POST", path="/v1/tokens",
                body={"name": name, "role": "developer"}, ok=201,
                unchanged=lambda d: eq(tokens_named(d, name), [], "tokens"))


def row_token_revoke(d, role):
    name = uniq("tok")
    tid = api(d, "POST", "/v1/tokens", {"name": name, "role": "auditor"},
              201)["id"]

    def unchanged(d):
        eq(tokens_named(d, name)[0]["revoked_at"], None, "revoked_at")
    return dict(method="DELETE", path="/v1/tokens/%d" % tid, body=None,
                ok=204, unchanged=unchanged)


def row_policy_put(d, role):
    env = mk_env(d)

    def unchanged(d):
        eq(api(d, "GET", "/v1/environments/%s/policy" % env,
               want=200)["version"], 0, "policy version")
    return dict(method="PUT", path="/v1/environments/%s/policy" % env,
                body={"soak_minutes": 5}, ok=200, unchanged=unchanged)


def row_gate_check(d, role):
    rel, env = mk_release(d), mk_env(d)
    return dict(method="POST", path="/v1/gates/check",
                body={"release": rel["id"], "environment": env}, ok=200,
                unchanged=None, audited=False)


def row_approval_create(d, role):
    rel, env = mk_release(d), mk_env(d)

    def unchanged(d):
        eq(api(d, "GET", "/v1/releases/%d/approvals" % rel["id"],
               want=200)["items"], [], "approvals")
    return dict(method="POST", path="/v1/releases/%d/approvals" % rel["id"],
                body={"environment": env, "decision": "approve",
                      "comment": "fine"}, ok=201, unchanged=unchanged)


def row_approval_withdraw(d, role):
    rel, env = mk_release(d), mk_env(d)
    # Only the approver (or an admin) may withdraw: roles that may approve
    # withdraw their own decision, the others try admin's.
    by = token(d, role)[1] if role in PERMS["approve"] else None
    aid = api(d, "POST", "/v1/releases/%d/approvals" % rel["id"],
              {"environment": env, "decision": "approve"}, 201,
              token=by)["id"]

    def unchanged(d):
        items = api(d, "GET", "/v1/releases/%d/approvals" % rel["id"],
                    want=200)["items"]
        eq([a["withdrawn_at"] for a in items], [None], "withdrawn_at")
    return dict(method="DELETE", path="/v1/approvals/%d" % aid, body=None,
                ok=200, unchanged=unchanged)


def row_checklist_complete(d, role):
    env = mk_env(d)
    put_policy(d, env, {"checklists": [{"items": ["backup validated"]}]})
    rel = mk_release(d)

    def unchanged(d):
        got = api(d, "GET", "/v1/releases/%d/checklist?environment=%s"
                  % (rel["id"], env), want=200)
        eq([i["done"] for i in got["items"]], [None], "checklist")
    return dict(method="POST", path="/v1/releases/%d/checklist" % rel["id"],
                body={"environment": env, "item": "backup validated",
                      "evidence": "https://wiki.example/backup"}, ok=201,
                unchanged=unchanged)


def row_change_create(d, role):
    key = "CHG" + uniq("r").upper()
    return dict(method="POST", path="/v1/change-requests",
                body={"key": key, "class": "normal", "state": "new"}, ok=201,
                unchanged=lambda d: api(d, "GET", "/v1/change-requests/" + key,
                                        want=404))


def row_change_update(d, role):
    key = "CHG" + uniq("r").upper()
    api(d, "POST", "/v1/change-requests",
        {"key": key, "class": "normal", "state": "new"}, 201)

    def unchanged(d):
        eq(api(d, "GET", "/v1/change-requests/" + key, want=200)["state"],
           "new", "state")
    return dict(method="PATCH", path="/v1/change-requests/" + key,
                body={"state": "assess"}, ok=200, unchanged=unchanged)


def windows_named(d, name):
    return [w for w in api(d, "GET", "/v1/windows", want=200)["items"]
            if w["name"] == name]


def window_body(env, name):
    return {"name": name, "kind": "freeze", "environment": env,
            "timezone": "UTC", "start": "2031-01-01T00:00:00",
            "end": "2031-01-02T00:00:00"}


def row_window_create(d, role):
    env, name = mk_env(d), uniq("freeze")
    return dict(method="POST", path="/v1/windows",
                body=window_body(env, name), ok=201,
                unchanged=lambda d: eq(windows_named(d, name), [],
                                       "windows"))


def row_window_delete(d, role):
    env, name = mk_env(d), uniq("freeze")
    wid = api(d, "POST", "/v1/windows", window_body(env, name), 201)["id"]
    return dict(method="DELETE", path="/v1/windows/%d" % wid, body=None,
                ok=204, unchanged=lambda d: eq(len(windows_named(d, name)),
                                               1, "windows"))


def row_grant_create(d, role):
    env = mk_env(d)
    who = token(d, "auditor", environments=[env])[0]

    def unchanged(d):
        eq([g for g in api(d, "GET", "/v1/grants", want=200)["items"]
            if g["token"] == who], [], "grants")
    return dict(method="POST", path="/v1/grants",
                body={"token": who, "role": "deployer", "environment": env,
                      "hours": 1, "reason": "on call"}, ok=201,
                unchanged=unchanged)


def open_review(d, rel_type="emergency"):
    """An emergency deployment with an override, and the review it owes."""
    rel, env = mk_release(d, type=rel_type), mk_env(d)
    dep = mk_deploy(d, rel, env, override={"checks": ["windows"],
                                           "reason": "outage"})
    reviews = [v for v in api(d, "GET", "/v1/reviews?open=true",
                              want=200)["items"]
               if v["deployment_id"] == dep["id"]]
    eq(len(reviews), 1, "open reviews of the deployment")
    return reviews[0]


def row_review_close(d, role):
    rv = open_review(d)

    def unchanged(d):
        eq([v["closed_at"] for v in api(d, "GET", "/v1/reviews",
                                        want=200)["items"]
            if v["id"] == rv["id"]], [None], "closed_at")
    return dict(method="POST", path="/v1/reviews/%d/close" % rv["id"],
                body={"link": "https://wiki.example/pir/1"}, ok=200,
                unchanged=unchanged)


def mk_incident(d, env, svc):
    key = uniq("inc")
    api(d, "POST", "/v1/incidents",
        {"key": key, "severity": "major", "environment": env,
         "services": [svc], "summary": "errors"}, 201)
    return key


def row_incident_create(d, role):
    env, svc = mk_env(d), mk_service(d)
    key = uniq("inc")
    return dict(method="POST", path="/v1/incidents",
                body={"key": key, "severity": "minor", "environment": env,
                      "services": [svc], "summary": "slow"}, ok=201,
                unchanged=lambda d: api(d, "GET", "/v1/incidents/" + key,
                                        want=404))


def row_incident_update(d, role):
    key = mk_incident(d, mk_env(d), mk_service(d))

    def unchanged(d):
        eq(api(d, "GET", "/v1/incidents/" + key, want=200)["severity"],
           "major", "severity")
    return dict(method="PATCH", path="/v1/incidents/" + key,
                body={"severity": "critical"}, ok=200, unchanged=unchanged)


def row_incident_cause(d, role):
    env = mk_env(d)
    rel = mk_release(d)
    dep = mk_deploy(d, rel, env)
    key = mk_incident(d, env, rel["service"])

    def unchanged(d):
        eq(api(d, "GET", "/v1/incidents/" + key, want=200)["causes"], [],
           "causes")
    # The incident's entry and the deployment's (change_failure).
    return dict(method="POST", path="/v1/incidents/%s/causes" % key,
                body={"deployment_id": dep["id"]}, ok=201, entries=2,
                unchanged=unchanged)


def row_incident_withdraw(d, role):
    env = mk_env(d)
    rel = mk_release(d)
    dep = mk_deploy(d, rel, env)
    key = mk_incident(d, env, rel["service"])
    api(d, "POST", "/v1/incidents/%s/causes" % key,
        {"deployment_id": dep["id"]}, 201)

    def unchanged(d):
        eq(api(d, "GET", "/v1/deployments/%d" % dep["id"],
               want=200)["change_failure"], True, "change_failure")
    return dict(method="DELETE",
                path="/v1/incidents/%s/causes/%d" % (key, dep["id"]),
                body=None, ok=200, entries=2, unchanged=unchanged)


def row_known_issue(d, role):
    rel = mk_release(d)
    key = mk_incident(d, mk_env(d), rel["service"])

    def unchanged(d):
        eq(api(d, "GET", "/v1/incidents/" + key,
               want=200)["known_issue_of"], [], "known_issue_of")
    return dict(method="POST",
                path="/v1/releases/%d/known-issues" % rel["id"],
                body={"incident": key}, ok=201, unchanged=unchanged)


VERIFICATION = {"stabilisation_seconds": 60, "interval_seconds": 10,
                "probes": [{"name": "health",
                            "url": "http://{service}.test/healthz"}]}


def row_verification_put(d, role):
    env = mk_env(d)
    path = "/v1/environments/%s/verification" % env
    return dict(method="PUT", path=path, body=VERIFICATION, ok=201,
                unchanged=lambda d: api(d, "GET", path, want=404))


def row_verification_delete(d, role):
    env = mk_env(d)
    path = "/v1/environments/%s/verification" % env
    api(d, "PUT", path, VERIFICATION, 201)
    return dict(method="DELETE", path=path, body=None, ok=204,
                unchanged=lambda d: api(d, "GET", path, want=200))


ROWS = [
    ("POST /v1/services", "catalog.write", row_service_create),
    ("PATCH /v1/services/{name}", "catalog.write", row_service_update),
    ("DELETE /v1/services/{name}", "catalog.write", row_service_delete),
    ("POST /v1/environments", "catalog.write", row_env_create),
    ("PATCH /v1/environments/{name}", "catalog.write", row_env_update),
    ("DELETE /v1/environments/{name}", "catalog.write", row_env_delete),
    ("POST /v1/releases", "release.write", row_release_create),
    ("PATCH /v1/releases/{id}", "release.write", row_release_update),
    ("POST /v1/deployments", "deploy", row_deploy_create),
    ("POST /v1/deployments/{id}/events", "deploy", row_deploy_event),
    ("POST /v1/deployments/{id}/rollback", "deploy", row_deploy_rollback),
    ("POST /v1/tokens", "token.admin", row_token_create),
    ("DELETE /v1/tokens/{id}", "token.admin", row_token_revoke),
    ("PUT /v1/environments/{name}/policy", "policy.write", row_policy_put),
    ("POST /v1/gates/check", "read", row_gate_check),
    ("POST /v1/releases/{id}/approvals", "approve", row_approval_create),
    ("DELETE /v1/approvals/{id}", "approve", row_approval_withdraw),
    ("POST /v1/releases/{id}/checklist", "checklist.complete",
     row_checklist_complete),
    ("POST /v1/change-requests", "change.write", row_change_create),
    ("PATCH /v1/change-requests/{key}", "change.write", row_change_update),
    ("POST /v1/windows", "window.write", row_window_create),
    ("DELETE /v1/windows/{id}", "window.write", row_window_delete),
    ("POST /v1/grants", "grant.write", row_grant_create),
    ("POST /v1/reviews/{id}/close", "override", row_review_close),
    ("POST /v1/incidents", "incident.write", row_incident_create),
    ("PATCH /v1/incidents/{key}", "incident.write", row_incident_update),
    ("POST /v1/incidents/{key}/causes", "incident.cause", row_incident_cause),
    ("DELETE /v1/incidents/{key}/causes/{id}", "incident.cause",
     row_incident_withdraw),
    ("POST /v1/releases/{id}/known-issues", "release.write", row_known_issue),
    ("PUT /v1/environments/{name}/verification", "policy.write",
     row_verification_put),
    ("DELETE /v1/environments/{name}/verification", "policy.write",
     row_verification_delete),
]


def assert_refused(d, status, h, doc, perm, what):
    eq(status, 403, what)
    eq(h.get("content-type"), "application/problem+json", what)
    eq(doc["status"], 403, what)
    check(perm in doc["detail"], "%s: detail %r does not name %s"
          % (what, doc["detail"], perm))


def run_row(d, role, route, perm, prepare):
    case = prepare(d, role)
    name, secret = token(d, role)
    audit_new(d)  # everything admin prepared is behind us
    what = "%s as %s" % (route, role)
    status, h, doc = d.request(case["method"], case["path"], case["body"],
                               token=secret)
    # A deployment that moves its release on adds the release's entry.
    new = [e for e in audit_new(d) if e["action"] != "release.status"]
    if role in PERMS[perm]:
        eq(status, case["ok"], "%s -> %s" % (what, doc))
        if case.get("audited", True):
            eq([(e["actor"], e["via"]) for e in new],
               [(name, None)] * case.get("entries", 1),
               what + ": its audit entries, by the token")
        else:
            eq(new, [], what + ": no audit entry")
    else:
        assert_refused(d, status, h, doc, perm, what)
        eq(new, [], what + ": a refused request wrote an audit entry")
        case["unchanged"](d)


def _make(role, route, perm, prepare):
    def t(d):
        run_row(d, role, route, perm, prepare)
    return t


def _slug(route):
    s = route.lower().replace("/v1/", "").replace("{", "").replace("}", "")
    return "".join(c if c.isalnum() else "_" for c in s).strip("_")


for _role in ROLES:
    for _route, _perm, _prep in ROWS:
        _fn = "test_role_%s__%s" % (_role, _slug(_route))
        globals()[_fn] = _make(_role, _route, _perm, _prep)


# ---- scoped tokens ----

def deployments_of(d, rel):
    return api(d, "GET", "/v1/deployments" + q(release=rel["id"]),
               want=200)["items"]


def test_scope_deployer_limited_to_staging(d):
    staging, prod = mk_env(d), mk_env(d)
    name, secret = token(d, "deployer", environments=[staging])
    rel = mk_release(d)
    audit_new(d)
    dep = api(d, "POST", "/v1/deployments",
              {"release": rel["id"], "environment": staging,
               "status": "in_progress"}, 201, token=secret)
    eq(dep["deployer"], name, "deployer")
    eq([e["action"] for e in audit_new(d)
        if e["action"] != "release.status"], ["deployment.create"], "audit")
    status, h, doc = d.request("POST", "/v1/deployments",
                               {"release": rel["id"], "environment": prod,
                                "status": "in_progress"}, token=secret)
    assert_refused(d, status, h, doc, "deploy", "deploy outside the scope")
    check(prod in doc["detail"], doc)
    eq(audit_new(d), [], "nothing audited")
    eq([x["environment"] for x in deployments_of(d, rel)], [staging],
       "deployments")
    # Events on a deployment outside the scope are refused too.
    other = mk_deploy(d, mk_release(d), prod)
    audit_new(d)
    status, h, doc = d.request("POST",
                               "/v1/deployments/%d/events" % other["id"],
                               {"status": "failed"}, token=secret)
    assert_refused(d, status, h, doc, "deploy", "event outside the scope")
    eq(audit_new(d), [], "nothing audited")


def test_scope_deployer_limited_to_one_service(d):
    env = mk_env(d)
    a, b = mk_service(d), mk_service(d)
    _, secret = token(d, "deployer", services=[a])
    ra, rb = mk_release(d, a), mk_release(d, b)
    api(d, "POST", "/v1/deployments",
        {"release": ra["id"], "environment": env, "status": "in_progress"},
        201, token=secret)
    audit_new(d)
    status, h, doc = d.request("POST", "/v1/deployments",
                               {"release": rb["id"], "environment": env,
                                "status": "in_progress"}, token=secret)
    assert_refused(d, status, h, doc, "deploy", "other service")
    check(b in doc["detail"], doc)
    eq(audit_new(d), [], "nothing audited")
    eq(deployments_of(d, rb), [], "no deployment of b")
    # Releases of another service cannot be written either.
    status, h, doc = d.request("POST", "/v1/releases",
                               {"service": b, "version": "9.0.0",
                                "type": "minor"}, token=secret)
    assert_refused(d, status, h, doc, "release.write", "release of b")
    api(d, "GET", "/v1/releases/%s@9.0.0" % b, want=404)
    eq(audit_new(d), [], "nothing audited")


def test_scope_release_manager_limited_to_team(d):
    ours = mk_service(d, owner="payments")
    theirs = mk_service(d, owner="search")
    _, secret = token(d, "release_manager", teams=["payments"])
    audit_new(d)
    got = api(d, "PATCH", "/v1/services/" + ours, {"tier": 1}, 200,
              token=secret)
    eq(got["tier"], 1, "tier")
    eq(len(audit_new(d)), 1, "audited")
    status, h, doc = d.request("PATCH", "/v1/services/" + theirs,
                               {"tier": 1}, token=secret)
    assert_refused(d, status, h, doc, "catalog.write", "other team")
    eq(api(d, "GET", "/v1/services/" + theirs, want=200)["tier"], 3, "tier")
    eq(audit_new(d), [], "nothing audited")
    # A new service for the team is theirs to create; another team's is
    # not.
    mine = uniq("svc")
    api(d, "POST", "/v1/services", {"name": mine, "owner": "payments"}, 201,
        token=secret)
    status, h, doc = d.request("POST", "/v1/services",
                               {"name": uniq("svc"), "owner": "search"},
                               token=secret)
    assert_refused(d, status, h, doc, "catalog.write", "other team's new")
    audit_new(d)
    # Organisation-wide objects are for unscoped tokens.
    status, h, doc = d.request("POST", "/v1/windows",
                               window_body(None, uniq("org-freeze")),
                               token=secret)
    assert_refused(d, status, h, doc, "window.write", "org-wide window")
    eq(audit_new(d), [], "nothing audited")


def test_scope_reads_of_out_of_scope_objects_are_refused(d):
    # Issue 4: "Reading another scope's objects follows the same rule."
    env_in, env_out = mk_env(d), mk_env(d)
    a, b = mk_service(d), mk_service(d)
    _, secret = token(d, "deployer", environments=[env_in], services=[a])
    rb = mk_release(d, b)
    dep = mk_deploy(d, rb, env_out)
    answers = {}
    for path in ("/v1/services/" + b, "/v1/environments/" + env_out,
                 "/v1/releases/%d" % rb["id"],
                 "/v1/deployments/%d" % dep["id"]):
        answers[path] = d.request("GET", path, token=secret)[0]
    # In scope: still readable.
    eq(d.request("GET", "/v1/services/" + a, token=secret)[0], 200, "own")
    eq(d.request("GET", "/v1/environments/" + env_in, token=secret)[0], 200,
       "own env")
    bad = {p: s for p, s in answers.items() if s != 403}
    eq(bad, {}, "out-of-scope reads answered (want 403)")


# ---- time-bound grants ----

def test_grant_lets_a_developer_deploy_there_and_only_there(d):
    env, other = mk_env(d), mk_env(d)
    dev, secret = token(d, "developer", groups=["nobody"])  # a fresh one
    rel = mk_release(d)
    # Without a grant: refused.
    status, h, doc = d.request("POST", "/v1/deployments",
                               {"release": rel["id"], "environment": env,
                                "status": "in_progress"}, token=secret)
    assert_refused(d, status, h, doc, "deploy", "no grant yet")
    audit_new(d)
    g = api(d, "POST", "/v1/grants",
            {"token": dev, "role": "deployer", "environment": env,
             "hours": 4, "reason": "on call tonight"}, 201)
    eq((g["token"], g["role"], g["environment"], g["granted_by"]),
       (dev, "deployer", env, "admin"), "grant")
    audited = audit_new(d)
    eq([(e["action"], e["object_id"]) for e in audited],
       [("grant.create", str(g["id"]))], "the grant is audited")
    eq(audited[0]["change"], [{"op": "add", "path": "", "value": g}],
       "the grant as created is audited")
    check(any(x["id"] == g["id"] for x in
              api(d, "GET", "/v1/grants", want=200)["items"]), "listed")
    dep = api(d, "POST", "/v1/deployments",
              {"release": rel["id"], "environment": env,
               "status": "in_progress"}, 201, token=secret)
    used = audit_new(d)
    eq([(e["action"], e["actor"], e["via"]) for e in used],
       [("release.status", dev, "grant:%d" % g["id"]),
        ("deployment.create", dev, "grant:%d" % g["id"])],
       "the use is audited with the grant")
    # The grant covers that environment only.
    status, h, doc = d.request("POST", "/v1/deployments",
                               {"release": rel["id"], "environment": other,
                                "status": "in_progress"}, token=secret)
    assert_refused(d, status, h, doc, "deploy", "other environment")
    eq(audit_new(d), [], "nothing audited")
    eq([x["id"] for x in deployments_of(d, rel)], [dep["id"]],
       "deployments")


def test_grant_by_release_manager_and_not_by_approver(d):
    env = mk_env(d)
    dev, secret = token(d, "developer", groups=["g1"])
    _, rm = token(d, "release_manager")
    _, appr = token(d, "approver")
    audit_new(d)
    body = {"token": dev, "role": "deployer", "environment": env,
            "hours": 1, "reason": "incident 42"}
    status, h, doc = d.request("POST", "/v1/grants", body, token=appr)
    assert_refused(d, status, h, doc, "grant.write", "approver grants")
    eq(audit_new(d), [], "nothing audited")
    g = api(d, "POST", "/v1/grants", body, 201, token=rm)
    eq(g["expires_at"] > g["created_at"], True, "expires later")
    rel = mk_release(d)
    api(d, "POST", "/v1/deployments",
        {"release": rel["id"], "environment": env, "status": "in_progress"},
        201, token=secret)


def test_grant_does_not_reach_organisation_wide_objects(d):
    # A release_manager grant on one environment is not a
    # release_manager token: org-wide windows, change requests and other
    # environments stay out of reach.
    env, other = mk_env(d), mk_env(d)
    who, secret = token(d, "approver", groups=["g2"])
    api(d, "POST", "/v1/grants",
        {"token": who, "role": "release_manager", "environment": env,
         "hours": 2, "reason": "release night"}, 201)
    audit_new(d)
    # Inside the environment the grant works.
    api(d, "PUT", "/v1/environments/%s/policy" % env, {"soak_minutes": 1},
        200, token=secret)
    eq(audit_new(d)[0]["via"] is not None, True, "via the grant")
    name = uniq("org-freeze")
    checks = [
        ("POST", "/v1/windows", window_body(None, name), "window.write"),
        ("POST", "/v1/windows", window_body(other, name), "window.write"),
        ("PUT", "/v1/environments/%s/policy" % other, {"soak_minutes": 1},
         "policy.write"),
        ("POST", "/v1/services", {"name": uniq("svc"), "owner": "x"},
         "catalog.write"),
        ("POST", "/v1/change-requests",
         {"key": "CHG" + uniq("g").upper(), "class": "normal",
          "state": "new"}, "change.write"),
    ]
    for method, path, body, perm in checks:
        status, h, doc = d.request(method, path, body, token=secret)
        if status == 403:
            check(perm in doc["detail"], doc)
        eq(status, 403, "%s %s with a grant on %s -> %s"
           % (method, path, env, doc))
    eq(audit_new(d), [], "nothing audited")
    eq(windows_named(d, name), [], "no window")


def test_admin_grant_on_an_environment_mints_no_tokens(d):
    env = mk_env(d)
    who, secret = token(d, "developer", groups=["g4"])
    victim = api(d, "POST", "/v1/tokens",
                 {"name": uniq("tok"), "role": "auditor"}, 201)
    api(d, "POST", "/v1/grants",
        {"token": who, "role": "admin", "environment": env, "hours": 1,
         "reason": "migration"}, 201)
    audit_new(d)
    name = uniq("minted")
    for method, path, body in (
            ("POST", "/v1/tokens", {"name": name, "role": "admin"}),
            ("DELETE", "/v1/tokens/%d" % victim["id"], None),
            ("GET", "/v1/tokens", None)):
        status, h, doc = d.request(method, path, body, token=secret)
        assert_refused(d, status, h, doc, "token.admin", method + " " + path)
    eq(audit_new(d), [], "nothing audited")
    eq(tokens_named(d, name), [], "no token minted")
    eq(tokens_named(d, victim["name"])[0]["revoked_at"], None, "not revoked")


def test_only_a_role_holding_grant_admin_may_grant_the_admin_role(d):
    env = mk_env(d)
    who = token(d, "developer", groups=["g5"])[0]
    _, rm = token(d, "release_manager")
    audit_new(d)
    status, h, doc = d.request(
        "POST", "/v1/grants",
        {"token": who, "role": "admin", "environment": env, "hours": 1,
         "reason": "x"}, token=rm)
    assert_refused(d, status, h, doc, "grant.admin", "release_manager")
    check("granting the role admin" in doc["detail"], doc["detail"])
    eq(audit_new(d), [], "nothing audited")
    # Every other role is grant.write's, which the release manager holds.
    for role in ROLES[1:]:
        api(d, "POST", "/v1/grants",
            {"token": who, "role": role, "environment": env, "hours": 1,
             "reason": "x"}, 201, token=rm)
    api(d, "POST", "/v1/grants",
        {"token": who, "role": "admin", "environment": env, "hours": 1,
         "reason": "x"}, 201)


def test_grant_hours_out_of_range_is_422_and_writes_nothing(d):
    env = mk_env(d)
    dev = token(d, "developer", groups=["g3"])[0]
    audit_new(d)
    for hours in (0, 169, -1):
        status, h, doc = d.request(
            "POST", "/v1/grants",
            {"token": dev, "role": "deployer", "environment": env,
             "hours": hours, "reason": "x"})
        eq(status, 422, "hours %d -> %s" % (hours, doc))
        eq(h.get("content-type"), "application/problem+json", "problem")
        eq([e["field"] for e in doc.get("errors", [])], ["hours"], "field")
    # Unknown token, unknown environment.
    status, _, doc = d.request("POST", "/v1/grants",
                               {"token": uniq("nobody"), "role": "deployer",
                                "environment": env, "hours": 1,
                                "reason": "x"})
    eq(status, 422, doc)
    status, _, doc = d.request("POST", "/v1/grants",
                               {"token": dev, "role": "deployer",
                                "environment": uniq("nowhere"), "hours": 1,
                                "reason": "x"})
    eq(status, 422, doc)
    eq(audit_new(d), [], "nothing audited")
    eq([g for g in api(d, "GET", "/v1/grants", want=200)["items"]
        if g["token"] == dev], [], "no grant")


if __name__ == "__main__":
    sys.exit(run_tests(globals()))
