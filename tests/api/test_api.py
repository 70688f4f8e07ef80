#!/usr/bin/env python3
"""End-to-end tests of the shiplog HTTP API against the real daemon.

Every test talks to one shiplogd (started by the harness, fresh database)
over HTTP and checks concrete answers: status codes, headers, documents,
and what the audit log, the metrics and the request log say afterwards.
Tests share the daemon, so each one makes its own uniquely named objects.
test_restart_* starts daemons of its own on a directory it keeps.
"""
import hashlib
import itertools
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (SHIPLOGD, TOKEN, Daemon, check, entry_after,  # noqa: E402
                     eq, run_tests)

SHA = "cd" * 32
ADMIN = "admin"  # the name of the bootstrap token, the actor of our writes
_seq = itertools.count(1)
_tag = "%x" % (os.getpid() & 0xffff)

# (method, path) of every request the helpers sent; the OpenAPI test checks
# each one is described.
SENT = set()


def uniq(prefix):
    """A slug no other test uses, so tests can share one daemon."""
    return "%s-%s-%d" % (prefix, _tag, next(_seq))


def req(d, method, path, body=None, want=None, **kw):
    """Sends a request; checks the status when want is given; returns
    (status, headers, document)."""
    status, h, doc = d.request(method, path, body, **kw)
    SENT.add((method, path.split("?")[0]))
    if want is not None:
        eq(status, want, "%s %s -> %s" % (method, path, doc))
    return status, h, doc


def api(d, method, path, body=None, want=None, **kw):
    """Like req, returns only the document."""
    return req(d, method, path, body, want, **kw)[2]


def q(**params):
    return "?" + urllib.parse.urlencode(params)


def problem(d, method, path, body, want, **kw):
    """Sends a request that must fail with status want; checks it is a
    problem document and returns it."""
    status, h, doc = req(d, method, path, body, want, **kw)
    eq(h.get("content-type"), "application/problem+json",
       "content type of a %d" % want)
    eq(doc["status"], want, "problem status")
    check(doc["type"].startswith("https://shiplog.dev/problems/"), doc)
    eq(doc["instance"], h["x-request-id"], "problem instance")
    return doc


def mk_service(d, **extra):
    body = dict(name=uniq("svc"), owner="team-a")
    body.update(extra)
    return api(d, "POST", "/v1/services", body, 201)["name"]


def mk_env(d, rank=10, **extra):
    body = dict(name=uniq("env"), rank=rank)
    body.update(extra)
    return api(d, "POST", "/v1/environments", body, 201)["name"]


def mk_release(d, service, version, type="minor", **extra):
    body = dict(service=service, version=version, type=type)
    body.update(extra)
    return api(d, "POST", "/v1/releases", body, 201)


def deploy(d, release, env, **extra):
    body = dict(release=release, environment=env)
    body.update(extra)
    return api(d, "POST", "/v1/deployments", body, 201)


def event(d, dep_id, want=201, **body):
    return api(d, "POST", "/v1/deployments/%d/events" % dep_id, body, want)


def succeed(d, release, env, **extra):
    """Deploys and drives the deployment to succeeded; returns it."""
    dep = deploy(d, release, env, status="in_progress", **extra)
    return event(d, dep["id"], status="succeeded")["deployment"]


def list_all(d, path):
    """Follows next_cursor to the end; returns every item."""
    items, cursor = [], None
    sep = "&" if "?" in path else "?"
    for _ in range(1000):
        url = path + (sep + "cursor=" + urllib.parse.quote(cursor)
                      if cursor else "")
        doc = api(d, "GET", url, want=200)
        items += doc["items"]
        cursor = doc["next_cursor"]
        if not cursor:
            return items
    raise AssertionError("pagination does not end: " + path)


def audit_all(d):
    items, after = [], 0
    while True:
        doc = api(d, "GET", "/v1/audit?limit=500&after=%d" % after, want=200)
        items += doc["items"]
        if len(doc["items"]) < 500:
            return items
        after = doc["items"][-1]["seq"]


def last_seq(d):
    items = audit_all(d)
    return items[-1]["seq"] if items else 0


def audit_since(d, seq):
    return api(d, "GET", "/v1/audit?after=%d&limit=500" % seq,
               want=200)["items"]


# ---- services and environments ----

def test_service_create_applies_defaults(d):
    name = uniq("svc")
    status, h, doc = req(d, "POST", "/v1/services",
                         {"name": name, "owner": "payments"}, 201)
    eq(h.get("etag"), '"1"', "etag")
    eq(doc["name"], name, "name")
    eq(doc["owner"], "payments", "owner")
    eq(doc["tier"], 3, "default tier")
    eq(doc["naming_template"], "{service}-{version}", "default template")
    eq(doc["tags"], {}, "default tags")
    eq(doc["repo"], None, "default repo")
    eq(doc["revision"], 1, "revision")
    check(re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$",
                   doc["created_at"]), doc["created_at"])
    status, h, got = req(d, "GET", "/v1/services/" + name, want=200)
    eq(got, doc, "GET answers what POST answered")
    eq(h.get("etag"), '"1"', "etag of GET")


def test_environment_create_applies_defaults(d):
    name = uniq("env")
    status, h, doc = req(d, "POST", "/v1/environments",
                         {"name": name, "rank": 7}, 201)
    eq(h.get("etag"), '"1"', "etag")
    eq((doc["rank"], doc["protected"], doc["targets"], doc["timezone"],
        doc["max_concurrent"]), (7, False, [], "UTC", 0), "defaults")
    eq(api(d, "GET", "/v1/environments/" + name, want=200), doc, "GET")


def test_environments_are_listed_by_rank(d):
    names = {}
    for rank in (900, 5, 450):
        names[rank] = mk_env(d, rank=rank)
    items = api(d, "GET", "/v1/environments", want=200)["items"]
    ranks = [e["rank"] for e in items]
    eq(ranks, sorted(ranks), "ranks in order")
    mine = [e["name"] for e in items if e["name"] in names.values()]
    eq(mine, [names[5], names[450], names[900]], "my environments")


def test_service_patch_with_current_if_match_bumps_revision(d):
    name = mk_service(d)
    status, h, doc = req(d, "PATCH", "/v1/services/" + name,
                         {"owner": "team-b", "tier": 1}, 200,
                         headers={"If-Match": '"1"'})
    eq(h.get("etag"), '"2"', "etag after patch")
    eq((doc["owner"], doc["tier"], doc["revision"]), ("team-b", 1, 2), "doc")
    eq(api(d, "GET", "/v1/services/" + name), doc, "stored")


