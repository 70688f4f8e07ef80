#!/usr/bin/env python3
"""Scopes on reads and on organisation-wide writes, and dense recurring
windows.

- A token limited to some environments (or services, or teams) lists only
  the grants, post-incident reviews and approvals inside its scope, and
  reading a release's approvals or checklist outside it is 403, as reading
  a deployment outside it is.
- Services belong to no environment: a token limited to environments may
  not create, update or delete them (catalog.write), and nothing is
  written; its own environment it may still update.
- A freeze recurring every minute since 2020 is in force now: the gate
  says so and a deployment is refused; a rule too dense to evaluate within
  the bound is refused when written, naming the rrule.
"""
import datetime
import itertools
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import api, check, eq, run_tests, uniq  # noqa: E402

_ver = itertools.count(1)

def refused(d, method, path, body, want, token, mentions):
    status, h, doc = d.request(method, path, body, token=token)
    eq(status, want, "%s %s -> %s" % (method, path, doc))
    eq(h.get("content-type"), "application/problem+json", "problem type")
    for m in mentions:
        check(m in doc.get("detail", ""), "%r should mention %r"
              % (doc.get("detail"), m))
    return doc


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


def mk_service(d, owner="team-a"):
    return api(d, "POST", "/v1/services",
               dict(name=uniq("svc"), owner=owner), 201)["name"]


def mk_env(d, policy=None):
    name = api(d, "POST", "/v1/environments",
               dict(name=uniq("env"), rank=10), 201)["name"]
    if policy:
        api(d, "PUT", "/v1/environments/%s/policy" % name, policy, 200)
    return name


def mk_release(d, svc, type="minor"):
    return api(d, "POST", "/v1/releases",
               dict(service=svc, version="1.0.%d" % next(_ver), type=type),
               201)


def ids(items):
    return sorted(i["id"] for i in items)


# ---- reads ----

def test_a_staging_token_lists_only_staging_grants(d):
    staging, prod = mk_env(d), mk_env(d)
    who, _ = token(d, "developer")
    grants = {}
    for env in (staging, prod):
        grants[env] = api(d, "POST", "/v1/grants",
                          dict(token=who, role="deployer", environment=env,
                               hours=2, reason="on call"), 201)["id"]
    _, rm = token(d, "release_manager", environments=[staging])
    _, auditor = token(d, "auditor", environments=[staging])
    for secret in (rm, auditor):
        got = [g["id"] for g in api(d, "GET", "/v1/grants", want=200,
                                    token=secret)["items"]]
        check(grants[staging] in got, "own environment's grant listed")
        check(grants[prod] not in got, "%r lists production's grant"
              % got)
        eq({g["environment"] for g in api(d, "GET", "/v1/grants", want=200,
                                          token=secret)["items"]},
           {staging}, "only staging's grants")
    # An unscoped token still sees both.
    got = [g["id"] for g in api(d, "GET", "/v1/grants", want=200)["items"]]
    check(grants[staging] in got and grants[prod] in got, got)


def overridden_deployment(d, env, svc):
    """A deployment of an emergency release that set the approvals aside:
    it opens a post-incident review."""
    rel = mk_release(d, svc, type="emergency")
    dep = api(d, "POST", "/v1/deployments",
              dict(release=rel["id"], environment=env, status="in_progress",
                   override={"checks": ["approvals"],
                             "reason": "INC-1: must ship"}), 201)
    return dep["id"]


def reviews(d, secret):
    return {r["deployment_id"]: r for r in api(d, "GET", "/v1/reviews",
                                               want=200,
                                               token=secret)["items"]}


def test_reviews_are_listed_only_inside_the_scope(d):
    policy = {"approvals": [{"group": "cab", "count": 1}]}
    staging, prod = mk_env(d, policy), mk_env(d, policy)
    ours, theirs = mk_service(d, owner="payments"), mk_service(d,
                                                               owner="search")
    deps = {(e, s): overridden_deployment(d, e, s)
            for e in (staging, prod) for s in (ours, theirs)}
    everyone = reviews(d, None)
    check(all(i in everyone for i in deps.values()), "all four reviews")
    cases = [
        (dict(environments=[staging]), {(staging, ours), (staging, theirs)}),
        (dict(services=[ours]), {(staging, ours), (prod, ours)}),
        (dict(teams=["search"]), {(staging, theirs), (prod, theirs)}),
        (dict(environments=[prod], services=[theirs]), {(prod, theirs)}),
    ]
    for scope, want in cases:
        for role in ("release_manager", "auditor"):
            _, secret = token(d, role, **scope)
            seen = reviews(d, secret)
            eq({k for k, v in deps.items() if v in seen}, want,
               "%s %s sees" % (role, scope))
            # Nothing of another scope slips in.
            for r in seen.values():
                if "environments" in scope:
                    check(r["environment"] in scope["environments"], r)
    _, open_only = token(d, "auditor", environments=[staging])
    got = api(d, "GET", "/v1/reviews?open=true", want=200,
              token=open_only)["items"]
    check(all(r["environment"] == staging for r in got), got)
    check(deps[(staging, ours)] in [r["deployment_id"] for r in got], got)


