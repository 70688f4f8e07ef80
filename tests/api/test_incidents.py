#!/usr/bin/env python3
"""Incidents: recorded, listed, resolved; the deployments shiplog
suspects; a confirmed cause marking a deployment as a change failure and
its withdrawal; known issues of releases; roles; bad input refused with
nothing changed; Alertmanager's real payload opening and resolving an
incident, and its redelivery writing nothing.

The Alertmanager payload is read from the shared fixtures
(../shared/fixtures/webhooks beside the repository), never copied, and
sent as the shipped receiver example (docs/hooks/alertmanager.yml)
configures Alertmanager to send it.
"""
import copy
import json
import os
import sys

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ROOT, Daemon, api, check, eq, run_tests, uniq  # noqa: E402

FIXTURES = os.path.join(ROOT, "..", "shared", "fixtures", "webhooks")
SECRET = "an-alertmanager-secret-0123456789"
_tokens = {}


def token(d, role):
    if role not in _tokens:
        doc = api(d, "POST", "/v1/tokens",
                  {"name": uniq("tok-" + role.replace("_", "-")),
                   "role": role}, 201)
        _tokens[role] = doc["token"]
    return _tokens[role]


def mk_service(d):
    return api(d, "POST", "/v1/services",
               {"name": uniq("svc"), "owner": "team-inc"}, 201)["name"]


def mk_env(d):
    return api(d, "POST", "/v1/environments",
               {"name": uniq("env"), "rank": 10}, 201)["name"]


def mk_release(d, svc, version, **extra):
    body = dict(service=svc, version=version, type="minor", **extra)
    return api(d, "POST", "/v1/releases", body, 201)


def mk_deploy(d, rel, env, status="succeeded"):
    """A deployment started now and, unless status is in_progress,
    moved to status at once."""
    doc = api(d, "POST", "/v1/deployments",
              {"release": rel["id"], "environment": env,
               "status": "in_progress"}, 201)
    if status != "in_progress":
        api(d, "POST", "/v1/deployments/%d/events" % doc["id"],
            {"status": status}, 201)
        doc = api(d, "GET", "/v1/deployments/%d" % doc["id"], want=200)
    return doc


def incident(d, env, services, key=None, **extra):
    body = dict(key=key or uniq("inc"), severity="major", environment=env,
                services=services, summary="checkout errors")
    body.update(extra)
    return api(d, "POST", "/v1/incidents", body, 201)


def audit(d, **q):
    path = "/v1/audit?limit=500" + "".join(
        "&%s=%s" % kv for kv in q.items())
    return api(d, "GET", path, want=200)["items"]


def audit_count(d):
    return len(audit(d))


def get(d, key):
    return api(d, "GET", "/v1/incidents/" + key, want=200)


def dep(d, i):
    return api(d, "GET", "/v1/deployments/%d" % i, want=200)


# ---- recording and reading ----

def test_an_incident_is_recorded_with_its_fields_and_audited(d):
    env, svc = mk_env(d), mk_service(d)
    key = uniq("inc")
    before = audit_count(d)
    doc = incident(d, env, [svc], key=key, severity="critical",
                   started_at="2026-01-02T03:04:05Z",
                   url="https://status.example/1")
    eq(doc["key"], key, "key")
    eq(doc["status"], "open", "status")
    eq(doc["severity"], "critical", "severity")
    eq(doc["environment"], env, "environment")
    eq(doc["services"], [svc], "services")
    eq(doc["service"], svc, "service")
    eq(doc["started_at"], "2026-01-02T03:04:05Z", "started_at")
    eq(doc["resolved_at"], None, "resolved_at")
    eq(doc["resolution_seconds"], None, "resolution_seconds")
    eq(doc["causes"], [], "causes")
    eq(doc["source"], "api", "source")
    eq(doc["revision"], 1, "revision")
    got = get(d, key)
    eq(got["suspected"], [], "no deployment, no suspect")
    eq(audit_count(d), before + 1, "one audit entry")
    e = audit(d, action="incident.create", object_id=key)
    eq(len(e), 1, "incident.create entry")
    eq(e[0]["object_type"], "incident", "object_type")
    # The same key again is a conflict, naming the key.
    status, _, p = d.request("POST", "/v1/incidents",
                             {"key": key, "severity": "minor",
                              "environment": env, "services": [svc],
                              "summary": "again"})
    eq(status, 409, "duplicate key")
    eq(get(d, key)["severity"], "critical", "unchanged")