def test_service_patch_with_stale_if_match_is_412_and_changes_nothing(d):
    name = mk_service(d)
    api(d, "PATCH", "/v1/services/" + name, {"owner": "team-b"}, 200,
        headers={"If-Match": '"1"'})
    seq = last_seq(d)
    p = problem(d, "PATCH", "/v1/services/" + name, {"owner": "team-c"}, 412,
                headers={"If-Match": '"1"'})
    check('"2"' in p["detail"], p)
    doc = api(d, "GET", "/v1/services/" + name, want=200)
    eq((doc["owner"], doc["revision"]), ("team-b", 2), "unchanged")
    eq(last_seq(d), seq, "no audit entry for a 412")


def test_environment_patch_with_stale_if_match_is_412(d):
    name = mk_env(d, rank=3)
    doc = api(d, "PATCH", "/v1/environments/" + name,
              {"targets": ["eu-west"]}, 200, headers={"If-Match": '"1"'})
    eq((doc["targets"], doc["revision"]), (["eu-west"], 2), "patched")
    problem(d, "PATCH", "/v1/environments/" + name, {"rank": 4}, 412,
            headers={"If-Match": '"1"'})
    eq(api(d, "GET", "/v1/environments/" + name)["rank"], 3, "rank kept")


def test_delete_unused_service_and_environment(d):
    svc, env = mk_service(d), mk_env(d)
    status, _, body = req(d, "DELETE", "/v1/services/" + svc, want=204)
    eq(body, None, "204 has no body")
    problem(d, "GET", "/v1/services/" + svc, None, 404)
    req(d, "DELETE", "/v1/environments/" + env, want=204)
    problem(d, "GET", "/v1/environments/" + env, None, 404)
    problem(d, "DELETE", "/v1/services/" + svc, None, 404)


def test_delete_service_with_releases_is_409_and_keeps_it(d):
    svc = mk_service(d)
    mk_release(d, svc, "1.0.0")
    p = problem(d, "DELETE", "/v1/services/" + svc, None, 409)
    check("1 releases" in p["detail"], p)
    eq(api(d, "GET", "/v1/services/" + svc, want=200)["name"], svc, "kept")


def test_delete_environment_with_deployments_is_409(d):
    svc, env = mk_service(d), mk_env(d)
    rel = mk_release(d, svc, "1.0.0")
    deploy(d, rel["id"], env)
    problem(d, "DELETE", "/v1/environments/" + env, None, 409)
    eq(api(d, "GET", "/v1/environments/" + env, want=200)["name"], env,
       "kept")


def test_service_list_filters_by_tag(d):
    pay = mk_service(d, tags={"bu": "pay", "region": "eu"})
    ops = mk_service(d, tags={"bu": "ops"})
    plain = mk_service(d)
    names = [s["name"] for s in list_all(d, "/v1/services?" +
                                         urllib.parse.urlencode(
                                             {"tag": "bu=pay"}))]
    check(pay in names, names)
    check(ops not in names and plain not in names, names)
    check(all(s["tags"].get("bu") == "pay"
              for s in list_all(d, "/v1/services?tag=bu=pay")), "filter")
    everything = [s["name"] for s in list_all(d, "/v1/services?limit=2")]
    check({pay, ops, plain} <= set(everything), "unfiltered has all")
    eq(len(everything), len(set(everything)), "no duplicates across pages")


# ---- releases ----

def test_release_create_answers_the_full_document(d):
    svc = mk_service(d)
    status, h, rel = req(d, "POST", "/v1/releases", {
        "service": svc, "version": "1.2.3", "type": "patch",
        "commit": "abcdef1", "tags": {"team": "core"},
        "artifacts": [{"name": "img", "uri": "oci://r/img", "sha256": SHA}],
    }, 201)
    eq(h.get("etag"), '"1"', "etag")
    check(isinstance(rel["id"], int) and rel["id"] > 0, rel)
    eq((rel["name"], rel["status"], rel["type"], rel["revision"]),
       (svc + "-1.2.3", "draft", "patch", 1), "fields")
    eq(rel["artifacts"][0]["sha256"], SHA, "artifact")
    eq((rel["git_tag"], rel["notes"], rel["rollback"]), (None, None, None),
       "unset fields are null")


def test_release_name_follows_the_service_naming_template(d):
    svc = mk_service(d)
    api(d, "PATCH", "/v1/services/" + svc,
        {"naming_template": "{service}/v{major}.{minor}"}, 200)
    eq(mk_release(d, svc, "2.3.4")["name"], svc + "/v2.3", "name")


def test_release_duplicate_version_is_409(d):
    svc = mk_service(d)
    mk_release(d, svc, "1.0.0")
    seq = last_seq(d)
    problem(d, "POST", "/v1/releases",
            {"service": svc, "version": "1.0.0", "type": "minor"}, 409)
    p = problem(d, "POST", "/v1/releases",
                {"service": svc, "version": "1.0.0+build.5",
                 "type": "minor"}, 409)
    eq(p["errors"][0]["field"], "version", "field")
    eq(last_seq(d), seq, "no audit entry")
    eq(len(list_all(d, "/v1/releases?service=" + svc)), 1, "one release")


def test_release_lookup_by_ref_and_by_id_agree(d):
    svc = mk_service(d)
    rel = mk_release(d, svc, "3.1.0-rc.1")
    by_id = api(d, "GET", "/v1/releases/%d" % rel["id"], want=200)
    by_ref = api(d, "GET", "/v1/releases/%s@3.1.0-rc.1" % svc, want=200)
    eq(by_id, rel, "by id")
    eq(by_ref, rel, "by service@version")
    problem(d, "GET", "/v1/releases/%s@3.1.0" % svc, None, 404)


def test_release_list_filters(d):
    svc, other = mk_service(d), mk_service(d)
    r1 = mk_release(d, svc, "1.0.0", type="major", tags={"train": "t1"})
    time.sleep(0.002)
    r2 = mk_release(d, svc, "1.1.0", type="minor", status="planned")
    time.sleep(0.002)
    r3 = mk_release(d, svc, "1.1.1", type="patch", tags={"train": "t2"})
    mk_release(d, other, "1.0.0", type="major", tags={"train": "t1"})

    def ids(**params):
        return [r["id"] for r in list_all(d, "/v1/releases" + q(**params))]

    eq(ids(service=svc), [r3["id"], r2["id"], r1["id"]], "newest first")
    eq(ids(service=svc, status="planned"), [r2["id"]], "status")
    eq(ids(service=svc, type="patch"), [r3["id"]], "type")
    eq(ids(service=svc, tag="train=t1"), [r1["id"]], "tag")
    eq(ids(service=svc, since=r2["created_at"]), [r3["id"], r2["id"]],
       "since is inclusive")
    eq(ids(service=svc, until=r2["created_at"]), [r1["id"]],
       "until is exclusive")
    check(all(r["status"] == "planned" for r in
              list_all(d, "/v1/releases?status=planned")), "status only")