def test_the_audit_log_lists_only_entries_inside_the_scope(d):
    staging, prod = mk_env(d), mk_env(d)
    ours, theirs = mk_service(d, owner="payments"), mk_service(d,
                                                               owner="search")
    rel = mk_release(d, ours)
    deps = {}
    for env in (staging, prod):
        deps[env] = api(d, "POST", "/v1/deployments",
                        dict(release=rel["id"], environment=env), 201)["id"]

    def entries(secret):
        items, after = [], 0
        while True:
            doc = api(d, "GET", "/v1/audit?limit=500&after=%d" % after,
                      want=200, token=secret)
            items += doc["items"]
            if not doc["next_cursor"]:
                return items
            after = int(doc["next_cursor"])

    def about(items, otype, oid):
        return [e for e in items if e["object_type"] == otype and
                e["object_id"] == str(oid)]

    everything = entries(None)
    for env in (staging, prod):
        check(about(everything, "deployment", deps[env]), "unscoped: %s" % env)
    _, secret = token(d, "auditor", environments=[staging])
    seen = entries(secret)
    check(about(seen, "deployment", deps[staging]), "its own deployment")
    eq(about(seen, "deployment", deps[prod]), [], "not production's")
    eq(about(seen, "environment", prod), [], "not production itself")
    check(about(seen, "environment", staging), "staging itself")
    eq([e for e in seen if e["object_type"] == "token"], [],
       "no token entries: they belong to no environment")
    for e in seen:
        for o in e["change"]:
            v = o.get("value")
            if o["path"] == "/environment":
                check(v in (None, staging), e)
            if isinstance(v, dict):
                check(v.get("environment") in (None, staging), e)
    _, narrow = token(d, "auditor", services=[theirs])
    seen = entries(narrow)
    eq(about(seen, "release", rel["id"]), [], "another service's release")
    check(about(seen, "service", theirs), "its own service")


def test_approvals_of_other_environments_are_left_out(d):
    staging, prod = mk_env(d), mk_env(d)
    svc, other = mk_service(d), mk_service(d)
    rel = mk_release(d, svc)
    made = {}
    for env in (staging, prod):
        made[env] = api(d, "POST", "/v1/releases/%d/approvals" % rel["id"],
                        dict(environment=env, decision="approve"),
                        201)["id"]
    path = "/v1/releases/%d/approvals" % rel["id"]
    eq(ids(api(d, "GET", path, want=200)["items"]),
       sorted(made.values()), "unscoped sees both")
    for role in ("release_manager", "auditor"):
        _, secret = token(d, role, environments=[staging])
        eq(ids(api(d, "GET", path, want=200, token=secret)["items"]),
           [made[staging]], role + ": staging's only")
        eq(api(d, "GET", path + "?environment=" + prod, want=200,
               token=secret)["items"], [], role + ": asking for production")
        eq(ids(api(d, "GET", path + "?environment=" + staging, want=200,
                   token=secret)["items"]), [made[staging]],
           role + ": asking for staging")
    # A release of a service outside the scope: 403, as reading the
    # release itself is.
    _, narrow = token(d, "auditor", services=[other])
    refused(d, "GET", path, None, 403, narrow, ["scope"])
    refused(d, "GET", "/v1/releases/%d" % rel["id"], None, 403, narrow,
            ["scope"])


def test_a_checklist_outside_the_scope_is_403(d):
    staging, prod = mk_env(d), mk_env(d)
    rel = mk_release(d, mk_service(d))
    _, secret = token(d, "auditor", environments=[staging])
    got = api(d, "GET", "/v1/releases/%d/checklist?environment=%s"
              % (rel["id"], staging), want=200, token=secret)
    eq(got["environment"], staging, "own environment")
    refused(d, "GET", "/v1/releases/%d/checklist?environment=%s"
            % (rel["id"], prod), None, 403, secret, [prod])


# ---- organisation-wide writes ----