def test_suspected_deployments_are_the_latest_before_the_start(d):
    env, other_env = mk_env(d), mk_env(d)
    api_svc, web = mk_service(d), mk_service(d)
    r1 = mk_release(d, api_svc, "1.0.0", commit="a" * 40, notes="first")
    r2 = mk_release(d, api_svc, "1.1.0", commit="b" * 40,
                    notes="adds the cart", git_tag="v1.1.0")
    r3 = mk_release(d, api_svc, "1.2.0", commit="c" * 40, notes="retries")
    w1 = mk_release(d, web, "3.0.0", commit="d" * 40)
    d1 = mk_deploy(d, r1, env)
    d2 = mk_deploy(d, r2, env)
    mk_deploy(d, r3, other_env)          # another environment
    d3 = mk_deploy(d, r3, env, "failed")
    dw = mk_deploy(d, w1, env)
    d4 = mk_deploy(d, r1, env)           # a rollback to 1.0.0
    d5 = mk_deploy(d, r2, env)           # starts with the incident
    inc = incident(d, env, [api_svc, web], started_at=d5["started_at"])
    got = get(d, inc["key"])
    sus = got["suspected"]
    # Per service, newest first, at most three; d5 started at the
    # incident's start, not before it.
    eq([s["deployment_id"] for s in sus],
       [d4["id"], d3["id"], d2["id"], dw["id"]], "suspects")
    eq([s["service"] for s in sus], [api_svc] * 3 + [web], "services")
    s4, s3, s2 = sus[0], sus[1], sus[2]
    eq(s4["release"]["version"], "1.0.0", "d4 version")
    eq(s4["release"]["commit"], "a" * 40, "d4 commit")
    # d4 replaced what ran before it: d2 (d3 failed, so 1.1.0 ran).
    eq(s4["replaced"]["deployment_id"], d2["id"], "d4 replaced")
    eq(s4["replaced"]["version"], "1.1.0", "d4 replaced version")
    eq(s4["replaced"]["commit"], "b" * 40, "d4 replaced commit")
    eq(s3["status"], "failed", "d3 status")
    eq(s3["replaced"]["deployment_id"], d2["id"], "d3 replaced")
    eq(s2["release"]["notes"], "adds the cart", "d2 notes")
    eq(s2["release"]["git_tag"], "v1.1.0", "d2 tag")
    eq(s2["replaced"]["deployment_id"], d1["id"], "d2 replaced")
    eq(s2["replaced"]["version"], "1.0.0", "d2 replaced version")
    eq(sus[3]["replaced"], None, "web's first deployment replaced nothing")
    eq([s["confirmed"] for s in sus], [False] * 4, "none confirmed")


def test_the_list_filters_by_status_place_and_time_and_pages(d):
    env, env2 = mk_env(d), mk_env(d)
    a, b = mk_service(d), mk_service(d)
    i1 = incident(d, env, [a], started_at="2026-03-01T00:00:00Z")
    i2 = incident(d, env, [a, b], started_at="2026-03-02T00:00:00Z")
    i3 = incident(d, env2, [b], started_at="2026-03-03T00:00:00Z",
                  resolved_at="2026-03-03T01:00:00Z")

    def keys(q):
        return [x["key"] for x in api(d, "GET", "/v1/incidents?" + q,
                                      want=200)["items"]]
    eq(keys("environment=" + env), [i2["key"], i1["key"]], "environment")
    eq(keys("service=" + b), [i3["key"], i2["key"]], "service")
    eq(keys("service=%s&status=open" % b), [i2["key"]], "open")
    eq(keys("service=%s&status=resolved" % b), [i3["key"]], "resolved")
    eq(keys("service=%s&since=2026-03-02T00:00:00Z&until=2026-03-03T00:00:00Z"
            % b), [i2["key"]], "since/until")
    page = api(d, "GET", "/v1/incidents?limit=1&service=" + a, want=200)
    eq([x["key"] for x in page["items"]], [i2["key"]], "page 1")
    page = api(d, "GET", "/v1/incidents?limit=1&service=%s&cursor=%s"
               % (a, page["next_cursor"]), want=200)
    eq([x["key"] for x in page["items"]], [i1["key"]], "page 2")
    status, _, p = d.request("GET", "/v1/incidents?status=closed")
    eq(status, 400, "unknown status word")
    check("status" in json.dumps(p), p)