def test_release_tag_filter_follows_a_patch(d):
    svc = mk_service(d)
    rel = mk_release(d, svc, "1.0.0", tags={"train": "t1"})
    api(d, "PATCH", "/v1/releases/%d" % rel["id"], {"tags": {"train": "t2"}},
        200)

    def ids(tag):
        return [r["id"] for r in
                list_all(d, "/v1/releases" + q(service=svc, tag=tag))]

    eq((ids("train=t1"), ids("train=t2")), ([], [rel["id"]]), "tag index")


def test_release_list_pages_with_a_cursor(d):
    svc = mk_service(d)
    made = [mk_release(d, svc, "0.%d.0" % i)["id"] for i in range(5)]
    seen, cursor, pages = [], None, 0
    while True:
        url = "/v1/releases?limit=2&service=" + svc
        if cursor:
            url += "&cursor=" + cursor
        doc = api(d, "GET", url, want=200)
        check(len(doc["items"]) <= 2, doc)
        seen += [r["id"] for r in doc["items"]]
        pages += 1
        cursor = doc["next_cursor"]
        if not cursor:
            break
        check(pages < 10, "too many pages")
    eq(pages, 3, "pages")
    eq(len(seen), len(set(seen)), "no duplicates")
    eq(seen, list(reversed(made)), "all of them, newest first")


def test_release_status_moves_only_along_the_table(d):
    svc = mk_service(d)
    rel = mk_release(d, svc, "1.0.0")
    ref = "/v1/releases/%d" % rel["id"]
    doc = api(d, "PATCH", ref, {"status": "planned"}, 200)
    eq((doc["status"], doc["revision"]), ("planned", 2), "planned")
    seq = last_seq(d)
    p = problem(d, "PATCH", ref, {"status": "released"}, 409)
    check("planned" in p["detail"] and "released" in p["detail"], p)
    eq(api(d, "GET", ref)["status"], "planned", "unchanged")
    eq(last_seq(d), seq, "no audit entry")


def test_cancelled_release_cannot_be_deployed(d):
    svc, env = mk_service(d), mk_env(d)
    rel = mk_release(d, svc, "1.0.0")
    api(d, "PATCH", "/v1/releases/%d" % rel["id"], {"status": "cancelled"},
        200)
    problem(d, "POST", "/v1/deployments",
            {"release": "%s@1.0.0" % svc, "environment": env}, 409)
    eq(list_all(d, "/v1/deployments?service=" + svc), [], "no deployment")


# ---- deployments ----

def test_deployment_walks_queued_in_progress_succeeded(d):
    svc, env = mk_service(d), mk_env(d, rank=1)
    rel = mk_release(d, svc, "1.0.0")
    status, h, dep = req(d, "POST", "/v1/deployments",
                         {"release": "%s@1.0.0" % svc, "environment": env},
                         201)
    eq(h.get("etag"), '"1"', "etag")
    eq((dep["status"], dep["strategy"], dep["deployer"], dep["release_id"],
        dep["version"], dep["target"]),
       ("queued", "rolling", ADMIN, rel["id"], "1.0.0", None), "created")
    eq((dep["started_at"], dep["finished_at"], dep["duration_seconds"]),
       (None, None, None), "not started")
    out = event(d, dep["id"], status="in_progress")
    mid = out["deployment"]
    eq(mid["status"], "in_progress", "status")
    check(mid["started_at"] is not None and mid["finished_at"] is None, mid)
    time.sleep(0.01)
    end = event(d, dep["id"], status="succeeded")["deployment"]
    eq((end["status"], end["started_at"], end["revision"]),
       ("succeeded", mid["started_at"], 3), "succeeded")
    check(end["finished_at"] is not None and
          end["finished_at"] >= end["started_at"], end)
    check(isinstance(end["duration_seconds"], (int, float)) and
          end["duration_seconds"] >= 0.005, end["duration_seconds"])
    got = api(d, "GET", "/v1/deployments/%d" % dep["id"], want=200)
    eq([e["status"] for e in got.pop("events")],
       ["queued", "in_progress", "succeeded"], "events in the document")
    eq(got, end, "GET answers the last state")


def test_impossible_deployment_transition_is_409(d):
    svc, env = mk_service(d), mk_env(d)
    mk_release(d, svc, "1.0.0")
    dep = succeed(d, svc + "@1.0.0", env)
    seq = last_seq(d)
    p = problem(d, "POST", "/v1/deployments/%d/events" % dep["id"],
                {"status": "queued"}, 409)
    check("succeeded" in p["detail"] and "queued" in p["detail"], p)
    eq(api(d, "GET", "/v1/deployments/%d" % dep["id"])["status"],
       "succeeded", "unchanged")
    eq(last_seq(d), seq, "no audit entry")


def test_traffic_percent_only_for_canary(d):
    svc, env = mk_service(d), mk_env(d)
    mk_release(d, svc, "1.0.0")
    rolling = deploy(d, svc + "@1.0.0", env, status="in_progress")
    p = problem(d, "POST", "/v1/deployments/%d/events" % rolling["id"],
                {"traffic_percent": 10}, 422)
    eq(p["errors"][0]["field"], "traffic_percent", "field")
    canary = deploy(d, svc + "@1.0.0", env, status="in_progress",
                    strategy="canary")
    event(d, canary["id"], traffic_percent=10)
    out = event(d, canary["id"], traffic_percent=50, message="half")
    dep = out["deployment"]
    eq(dep["traffic_percent"], 50, "current percent")
    eq([t["percent"] for t in dep["traffic"]], [10, 50], "milestones")
    check(all(t["at"] for t in dep["traffic"]), dep["traffic"])
    eq((out["event"]["traffic_percent"], out["event"]["message"],
        out["event"]["status"]), (50, "half", None), "event")


def test_deployment_timeline_is_ordered_with_source_and_actor(d):
    svc, env = mk_service(d), mk_env(d)
    mk_release(d, svc, "1.0.0")
    dep = deploy(d, svc + "@1.0.0", env)
    event(d, dep["id"], status="in_progress", source="cli")
    event(d, dep["id"], message="50% of pods", source="webhook")
    event(d, dep["id"], status="succeeded", source="health_check")
    evs = api(d, "GET", "/v1/deployments/%d/events" % dep["id"],
              want=200)["items"]
    eq([e["seq"] for e in evs], [1, 2, 3, 4], "seq")
    eq([(e["status"], e["source"]) for e in evs],
       [("queued", "api"), ("in_progress", "cli"), (None, "webhook"),
        ("succeeded", "health_check")], "status and source")
    eq({e["actor"] for e in evs}, {ADMIN}, "actor")
    eq({e["deployment_id"] for e in evs}, {dep["id"]}, "deployment")
    eq(evs[2]["message"], "50% of pods", "message")
    got = api(d, "GET", "/v1/deployments/%d" % dep["id"])
    eq(got["events"], evs, "events in the deployment document")