def test_an_environment_scoped_release_manager_may_not_write_services(d):
    staging = mk_env(d)
    existing = mk_service(d)
    rm, secret = token(d, "release_manager", environments=[staging])
    audit_new(d)
    name = uniq("svc")
    refused(d, "POST", "/v1/services", dict(name=name, owner="team-a"), 403,
            secret, ["catalog.write", "no environment"])
    api(d, "GET", "/v1/services/" + name, want=404)
    refused(d, "PATCH", "/v1/services/" + existing, dict(tier=1), 403,
            secret, ["catalog.write"])
    eq(api(d, "GET", "/v1/services/" + existing, want=200)["tier"], 3,
       "tier unchanged")
    refused(d, "DELETE", "/v1/services/" + existing, None, 403, secret,
            ["catalog.write"])
    api(d, "GET", "/v1/services/" + existing, want=200)
    eq(audit_new(d), [], "nothing audited")
    # Its own environment is environment-bound: still its to update.
    got = api(d, "PATCH", "/v1/environments/" + staging,
              dict(max_concurrent=3), 200, token=secret)
    eq(got["max_concurrent"], 3, "own environment updated")
    eq([(e["action"], e["actor"]) for e in audit_new(d)],
       [("environment.update", rm)], "audited")
    # Releases are not organisation-wide: a staging pipeline registers
    # what it deploys.
    _, ci = token(d, "deployer", environments=[staging])
    api(d, "POST", "/v1/releases",
        dict(service=existing, version="2.0.0", type="minor"), 201, token=ci)
    # An unscoped release manager may create services.
    _, org = token(d, "release_manager")
    api(d, "POST", "/v1/services", dict(name=name, owner="team-a"), 201,
        token=org)


# ---- dense recurring windows ----

MINUTES = ",".join(str(m) for m in range(60))


def test_a_freeze_every_minute_since_2020_refuses_a_deployment(d):
    env = mk_env(d)
    rel = mk_release(d, mk_service(d))
    win = api(d, "POST", "/v1/windows",
              dict(name=uniq("every-minute"), kind="freeze", environment=env,
                   timezone="Europe/Berlin", start="2020-01-01T00:00:00",
                   rrule="FREQ=HOURLY;BYMINUTE=" + MINUTES,
                   duration_minutes=1), 201)
    t0 = datetime.datetime.now(datetime.timezone.utc)
    doc = api(d, "POST", "/v1/gates/check",
              dict(release=rel["id"], environment=env), 200)
    took = (datetime.datetime.now(datetime.timezone.utc) - t0)
    windows = [c for c in doc["checks"] if c["name"] == "windows"][0]
    eq((doc["allowed"], windows["passed"]), (False, False), doc)
    check(("freeze '%s' is in force until" % win["name"])
          in windows["detail"], windows)
    # It ends at the next whole minute, and the verdict stands no longer.
    at = datetime.datetime.strptime(doc["at"][:19], "%Y-%m-%dT%H:%M:%S")
    until = (at.replace(second=0) + datetime.timedelta(minutes=1))
    check(until.strftime("%Y-%m-%dT%H:%M:%SZ") in windows["detail"],
          windows["detail"])
    print("  gate check with the dense freeze: %.0f ms"
          % (took.total_seconds() * 1000))
    audit_new(d)
    status, h, ref = d.request("POST", "/v1/deployments",
                               dict(release=rel["id"], environment=env,
                                    status="in_progress"))
    eq(status, 409, ref)
    check("is in force" in ref["detail"], ref)
    eq(audit_new(d), [], "nothing audited")
    eq(api(d, "GET", "/v1/deployments?environment=" + env,
           want=200)["items"], [], "no deployment")
    # At a moment years later, the rule is still evaluated the same way.
    later = api(d, "POST", "/v1/gates/check",
                dict(release=rel["id"], environment=env,
                     at="2031-06-30T23:59:30Z"), 200)
    w = [c for c in later["checks"] if c["name"] == "windows"][0]
    eq((w["passed"], w["detail"]),
       (False, "freeze '%s' is in force until 2031-07-01T00:00:00Z"
        % win["name"]), "in 2031")


def test_a_rule_too_dense_to_evaluate_is_refused_and_not_stored(d):
    env = mk_env(d)
    audit_new(d)
    name = uniq("too-dense")
    status, h, doc = d.request(
        "POST", "/v1/windows",
        dict(name=name, kind="freeze", environment=env, timezone="UTC",
             start="2020-01-01T00:00:00", duration_minutes=1,
             rrule="FREQ=HOURLY;BYMINUTE=%s;BYSECOND=%s"
             % (MINUTES, MINUTES)))
    eq(status, 422, doc)
    eq(h.get("content-type"), "application/problem+json", "problem type")
    eq([e["field"] for e in doc.get("errors", [])], ["rrule"], doc)
    check("too dense" in doc["detail"], doc["detail"])
    eq([w for w in api(d, "GET", "/v1/windows", want=200)["items"]
        if w["name"] == name], [], "not stored")
    status, h, doc = d.request(
        "POST", "/v1/windows",
        dict(name=name, kind="freeze", environment=env, timezone="UTC",
             start="2020-01-01T00:00:00", duration_minutes=1,
             rrule="FREQ=DAILY;COUNT=20001"))
    eq(status, 422, doc)
    check("COUNT=20001" in doc["detail"], doc["detail"])
    eq(audit_new(d), [], "nothing audited")


if __name__ == "__main__":
    sys.exit(run_tests(globals()))