# ---- causes ----

def test_a_confirmed_cause_marks_the_deployment_as_a_change_failure(d):
    env, svc = mk_env(d), mk_service(d)
    rel = mk_release(d, svc, "2.0.0")
    dp = mk_deploy(d, rel, env)
    inc = incident(d, env, [svc])
    key = inc["key"]
    seq = max([e["seq"] for e in audit(d)] or [0])
    doc = api(d, "POST", "/v1/incidents/%s/causes" % key,
              {"deployment_id": dp["id"], "comment": "the new pool size"},
              201)
    eq([c["deployment_id"] for c in doc["causes"]], [dp["id"]], "causes")
    eq(doc["causes"][0]["comment"], "the new pool size", "comment")
    eq(doc["causes"][0]["version"], "2.0.0", "version")
    eq(doc["revision"], 2, "revision")
    after = dep(d, dp["id"])
    eq(after["change_failure"], True, "change_failure")
    eq(after["caused_incidents"], [key], "caused_incidents")
    eq(after["status"], "succeeded", "status unchanged")
    new = [e for e in audit(d) if e["seq"] > seq]
    eq(sorted(e["action"] for e in new),
       ["deployment.update", "incident.cause"], "audit")
    cause = [e for e in new if e["action"] == "incident.cause"][0]
    eq(cause["object_id"], key, "cause object")
    eq(get(d, key)["suspected"][0]["confirmed"], True, "confirmed suspect")
    # Confirming it again is a conflict and changes nothing.
    status, _, _ = d.request("POST", "/v1/incidents/%s/causes" % key,
                             {"deployment_id": dp["id"]})
    eq(status, 409, "again")
    eq(dep(d, dp["id"])["caused_incidents"], [key], "unchanged")


def test_withdrawing_clears_change_failure_once_no_incident_names_it(d):
    env, svc = mk_env(d), mk_service(d)
    dp = mk_deploy(d, mk_release(d, svc, "1.0.0"), env)
    a, b = incident(d, env, [svc]), incident(d, env, [svc])
    for i in (a, b):
        api(d, "POST", "/v1/incidents/%s/causes" % i["key"],
            {"deployment_id": dp["id"]}, 201)
    eq(dep(d, dp["id"])["caused_incidents"], [a["key"], b["key"]], "both")
    doc = api(d, "DELETE", "/v1/incidents/%s/causes/%d"
              % (a["key"], dp["id"]), want=200)
    eq(doc["causes"], [], "a's causes")
    x = dep(d, dp["id"])
    eq((x["change_failure"], x["caused_incidents"]), (True, [b["key"]]),
       "still b's cause")
    api(d, "DELETE", "/v1/incidents/%s/causes/%d" % (b["key"], dp["id"]),
        want=200)
    x = dep(d, dp["id"])
    eq((x["change_failure"], x["caused_incidents"]), (False, []), "cleared")
    eq(len(audit(d, action="incident.cause_withdraw")) >= 2, True,
       "withdrawals audited")
    status, _, _ = d.request("DELETE", "/v1/incidents/%s/causes/%d"
                             % (b["key"], dp["id"]))
    eq(status, 404, "not a cause any more")