def test_release_progresses_with_its_deployments(d):
    svc = mk_service(d)
    low, top = mk_env(d, rank=20), mk_env(d, rank=1000)
    rel = mk_release(d, svc, "1.0.0")
    ref = "/v1/releases/%d" % rel["id"]
    eq(api(d, "GET", ref)["status"], "draft", "before")
    dep = deploy(d, rel["id"], low)
    eq(api(d, "GET", ref)["status"], "in_progress", "at first deployment")
    event(d, dep["id"], status="in_progress")
    event(d, dep["id"], status="succeeded")
    eq(api(d, "GET", ref)["status"], "in_progress",
       "success in a lower environment")
    dep = deploy(d, rel["id"], top, status="in_progress")
    eq(api(d, "GET", ref)["status"], "in_progress", "started at the top")
    event(d, dep["id"], status="succeeded")
    doc = api(d, "GET", ref)
    eq(doc["status"], "released", "success at the top")
    check(doc["revision"] >= 3, doc)
    eq([r["id"] for r in list_all(d, "/v1/releases" +
                                  q(service=svc, status="released"))],
       [rel["id"]], "the status filter sees the new status")


def test_deployment_target_must_be_one_of_the_environments(d):
    svc = mk_service(d)
    env = mk_env(d, targets=["eu-west", "us-east"])
    mk_release(d, svc, "1.0.0")
    p = problem(d, "POST", "/v1/deployments",
                {"release": svc + "@1.0.0", "environment": env,
                 "target": "ap-south"}, 422)
    eq(p["errors"][0]["field"], "target", "field")
    dep = deploy(d, svc + "@1.0.0", env, target="us-east")
    eq(dep["target"], "us-east", "a known target")


def test_rollback_redeploys_the_previous_version(d):
    svc = mk_service(d)
    env = mk_env(d, targets=["eu-west"])
    mk_release(d, svc, "1.0.0")
    mk_release(d, svc, "2.0.0", type="major")
    d1 = succeed(d, svc + "@1.0.0", env, target="eu-west")
    d2 = succeed(d, svc + "@2.0.0", env, target="eu-west")
    status, h, nd = req(d, "POST", "/v1/deployments/%d/rollback" % d2["id"],
                        {"reason": "error rate"}, 201)
    eq((nd["version"], nd["release_id"], nd["rollback_of"],
        nd["environment"], nd["target"], nd["status"]),
       ("1.0.0", d1["release_id"], d2["id"], env, "eu-west", "in_progress"),
       "the new deployment")
    old = api(d, "GET", "/v1/deployments/%d" % d2["id"])
    eq((old["status"], old["rolled_back_by"]), ("rolled_back", nd["id"]),
       "the rolled-back one")
    eq((old["events"][-1]["status"], old["events"][-1]["message"]),
       ("rolled_back", "error rate"), "last event")
    e = [e for e in audit_all(d) if e["action"] == "deployment.rollback"
         and e["object_id"] == str(d2["id"])]
    eq(len(e), 1, "one audit entry for the rollback")
    # The deployment document as kept; its events are rows of their own.
    old.pop("events")
    d2.pop("events", None)
    eq(entry_after(d2, e[0]), old,
       "the entry turns the deployment as it was into the rolled-back one")
    eq([o["path"] for o in e[0]["change"]],
       ["/" + k for k in sorted(old) if old[k] != d2[k]],
       "and says only what changed, in key order")
    check("/status" in [o["path"] for o in e[0]["change"]], e[0])
    problem(d, "POST", "/v1/deployments/%d/rollback" % d2["id"], {}, 409)


def test_event_time_must_fall_between_creation_and_now(d):
    svc, env = mk_service(d), mk_env(d)
    mk_release(d, svc, "1.0.0")
    dep = deploy(d, svc + "@1.0.0", env, status="in_progress")
    seq = last_seq(d)
    p = problem(d, "POST", "/v1/deployments/%d/events" % dep["id"],
                {"status": "succeeded", "at": "2001-01-01T00:00:00Z"}, 422)
    eq(p["errors"][0]["field"], "at", "field")
    check("before the deployment was created" in p["detail"], p)
    p = problem(d, "POST", "/v1/deployments/%d/events" % dep["id"],
                {"status": "succeeded", "at": "2999-01-01T00:00:00Z"}, 422)
    check("future" in p["detail"], p)
    eq(last_seq(d), seq, "nothing written")
    eq(api(d, "GET", "/v1/deployments/%d" % dep["id"])["status"],
       "in_progress", "unchanged")


def test_rollback_with_nothing_before_is_409(d):
    svc, env = mk_service(d), mk_env(d)
    mk_release(d, svc, "1.0.0")
    dep = succeed(d, svc + "@1.0.0", env)
    seq = last_seq(d)
    p = problem(d, "POST", "/v1/deployments/%d/rollback" % dep["id"], {},
                409)
    check("nothing to roll back to" in p["detail"], p)
    eq(api(d, "GET", "/v1/deployments/%d" % dep["id"])["status"],
       "succeeded", "unchanged")
    eq(last_seq(d), seq, "no audit entry")


def test_deployment_list_filters(d):
    svc, other = mk_service(d), mk_service(d)
    e1, e2 = mk_env(d), mk_env(d)
    mk_release(d, svc, "1.0.0")
    mk_release(d, svc, "1.1.0")
    mk_release(d, other, "1.0.0")
    a = succeed(d, svc + "@1.0.0", e1)
    b = deploy(d, svc + "@1.1.0", e1)
    c = deploy(d, svc + "@1.1.0", e2)
    x = deploy(d, other + "@1.0.0", e1)

    def ids(**params):
        return [r["id"] for r in list_all(d, "/v1/deployments" + q(**params))]

    eq(ids(service=svc), [c["id"], b["id"], a["id"]], "service, newest first")
    eq(ids(service=svc, environment=e1), [b["id"], a["id"]], "environment")
    eq(ids(environment=e1), [x["id"], b["id"], a["id"]], "environment only")
    eq(ids(service=svc, status="succeeded"), [a["id"]], "status")
    eq(ids(release=svc + "@1.1.0"), [c["id"], b["id"]], "release ref")
    eq(ids(release=svc + "@9.9.9"), [], "unknown release")


# ---- status matrix ----

