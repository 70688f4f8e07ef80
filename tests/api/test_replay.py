#!/usr/bin/env python3
"""Replaying the audit log reproduces every object as the API serves it.

After a mixed workload (services, environments, policies, releases and
their edits, deployments and their events, rollbacks, approvals and their
withdrawal, checklists, change requests, windows, tokens), the log is
read from the first entry and folded per object: each entry's change (an
RFC 6902 JSON Patch) applied, in order, to what the entries before it
made of the same (object type, id), must give the object exactly as its
GET serves it, and a deleted object folds to null. The patches are
applied by the harness's own RFC 6902 code. A write that changed an
object without an entry, or an entry whose change does not say what the
object became, shows here.
"""
import datetime
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Daemon, api, check, entry_after, eq,  # noqa: E402
                     run_tests, uniq)


def iso(t):
    return datetime.datetime.fromtimestamp(
        t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def log(d):
    """Every entry, in order."""
    items, after = [], 0
    while True:
        doc = api(d, "GET", "/v1/audit?limit=500&after=%d" % after,
                  want=200)
        items += doc["items"]
        if not doc["next_cursor"]:
            return items
        after = items[-1]["seq"]


def fold(entries):
    """(object_type, object_id) -> the object its entries make."""
    state = {}
    for e in entries:
        key = (e["object_type"], e["object_id"])
        state[key] = entry_after(state.get(key), e)
    return state


def workload(d):
    ids = {}
    tok = api(d, "POST", "/v1/tokens",
              {"name": uniq("qa"), "role": "approver", "groups": ["qa"]},
              want=201)
    ids["approver"] = tok["token"]
    gone = api(d, "POST", "/v1/tokens",
               {"name": uniq("gone"), "role": "deployer"}, want=201)
    api(d, "DELETE", "/v1/tokens/%d" % gone["id"], want=204)
    svc = api(d, "POST", "/v1/services",
              {"name": uniq("svc"), "owner": "team-a"}, want=201)["name"]
    other = api(d, "POST", "/v1/services",
                {"name": uniq("svc"), "owner": "team-b"}, want=201)["name"]
    api(d, "PATCH", "/v1/services/" + other, {"owner": "team-c"},
        want=200, headers={"If-Match": '"1"'})
    gone = api(d, "POST", "/v1/services",
               {"name": uniq("svc"), "owner": "team-d"}, want=201)["name"]
    api(d, "DELETE", "/v1/services/" + gone, want=204)
    staging = api(d, "POST", "/v1/environments",
                  {"name": uniq("stg"), "rank": 10}, want=201)["name"]
    prod = api(d, "POST", "/v1/environments",
               {"name": uniq("prd"), "rank": 20}, want=201)["name"]
    api(d, "PUT", "/v1/environments/%s/policy" % prod,
        {"approvals": [{"group": "qa", "count": 1}],
         "checklists": [{"items": ["smoke"]}]}, want=200)
    r1 = api(d, "POST", "/v1/releases",
             {"service": svc, "version": "1.0.0", "type": "minor"},
             want=201)
    api(d, "PATCH", "/v1/releases/%d" % r1["id"],
        {"notes": "first cut"}, want=200)
    # Deploy through staging, approve and finish the checklist, go to
    # production; then a second release, rolled back.
    for env in (staging,):
        dep = api(d, "POST", "/v1/deployments",
                  {"release": r1["id"], "environment": env,
                   "status": "in_progress"}, want=201)
        api(d, "POST", "/v1/deployments/%d/events" % dep["id"],
            {"status": "succeeded"}, want=201)
    ap = api(d, "POST", "/v1/releases/%d/approvals" % r1["id"],
             {"environment": prod, "decision": "approve"}, want=201,
             token=ids["approver"])
    api(d, "POST", "/v1/releases/%d/checklist" % r1["id"],
        {"environment": prod, "item": "smoke",
         "evidence": "https://ci.example/1"}, want=201)
    dep = api(d, "POST", "/v1/deployments",
              {"release": r1["id"], "environment": prod,
               "status": "in_progress", "strategy": "canary"}, want=201)
    api(d, "POST", "/v1/deployments/%d/events" % dep["id"],
        {"message": "canary 10%", "traffic_percent": 10}, want=201)
    api(d, "POST", "/v1/deployments/%d/events" % dep["id"],
        {"status": "succeeded"}, want=201)
    r2 = api(d, "POST", "/v1/releases",
             {"service": svc, "version": "1.1.0", "type": "minor"},
             want=201)
    dep2 = api(d, "POST", "/v1/deployments",
               {"release": r2["id"], "environment": staging,
                "status": "in_progress"}, want=201)
    api(d, "POST", "/v1/deployments/%d/events" % dep2["id"],
        {"status": "failed"}, want=201)
    status, _, _ = d.request("DELETE", "/v1/approvals/%d" % ap["id"],
                             token=ids["approver"])
    check(status in (200, 204), "withdrawn: %s" % status)
    t = time.time()
    api(d, "POST", "/v1/windows",
        {"name": uniq("freeze"), "kind": "freeze", "environment": prod,
         "start": iso(t + 86400)[:-1], "end": iso(t + 90000)[:-1],
         "timezone": "UTC", "reason": "quarter end"}, want=201)
    cr = api(d, "POST", "/v1/change-requests",
             {"key": uniq("CHG"), "class": "normal", "state": "new"},
             want=201)
    return ids


def get(d, otype, oid, after):
    """The object as its GET serves it now, or None when there is no
    route to read it by itself."""
    if otype == "service":
        return api(d, "GET", "/v1/services/" + oid, want=200)
    if otype == "environment":
        return api(d, "GET", "/v1/environments/" + oid, want=200)
    if otype == "release":
        return api(d, "GET", "/v1/releases/" + oid, want=200)
    if otype == "deployment":
        doc = api(d, "GET", "/v1/deployments/" + oid, want=200)
        doc.pop("events", None)  # the timeline is spliced in on read
        return doc
    if otype == "change_request":
        return api(d, "GET", "/v1/change-requests/" + oid, want=200)
    if otype == "token":
        doc = api(d, "GET", "/v1/tokens/" + oid, want=200)
        # When it was last used is kept apart from the record.
        doc["last_used_at"] = after.get("last_used_at")
        return doc
    return None


def test_replaying_the_log_gives_every_object_as_served(d):
    for _ in range(4):
        workload(d)
    state = fold(log(d))
    compared = set()
    for (otype, oid), after in sorted(state.items()):
        if after is None:
            status, _, _ = d.request(
                "GET", {"service": "/v1/services/",
                        "environment": "/v1/environments/"}
                .get(otype, "/v1/%ss/" % otype) + oid)
            eq(status, 404, "%s %s was deleted" % (otype, oid))
            continue
        live = get(d, otype, oid, after)
        if live is None:
            continue
        eq(json.dumps(after, sort_keys=True),
           json.dumps(live, sort_keys=True), "%s %s replayed" % (otype, oid))
        compared.add(otype)
    for t in ("service", "environment", "release", "deployment",
              "change_request", "token"):
        check(t in compared, "no %s was compared" % t)


def test_approvals_and_windows_replay_to_their_lists(d):
    workload(d)
    state = fold(log(d))
    for (otype, oid), after in state.items():
        if otype == "approval" and after:
            rid = after["release_id"] if "release_id" in after else None
            if rid is None:
                continue
            live = {a["id"]: a for a in api(
                d, "GET", "/v1/releases/%d/approvals" % rid,
                want=200)["items"]}
            eq(live.get(int(oid)), after, "approval %s replayed" % oid)
        if otype == "window" and after:
            live = {w["id"]: w for w in api(d, "GET", "/v1/windows",
                                           want=200)["items"]}
            eq(live.get(int(oid)), after, "window %s replayed" % oid)


if __name__ == "__main__":
    sys.exit(run_tests(globals()))