def test_only_a_deployment_of_its_place_may_be_named_and_nothing_changes(d):
    env, other = mk_env(d), mk_env(d)
    svc, stranger = mk_service(d), mk_service(d)
    elsewhere = mk_deploy(d, mk_release(d, svc, "1.0.0"), other)
    unrelated = mk_deploy(d, mk_release(d, stranger, "1.0.0"), env)
    inc = incident(d, env, [svc])
    n = audit_count(d)
    for body, field in (({"deployment_id": elsewhere["id"]}, "deployment_id"),
                        ({"deployment_id": unrelated["id"]}, "deployment_id"),
                        ({"deployment_id": 999999999}, "deployment_id"),
                        ({"deployment_id": "7"}, "deployment_id"),
                        ({}, "deployment_id"),
                        ({"deployment_id": elsewhere["id"], "why": "x"},
                         "why")):
        status, _, p = d.request("POST",
                                 "/v1/incidents/%s/causes" % inc["key"], body)
        eq(status, 422, "%r -> %r" % (body, p))
        check(field in json.dumps(p), "names %s: %r" % (field, p))
    eq(audit_count(d), n, "nothing audited")
    eq(get(d, inc["key"])["causes"], [], "no cause")
    eq(dep(d, elsewhere["id"]).get("change_failure"), None, "untouched")
    eq(dep(d, unrelated["id"])["revision"], unrelated["revision"],
       "untouched revision")


# ---- bad input, roles, resolution ----

def test_bad_input_is_refused_naming_the_field_and_nothing_is_kept(d):
    env, svc = mk_env(d), mk_service(d)
    good = dict(key=uniq("inc"), severity="major", environment=env,
                services=[svc], summary="x")
    n = audit_count(d)
    cases = [({"key": "Not A Slug"}, "key"),
             ({"severity": "apocalyptic"}, "severity"),
             ({"services": []}, "services"),
             ({"services": ["Bad Name"]}, "services"),
             ({"environment": uniq("nowhere")}, "environment"),
             ({"services": [uniq("ghost")]}, "services"),
             ({"started_at": "yesterday"}, "started_at"),
             ({"started_at": "2026-01-02T00:00:00Z",
               "resolved_at": "2026-01-01T00:00:00Z"}, "resolved_at"),
             ({"colour": "red"}, "colour")]
    for change, field in cases:
        body = dict(good, **change)
        status, _, p = d.request("POST", "/v1/incidents", body)
        check(400 <= status < 500 and status != 404,
              "%r -> %d %r" % (change, status, p))
        check(field in json.dumps(p), "%r names %s: %r" % (change, field, p))
    eq(audit_count(d), n, "nothing audited")
    status, _, _ = d.request("GET", "/v1/incidents/" + good["key"])
    eq(status, 404, "nothing kept")
    missing = dict(good)
    del missing["summary"]
    status, _, p = d.request("POST", "/v1/incidents", missing)
    eq(status, 422, "summary required")
    check("summary" in json.dumps(p), p)


def test_roles_developers_record_release_managers_confirm_causes(d):
    env, svc = mk_env(d), mk_service(d)
    dp = mk_deploy(d, mk_release(d, svc, "1.0.0"), env)
    body = dict(severity="minor", environment=env, services=[svc],
                summary="slow")
    status, _, p = d.request("POST", "/v1/incidents",
                             dict(body, key=uniq("inc")),
                             token=token(d, "auditor"))
    eq(status, 403, "auditor may not record")
    check("incident.write" in p["detail"], p)
    key = uniq("inc")
    status, _, _ = d.request("POST", "/v1/incidents", dict(body, key=key),
                             token=token(d, "developer"))
    eq(status, 201, "developer records")
    for role in ("deployer", "approver", "release_manager"):
        token(d, role)
    n = audit_count(d)
    for role in ("developer", "deployer", "approver", "auditor"):
        status, _, p = d.request("POST", "/v1/incidents/%s/causes" % key,
                                 {"deployment_id": dp["id"]},
                                 token=token(d, role))
        eq(status, 403, role + " may not confirm")
        check("incident.cause" in p["detail"], p)
    eq(audit_count(d), n, "nothing audited")
    eq(dep(d, dp["id"]).get("change_failure"), None, "untouched")
    status, _, _ = d.request("POST", "/v1/incidents/%s/causes" % key,
                             {"deployment_id": dp["id"]},
                             token=token(d, "release_manager"))
    eq(status, 201, "release_manager confirms")
    status, _, _ = d.request("DELETE", "/v1/incidents/%s/causes/%d"
                             % (key, dp["id"]), token=token(d, "developer"))
    eq(status, 403, "developer may not withdraw")
    status, _, _ = d.request("PATCH", "/v1/incidents/" + key,
                             {"severity": "major"}, token=token(d, "deployer"))
    eq(status, 200, "deployer updates")