def test_status_matrix_shows_running_and_latest(d):
    svc = mk_service(d)
    dev = mk_env(d, rank=2)
    prod = mk_env(d, rank=800, targets=["eu-west", "us-east"])
    for v in ("1.0.0", "1.1.0", "1.2.0"):
        mk_release(d, svc, v)
    succeed(d, svc + "@1.0.0", dev)
    eu1 = succeed(d, svc + "@1.0.0", prod, target="eu-west")
    eu2 = deploy(d, svc + "@1.1.0", prod, target="eu-west",
                 status="in_progress")
    event(d, eu2["id"], status="failed")
    us = succeed(d, svc + "@1.1.0", prod, target="us-east")
    dev2 = deploy(d, svc + "@1.2.0", dev)
    rows = api(d, "GET", "/v1/status?service=" + svc, want=200)["items"]
    got = [(r["environment"], r["target"],
            r["running"] and r["running"]["version"],
            r["latest"]["version"], r["latest"]["status"]) for r in rows]
    eq(got, [(dev, None, "1.0.0", "1.2.0", "queued"),
             (prod, "eu-west", "1.0.0", "1.1.0", "failed"),
             (prod, "us-east", "1.1.0", "1.1.0", "succeeded")], "matrix")
    eu = rows[1]
    eq((eu["running"]["deployment_id"], eu["running"]["since"],
        eu["running"]["deployer"], eu["latest"]["deployment_id"]),
       (eu1["id"], eu1["finished_at"], ADMIN, eu2["id"]), "eu-west row")
    eq(rows[2]["running"]["deployment_id"], us["id"], "us-east running")
    eq(rows[0]["latest"]["deployment_id"], dev2["id"], "dev latest")
    only = api(d, "GET", "/v1/status" + q(service=svc, environment=prod))
    eq([r["target"] for r in only["items"]], ["eu-west", "us-east"],
       "environment filter")