def test_resolving_records_the_resolution_time_and_null_reopens(d):
    env, svc = mk_env(d), mk_service(d)
    inc = incident(d, env, [svc], started_at="2026-02-01T10:00:00Z")
    key = inc["key"]
    status, _, p = d.request("PATCH", "/v1/incidents/" + key,
                             {"resolved_at": "2026-02-01T09:00:00Z"})
    eq(status, 422, "before the start")
    check("resolved_at" in json.dumps(p), p)
    eq(get(d, key)["status"], "open", "still open")
    doc = api(d, "PATCH", "/v1/incidents/" + key,
              {"resolved_at": "2026-02-01T11:30:15Z", "summary": "fixed"},
              want=200)
    eq((doc["status"], doc["resolved_at"], doc["resolution_seconds"],
        doc["summary"]),
       ("resolved", "2026-02-01T11:30:15Z", 5415, "fixed"), "resolved")
    e = audit(d, action="incident.update", object_id=key)
    eq(len(e), 1, "update audited")
    doc = api(d, "PATCH", "/v1/incidents/" + key, {"resolved_at": None},
              want=200)
    eq((doc["status"], doc["resolved_at"], doc["resolution_seconds"]),
       ("open", None, None), "reopened")
    for bad, field in (({"key": "other"}, "key"),
                       ({"environment": env}, "environment"),
                       ({"severity": "sev0"}, "severity")):
        status, _, p = d.request("PATCH", "/v1/incidents/" + key, bad)
        eq(status, 422, "%r" % bad)
        check(field in json.dumps(p), p)
    status, _, _ = d.request("PATCH", "/v1/incidents/" + uniq("none"),
                             {"summary": "x"})
    eq(status, 404, "unknown incident")


def test_an_incident_is_a_known_issue_of_a_release(d):
    env, svc = mk_env(d), mk_service(d)
    rel = mk_release(d, svc, "4.0.0")
    inc = incident(d, env, [svc])
    doc = api(d, "POST", "/v1/releases/%d/known-issues" % rel["id"],
              {"incident": inc["key"]}, 201)
    eq(doc["known_issue_of"], [rel["id"]], "known_issue_of")
    items = api(d, "GET", "/v1/incidents?release=%d" % rel["id"],
                want=200)["items"]
    eq([x["key"] for x in items], [inc["key"]], "listed by release")
    status, _, _ = d.request("POST", "/v1/releases/%d/known-issues"
                             % rel["id"], {"incident": inc["key"]})
    eq(status, 409, "already")
    status, _, p = d.request("POST", "/v1/releases/%d/known-issues"
                             % rel["id"], {"incident": uniq("none")})
    eq(status, 404, "unknown incident")
    status, _, _ = d.request("POST", "/v1/releases/%d/known-issues"
                             % rel["id"], {"incident": inc["key"]},
                             token=token(d, "auditor"))
    eq(status, 403, "auditor")
    api(d, "DELETE", "/v1/releases/%d/known-issues/%s"
        % (rel["id"], inc["key"]), want=200)
    eq(api(d, "GET", "/v1/incidents?release=%d" % rel["id"],
           want=200)["items"], [], "detached")


# ---- Alertmanager ----

def fixture(*path):
    with open(os.path.join(FIXTURES, *path), "rb") as f:
        return f.read()


def shipped_example():
    with open(os.path.join(ROOT, "docs", "hooks", "alertmanager.yml")) as f:
        return yaml.safe_load(f)


def alertmanager(d, receiver, body):
    """Delivers body as the shipped example configures Alertmanager:
    a Bearer credential, JSON, no delivery id."""
    conf = shipped_example()["receivers"][0]["webhook_configs"][0]
    eq(conf["http_config"]["authorization"]["type"], "Bearer", "scheme")
    eq(conf["send_resolved"], True, "send_resolved")
    raw = json.dumps(body).encode() if isinstance(body, dict) else body
    status, _, doc = d.request(
        "POST", "/hooks/" + receiver, raw=raw, auth=False,
        headers={"Authorization": "Bearer " + SECRET,
                 "Content-Type": "application/json",
                 "User-Agent": "Alertmanager/0.27.0"})
    return status, doc