def test_status_matrix_pages_in_order(d):
    tag = uniq("page")
    prod = mk_env(d, rank=50, targets=["eu-west", "us-east"])
    dev = mk_env(d, rank=5)
    svcs = sorted(mk_service(d, tags={"group": tag}) for _ in range(3))
    for svc in svcs:
        mk_release(d, svc, "1.0.0")
        succeed(d, svc + "@1.0.0", prod, target="us-east")
        succeed(d, svc + "@1.0.0", dev)
        succeed(d, svc + "@1.0.0", prod, target="eu-west")
    key = [(s, e, t) for s in svcs
           for e, t in ((dev, None), (prod, "eu-west"), (prod, "us-east"))]
    whole = api(d, "GET", "/v1/status" + q(tag="group=" + tag), want=200)
    eq([(r["service"], r["environment"], r["target"])
        for r in whole["items"]], key, "one page: service, env rank, target")
    eq(whole["next_cursor"], None, "one page is the end")
    # Pages of 2 across services and environments: the same rows, once
    # each, in the same order.
    rows, cursor, pages = [], None, 0
    while True:
        params = {"tag": "group=" + tag, "limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = api(d, "GET", "/v1/status" + q(**params), want=200)
        pages += 1
        check(len(page["items"]) <= 2, page)
        rows += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    eq(rows, whole["items"], "pages put together")
    eq(pages, 5, "9 rows in pages of 2")
    # The last row of a full page names where the next one starts.
    first = api(d, "GET", "/v1/status" + q(tag="group=" + tag, limit=4))
    eq(first["next_cursor"], "%s~%s~" % (svcs[1], dev), "cursor")
    for bad in ("x", "a~b", "a~b~c~d", "A~b~", "a~~", "a~b~-c"):
        p = problem(d, "GET", "/v1/status" + q(cursor=bad), None, 400)
        eq(p["errors"][0]["field"], "cursor", bad)
    p = problem(d, "GET", "/v1/status" + q(limit=0), None, 400)
    eq(p["errors"][0]["field"], "limit", "limit 0")


def test_status_running_skips_a_rolled_back_deployment(d):
    svc, env = mk_service(d), mk_env(d)
    mk_release(d, svc, "1.0.0")
    mk_release(d, svc, "2.0.0", type="major")
    d1 = succeed(d, svc + "@1.0.0", env)
    d2 = succeed(d, svc + "@2.0.0", env)
    nd = api(d, "POST", "/v1/deployments/%d/rollback" % d2["id"], {}, 201)
    row, = api(d, "GET", "/v1/status?service=" + svc)["items"]
    eq((row["running"]["version"], row["running"]["deployment_id"]),
       ("1.0.0", d1["id"]), "running")
    eq((row["latest"]["deployment_id"], row["latest"]["status"]),
       (nd["id"], "in_progress"), "latest")


# ---- idempotency ----

def test_idempotent_retry_replays_and_writes_once(d):
    name = uniq("svc")
    body = {"name": name, "owner": "team-a"}
    key = {"Idempotency-Key": "k1-" + name}
    seq = last_seq(d)
    s1, h1, doc1 = req(d, "POST", "/v1/services", body, 201, headers=key)
    s2, h2, doc2 = req(d, "POST", "/v1/services", body, 201, headers=key)
    eq(doc2, doc1, "same body")
    eq(h2.get("idempotent-replayed"), "true", "replay header")
    check("idempotent-replayed" not in h1, h1)
    entries = audit_since(d, seq)
    eq([(e["action"], e["object_id"]) for e in entries],
       [("service.create", name)], "one audit entry")
    eq(len([s for s in list_all(d, "/v1/services") if s["name"] == name]),
       1, "one service")


def test_idempotent_retry_of_a_deployment_event(d):
    svc, env = mk_service(d), mk_env(d)
    mk_release(d, svc, "1.0.0")
    dep = deploy(d, svc + "@1.0.0", env)
    key = {"Idempotency-Key": uniq("evt")}
    path = "/v1/deployments/%d/events" % dep["id"]
    _, _, a = req(d, "POST", path, {"status": "in_progress"}, 201,
                  headers=key)
    _, h, b = req(d, "POST", path, {"status": "in_progress"}, 201,
                  headers=key)
    eq(b, a, "replayed answer")
    eq(h.get("idempotent-replayed"), "true", "header")
    eq(len(api(d, "GET", path)["items"]), 2, "one event written")


def test_idempotency_key_with_a_different_body_is_422(d):
    name = uniq("svc")
    key = {"Idempotency-Key": "k-" + name}
    api(d, "POST", "/v1/services", {"name": name, "owner": "a"}, 201,
        headers=key)
    seq = last_seq(d)
    p = problem(d, "POST", "/v1/services",
                {"name": name + "-x", "owner": "a"}, 422, headers=key)
    eq(p["errors"][0]["field"], "Idempotency-Key", "field")
    problem(d, "GET", "/v1/services/%s-x" % name, None, 404)
    eq(last_seq(d), seq, "nothing written")


# ---- audit ----

def test_every_write_appends_exactly_one_audit_entry(d):
    svc = uniq("svc")
    env = uniq("env")
    steps = [
        ("POST", "/v1/services", {"name": svc, "owner": "a"}, 201,
         "service.create", "service", svc),
        ("PATCH", "/v1/services/" + svc, {"tier": 2}, 200,
         "service.update", "service", svc),
        ("POST", "/v1/environments", {"name": env, "rank": 4}, 201,
         "environment.create", "environment", env),
        ("PATCH", "/v1/environments/" + env, {"protected": True}, 200,
         "environment.update", "environment", env),
        ("POST", "/v1/releases",
         {"service": svc, "version": "1.0.0", "type": "major"}, 201,
         "release.create", "release", None),
        ("PATCH", "/v1/releases/%s@1.0.0" % svc, {"notes": "hi"}, 200,
         "release.update", "release", None),
        ("POST", "/v1/deployments",
         {"release": svc + "@1.0.0", "environment": env}, 201,
         "deployment.create", "deployment", None),
    ]
    for method, path, body, want, action, otype, oid in steps:
        seq = last_seq(d)
        was = (req(d, "GET", path, None, 200)[2] if method == "PATCH"
               else None)
        _, h, doc = req(d, method, path, body, want,
                        headers={"X-Request-Id": uniq("rq")})
        entries = audit_since(d, seq)
        # A deployment that moves its release on says so in an entry
        # of the release's own, in the same transaction.
        moved = [e for e in entries if e["action"] == "release.status"]
        entries = [e for e in entries if e["action"] != "release.status"]
        eq(len(entries), 1, "entries after " + action)
        e = entries[0]
        eq((e["seq"], e["action"], e["object_type"], e["actor"],
            e["request_id"]),
           (seq + 1 + len(moved), action, otype, ADMIN, h["x-request-id"]),
           action)
        if action == "deployment.create":
            eq(len(moved), 1, "the release moved to planned")
            rel = req(d, "GET", "/v1/releases/%s@1.0.0" % svc, None, 200)[2]
            eq((moved[0]["object_type"], entry_after(rel_was, moved[0])),
               ("release", rel), "its entry says what it became")
            check("/status" in [o["path"] for o in moved[0]["change"]],
                  moved[0]["change"])
            eq(moved[0]["request_id"], h["x-request-id"], "same request")
        eq(e["object_id"], oid or str(doc["id"]), "object id")
        eq(entry_after(was, e), doc, "the change gives the object returned")
        if method == "PATCH":
            check(len(e["change"]) < len(doc) and
                  all(o["op"] != "add" or o["path"] != "" for o in
                      e["change"]), "an update is a patch: %s" % e)
        else:
            eq([(o["op"], o["path"]) for o in e["change"]], [("add", "")],
               "a create adds the object")
        if action == "release.update":
            rel_was = doc
    dep_id = int(e["object_id"])
    seq = last_seq(d)
    was = api(d, "GET", "/v1/deployments/%d" % dep_id)
    was.pop("events")  # rows of their own, not in the document
    out = event(d, dep_id, status="in_progress")
    e, = audit_since(d, seq)
    eq((e["seq"], e["action"], e["object_id"]),
       (seq + 1, "deployment.event", str(dep_id)), "event entry")
    eq(entry_after(was, e), out["deployment"], "the change gives the "
       "deployment")
    check({"op": "replace", "path": "/status", "value": "in_progress"}
          in e["change"], e["change"])


def test_delete_appends_one_audit_entry_with_before(d):
    svc = mk_service(d)
    doc = api(d, "GET", "/v1/services/" + svc)
    seq = last_seq(d)
    req(d, "DELETE", "/v1/services/" + svc, want=204)
    e, = audit_since(d, seq)
    eq((e["seq"], e["action"], e["object_id"], e["change"]),
       (seq + 1, "service.delete", svc,
        [{"op": "replace", "path": "", "value": None}]), "delete entry")
    eq(entry_after(doc, e), None, "the service is gone")


def test_rejected_writes_append_nothing(d):
    svc = mk_service(d)
    mk_release(d, svc, "1.0.0")
    seq = last_seq(d)
    problem(d, "POST", "/v1/services", {"name": svc, "owner": "a"}, 409)
    problem(d, "POST", "/v1/services", {"name": "Bad Name", "owner": "a"},
            422)
    problem(d, "POST", "/v1/services", {"name": uniq("s"), "owner": "a",
                                        "colour": "red"}, 422)
    problem(d, "PATCH", "/v1/services/" + svc, {"tier": 2}, 412,
            headers={"If-Match": '"7"'})
    problem(d, "DELETE", "/v1/services/" + svc, None, 409)
    problem(d, "POST", "/v1/releases",
            {"service": svc, "version": "1.0", "type": "minor"}, 422)
    problem(d, "POST", "/v1/deployments",
            {"release": svc + "@1.0.0", "environment": uniq("nope")}, 422)
    eq(last_seq(d), seq, "audit unchanged")


# ---- tokens ----

def test_token_lifecycle(d):
    name = uniq("ci")
    seq = last_seq(d)
    tok = api(d, "POST", "/v1/tokens", {"name": name, "role": "deployer"},
              201)
    secret = tok["token"]
    eq((tok["name"], tok["role"]), (name, "deployer"), "minted")
    check(len(secret) >= 32, secret)
    e, = audit_since(d, seq)
    eq((e["action"], e["object_id"]), ("token.create", str(tok["id"])),
       "audited")
    digest = hashlib.sha256(secret.encode()).hexdigest()
    check(secret not in json.dumps(e) and digest not in json.dumps(e),
          "audit holds no secret")
    req(d, "GET", "/v1/services", want=200, token=secret)
    listing = api(d, "GET", "/v1/tokens", want=200)
    mine = [t for t in listing["items"] if t["name"] == name]
    eq(len(mine), 1, "listed")
    eq((mine[0]["id"], mine[0]["role"], mine[0]["revoked_at"]),
       (tok["id"], "deployer", None), "listing")
    text = json.dumps(listing)
    check(secret not in text and digest not in text and TOKEN not in text,
          "no secret or hash in the list")
    check(all("token" not in t and "hash" not in t
              for t in listing["items"]), "no secret fields")
    problem(d, "POST", "/v1/tokens", {"name": uniq("x"), "role": "admin"},
            403, token=secret)
    problem(d, "GET", "/v1/tokens", None, 403, token=secret)
    req(d, "DELETE", "/v1/tokens/%d" % tok["id"], want=204)
    p = problem(d, "GET", "/v1/services", None, 401, token=secret)
    check("revoked" in p["detail"], p)
    revoked = [t for t in api(d, "GET", "/v1/tokens")["items"]
               if t["id"] == tok["id"]][0]
    check(revoked["revoked_at"] is not None, revoked)


def test_each_request_on_one_connection_is_its_own_token(d):
    # The daemon remembers a connection's last token digest; a different
    # token on the same keep-alive connection must be judged afresh, and
    # a revoked one refused, even right after it was accepted there.
    import http.client
    name = uniq("tok-conn")
    tok = api(d, "POST", "/v1/tokens", {"name": name, "role": "auditor"},
              201)
    conn = http.client.HTTPConnection("127.0.0.1", d.port, timeout=30)

    def send(method, path, secret, body=None):
        h = {"Authorization": "Bearer " + secret}
        if body is not None:
            h["Content-Type"] = "application/json"
            body = json.dumps(body)
        conn.request(method, path, body=body, headers=h)
        resp = conn.getresponse()
        resp.read()
        return resp.status

    svc = uniq("svc-conn")
    eq(send("POST", "/v1/services", TOKEN, {"name": svc, "owner": "t"}),
       201, "admin writes")
    eq(send("POST", "/v1/services", tok["token"],
            {"name": uniq("svc-conn"), "owner": "t"}), 403,
       "the auditor's token on the same connection is not the admin's")
    eq(send("GET", "/v1/services/" + svc, tok["token"]), 200, "auditor reads")
    eq(send("GET", "/v1/services/" + svc, tok["token"][:-1] + "x"), 401,
       "a token differing in its last character")
    eq(send("GET", "/v1/services/" + svc, tok["token"] + "x"), 401,
       "a token with one more character")
    eq(send("GET", "/v1/services/" + svc, TOKEN), 200, "admin again")
    eq(send("GET", "/v1/services/" + svc, tok["token"]), 200, "auditor again")
    req(d, "DELETE", "/v1/tokens/%d" % tok["id"], want=204)
    eq(send("GET", "/v1/services/" + svc, tok["token"]), 401,
       "revoked, on the connection that used it a moment ago")
    conn.close()


def test_requests_without_a_token_are_401(d):
    for path in ("/v1/services", "/v1/status", "/metrics",
                 "/v1/openapi.json"):
        status, h, doc = req(d, "GET", path, auth=False)
        eq(status, 401, path)
        check(h.get("www-authenticate", "").startswith("Bearer"), h)
        eq(doc["status"], 401, "problem")
    status, h, _ = req(d, "GET", "/v1/services", token="not-a-real-token")
    eq(status, 401, "unknown token")
    check("www-authenticate" in h, h)
    status, _, _ = req(d, "POST", "/v1/services",
                       {"name": uniq("svc"), "owner": "x"}, auth=False)
    eq(status, 401, "write without a token")


def test_health_and_readiness_need_no_token(d):
    status, _, doc = req(d, "GET", "/healthz", auth=False)
    eq((status, doc["status"]), (200, "ok"), "healthz")
    status, _, doc = req(d, "GET", "/readyz", auth=False)
    eq((status, doc["status"], doc["store"]), (200, "ready", d.backend),
       "readyz")


# ---- operations ----

def test_request_id_is_echoed_or_generated(d):
    _, h, _ = req(d, "GET", "/v1/services", headers={"X-Request-Id": "abc-1"})
    eq(h.get("x-request-id"), "abc-1", "echoed")
    _, h1, _ = req(d, "GET", "/v1/services")
    _, h2, _ = req(d, "GET", "/v1/services")
    check(len(h1.get("x-request-id", "")) >= 16, h1)
    check(h1["x-request-id"] != h2["x-request-id"], "unique ids")
    p = problem(d, "GET", "/v1/services/" + uniq("none"), None, 404,
                headers={"X-Request-Id": "trace-77"})
    eq(p["instance"], "trace-77", "instance is the sent id")
    _, h, p = req(d, "GET", "/v1/services/" + uniq("none"), want=404)
    eq(p["instance"], h["x-request-id"], "instance is the generated id")


def metric(text, name, **labels):
    """The value of the sample name{labels} (labels must match exactly
    those given), or None."""
    for line in text.splitlines():
        m = re.match(r"^([a-z_]+)(?:\{(.*)\})? (\S+)$", line)
        if not m or m.group(1) != name:
            continue
        got = dict(re.findall(r'(\w+)="([^"]*)"', m.group(2) or ""))
        if got == {k: str(v) for k, v in labels.items()}:
            return float(m.group(3))
    return None


def test_metrics_count_requests_and_deployments(d):
    svc, env = mk_service(d), mk_env(d)
    mk_release(d, svc, "1.0.0")
    succeed(d, svc + "@1.0.0", env)
    _, h, before = req(d, "GET", "/metrics", want=200)
    check(h["content-type"].startswith("text/plain"), h)
    labels = dict(method="GET", route="/v1/services", status=200)
    n0 = metric(before, "shiplog_http_requests_total", **labels) or 0
    for _ in range(3):
        req(d, "GET", "/v1/services", want=200)
    after = api(d, "GET", "/metrics", want=200)
    eq(metric(after, "shiplog_http_requests_total", **labels), n0 + 3,
       "count grew by three")
    check('route="/v1/services/{name}"' in after or
          'route="/v1/services"' in after, "routes are patterns")
    check("# TYPE shiplog_http_request_duration_seconds histogram" in after,
          "histogram type")
    inf = metric(after, "shiplog_http_request_duration_seconds_bucket",
                 le="+Inf")
    cnt = metric(after, "shiplog_http_request_duration_seconds_count")
    check(inf is not None and inf == cnt and cnt > n0 + 3, (inf, cnt))
    check(metric(after, "shiplog_http_request_duration_seconds_sum") > 0,
          "sum")
    ok = metric(after, "shiplog_deployments", status="succeeded")
    want = len(list_all(d, "/v1/deployments?status=succeeded&limit=500"))
    eq(ok, want, "succeeded deployments gauge")


def test_request_log_has_one_json_line_per_request(d):
    svc = mk_service(d)
    rid = uniq("log")
    req(d, "GET", "/v1/services/" + svc, want=200,
        headers={"X-Request-Id": rid})
    rid2 = uniq("log")
    req(d, "GET", "/v1/services/" + uniq("none"), want=404,
        headers={"X-Request-Id": rid2})
    lines = []
    for _ in range(100):
        lines = [json.loads(l) for l in d.read_log().splitlines()
                 if l.startswith("{") and ('"%s"' % rid in l or
                                           '"%s"' % rid2 in l)]
        if len(lines) == 2:
            break
        time.sleep(0.02)
    eq(len(lines), 2, "one line per request")
    a, b = sorted(lines, key=lambda x: x["request_id"] != rid)
    eq((a["method"], a["route"], a["path"], a["status"], a["actor"]),
       ("GET", "/v1/services/{name}", "/v1/services/" + svc, 200, ADMIN),
       "line")
    check(isinstance(a["duration_us"], int) and a["duration_us"] >= 0, a)
    eq((b["status"], b["request_id"]), (404, rid2), "the 404's line")


# ---- restart (own daemons) ----

def test_restart_keeps_every_document_and_the_audit_log(d):
    tmp = tempfile.mkdtemp(prefix="shiplog-restart-")
    try:
        _restart_story(tmp)
    finally:
        Daemon(db_dir=tmp).drop_database()
        shutil.rmtree(tmp, ignore_errors=True)


def _restart_story(tmp):
    dd = Daemon(db_dir=tmp)
    dd.start()
    try:
        tokfile = dd.token_file
        st = os.stat(tokfile)
        eq(stat.S_IMODE(st.st_mode), 0o600, "admin token file mode")
        with open(tokfile) as f:
            eq(f.read().strip(), TOKEN, "admin token file holds the token")
        svc, env = mk_service(dd), mk_env(dd, targets=["eu-west"])
        rel = mk_release(dd, svc, "1.0.0")
        dep = succeed(dd, rel["id"], env, target="eu-west")
        paths = ["/v1/services/" + svc, "/v1/environments/" + env,
                 "/v1/releases/%d" % rel["id"],
                 "/v1/deployments/%d" % dep["id"],
                 "/v1/deployments/%d/events" % dep["id"],
                 "/v1/status", "/v1/releases", "/v1/deployments"]
        before = {p: api(dd, "GET", p, want=200) for p in paths}
        audit = audit_all(dd)
    finally:
        rc = dd.stop()
    eq(rc, 0, "clean exit on SIGTERM")
    stamp = os.stat(tokfile).st_mtime_ns

    out = subprocess.run([SHIPLOGD, "token", "create", "--name", "ci",
                          "--role", "deployer", "--db", dd.db],
                         capture_output=True, text=True, timeout=30)
    eq(out.returncode, 0, "offline token create: " + out.stderr)
    secret = out.stdout.strip()
    check(len(secret) >= 32 and "\n" not in secret, out.stdout)

    dd.start()
    try:
        for p in paths:
            eq(api(dd, "GET", p, want=200), before[p], "after restart " + p)
        again = audit_all(dd)
        eq(again[:len(audit)], audit, "audit log kept")
        eq([(e["seq"], e["action"], e["actor"]) for e in again[len(audit):]],
           [(len(audit) + 1, "token.create", "shiplogd token create")],
           "the offline token's entry")
        status, _, _ = dd.request("GET", "/v1/services/" + svc, token=secret)
        eq(status, 200, "offline token works")
        eq(os.stat(tokfile).st_mtime_ns, stamp,
           "admin token file not rewritten")
        # Revoking the only admin token locks everyone out of token
        # management until a restart mints a new one.
        admin_id = [t["id"] for t in api(dd, "GET", "/v1/tokens")["items"]
                    if t["name"] == "admin"][0]
        req(dd, "DELETE", "/v1/tokens/%d" % admin_id, want=204)
        status, _, _ = dd.request("GET", "/v1/tokens")
        eq(status, 401, "the revoked admin token is refused")
    finally:
        eq(dd.stop(), 0, "second clean exit")
    dd.token = "another-admin-token-0123456789"
    dd.start()
    try:
        names = [t["name"] for t in api(dd, "GET", "/v1/tokens")["items"]
                 if t["role"] == "admin" and t["revoked_at"] is None]
        eq(len(names), 1, "one live admin token again")
        check(names[0].startswith("admin-"), names)
        with open(tokfile) as f:
            eq(f.read().strip(), dd.token, "the new admin token is on file")
        revoke = [e for e in audit_all(dd) if e["action"] == "token.revoke"]
        eq(revoke[-1]["object_id"], str(admin_id), "revoke audited")
        check(any(o["path"] == "/revoked_at"
                  for o in revoke[-1]["change"]), revoke[-1]["change"])
    finally:
        eq(dd.stop(), 0, "third clean exit")


# ---- last: whole-log and whole-API checks ----

def test_zz_audit_log_is_gap_free_from_one(d):
    items = audit_all(d)
    eq([e["seq"] for e in items], list(range(1, len(items) + 1)), "seqs")
    eq((items[0]["action"], items[0]["actor"]), ("token.create", "shiplogd"),
       "first entry: the bootstrap token")
    check(len(items) > 100, "the other tests wrote plenty")
    check(all(e["actor"] == ADMIN for e in items[1:]), "actors")


def test_zz_openapi_describes_every_route(d):
    doc = api(d, "GET", "/v1/openapi.json", want=200)
    eq(doc["openapi"], "3.1.0", "version")
    paths = doc["paths"]
    ops = {(m.upper(), p) for p, item in paths.items() for m in item}

    # every request this file sent is described
    def described(method, path):
        for m, p in ops:
            rx = "^" + re.sub(r"\\\{[^}]*\\\}", "[^/]+", re.escape(p)) + "$"
            if m == method and re.match(rx, path):
                return True
        return False

    missing = sorted((m, p) for m, p in SENT if not described(m, p))
    eq(missing, [], "sent but not described")
    check(len(SENT) > 30, len(SENT))

    # every described route exists: fill ids with real objects
    svc, env, gone_svc, gone_env = (mk_service(d), mk_env(d), mk_service(d),
                                    mk_env(d))
    rel = mk_release(d, svc, "1.0.0")
    dep = deploy(d, rel["id"], env)
    tok = api(d, "POST", "/v1/tokens", {"name": uniq("t"), "role": "auditor"},
              201)
    for method, p in sorted(ops):
        if p == "/v1/stream":
            continue  # an answer that never ends: test_stream.py
        if method == "DELETE":
            fill = {"/v1/services/{name}": gone_svc,
                    "/v1/environments/{name}": gone_env,
                    "/v1/tokens/{id}": str(tok["id"])}
            url = re.sub(r"\{[^}]*\}", fill.get(p, "999999"), p)
        elif p.startswith("/v1/services/"):
            url = p.replace("{name}", svc)
        elif p.startswith("/v1/environments/"):
            url = p.replace("{name}", env)
        elif p.startswith("/v1/releases/"):
            url = p.replace("{id}", str(rel["id"]))
        elif p.startswith("/v1/deployments/"):
            url = p.replace("{id}", str(dep["id"]))
        else:
            # governance objects: an id that does not exist is enough to
            # show the route answers
            url = re.sub(r"\{[^}]*\}", "999999", p)
        body = {} if method in ("POST", "PATCH", "PUT") else None
        status, h, got = d.request(method, url, body)
        check(status != 405, "%s %s -> 405" % (method, url))
        check(not (status == 404 and isinstance(got, dict) and
                   got.get("detail", "").startswith("no route")),
              "%s %s -> no route" % (method, url))
        check(status < 500, "%s %s -> %d" % (method, url, status))

    # POST and PATCH bodies reject unknown fields, at every level
    def closed(schema, where):
        if schema.get("type") == "object" and "properties" in schema:
            eq(schema.get("additionalProperties"), False, where)
            for k, sub in schema["properties"].items():
                closed(sub, where + "." + k)
        if isinstance(schema.get("items"), dict):
            closed(schema["items"], where + "[]")

    bodies = 0
    for p, item in paths.items():
        for m, op in item.items():
            if m in ("post", "patch") and "requestBody" in op:
                closed(op["requestBody"]["content"]["application/json"]
                       ["schema"], m + " " + p)
                bodies += 1
    check(bodies >= 9, "bodies described: %d" % bodies)
    check(("POST", "/v1/deployments/{id}/events") in ops, "events route")


if __name__ == "__main__":
    sys.exit(run_tests(globals()))