def am_setup(d):
    svc, env = mk_service(d), mk_env(d)
    name = uniq("am")
    api(d, "PUT", "/v1/receivers/" + name,
        {"source": "alertmanager", "secret": SECRET,
         "services": {"http_checks": svc},
         "environments": {"prod": env}}, 201)
    return name, svc, env


def labelled(env_label="prod"):
    """The published firing payload, with the env label the shipped
    example groups by (group_by: [alertname, service, env])."""
    body = json.loads(fixture("alertmanager", "webhook.v4.firing.json"))
    check("env" in shipped_example()["route"]["group_by"], "groups by env")
    body["commonLabels"]["env"] = env_label
    body["alerts"][0]["labels"]["env"] = env_label
    body["groupLabels"]["env"] = env_label
    body["groupKey"] = '{}:{alertname="ProbeFailure", env="%s"}' % env_label
    return body


def resolved(body):
    body = copy.deepcopy(body)
    body["status"] = "resolved"
    body["alerts"][0]["status"] = "resolved"
    body["alerts"][0]["endsAt"] = "2023-02-06T13:20:00Z"
    return body


def test_alertmanager_firing_opens_an_incident_and_resolved_resolves_it(d):
    name, svc, env = am_setup(d)
    body = labelled()
    status, doc = alertmanager(d, name, body)
    eq(status, 200, doc)
    eq(doc["outcome"], "applied", doc)
    key = doc["incident"]
    check(key.startswith("alertmanager-"), key)
    inc = get(d, key)
    eq((inc["status"], inc["severity"], inc["environment"], inc["services"],
        inc["started_at"], inc["summary"], inc["source"], inc["receiver"]),
       ("open", "critical", env, [svc], "2023-02-06T13:08:45.828000Z",
        "BlackBox Probe Failure: https://server.example.org", "webhook",
        name), "incident")
    e = audit(d, action="incident.create", object_id=key)
    eq(e[0]["actor"], "receiver:" + name, "by the receiver")
    # A repeat of the same notification writes nothing new.
    n = audit_count(d)
    status, again = alertmanager(d, name, body)
    eq((status, again.get("redelivered"), again["incident"]),
       (200, True, key), "redelivery")
    eq(audit_count(d), n, "nothing written")
    eq(get(d, key)["revision"], 1, "incident unchanged")
    # Resolved: the same incident, resolved at endsAt.
    status, doc = alertmanager(d, name, resolved(body))
    eq((status, doc["outcome"], doc["incident"]), (200, "applied", key),
       "resolved delivery")
    inc = get(d, key)
    eq((inc["status"], inc["resolved_at"], inc["resolution_seconds"]),
       ("resolved", "2023-02-06T13:20:00Z", 674), "resolved")
    n = audit_count(d)
    status, again = alertmanager(d, name, resolved(body))
    eq(again.get("redelivered"), True, "resolved redelivered")
    eq(audit_count(d), n, "nothing written")
    listed = api(d, "GET", "/v1/incidents?service=" + svc, want=200)
    eq([x["key"] for x in listed["items"]], [key], "one incident")


def test_an_alert_without_a_mapped_environment_is_kept_as_unmatched(d):
    name, svc, env = am_setup(d)
    n = len(api(d, "GET", "/v1/incidents?service=" + svc, want=200)["items"])
    status, doc = alertmanager(d, name,
                               fixture("alertmanager",
                                       "webhook.v4.firing.json"))
    eq((status, doc["outcome"]), (200, "unmatched"), doc)
    check("environment" in doc["reason"], doc)
    status, doc = alertmanager(d, name, labelled("elsewhere"))
    eq((status, doc["outcome"]), (200, "unmatched"), doc)
    check("elsewhere" in doc["reason"], doc)
    eq(len(api(d, "GET", "/v1/incidents?service=" + svc,
               want=200)["items"]), n, "no incident")


if __name__ == "__main__":
    sys.exit(run_tests(globals()))
