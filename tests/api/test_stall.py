#!/usr/bin/env python3
"""Stalled deployments: a deployment in progress past its environment's
deadline without an event becomes stalled (by the leader, with an event
and an audit entry saying why); a later event brings it back; one within
its deadline, or not in progress, is left alone.

The daemon checks every 100 ms here (SHIPLOG_STALL_CHECK_MS); the
environment's deadline is one second.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Daemon, api, check, eq, run_tests, uniq  # noqa: E402


def world(d, stall_after):
    env = {"name": uniq("env"), "rank": 500}
    if stall_after is not None:
        env["stall_after_seconds"] = stall_after
    env = api(d, "POST", "/v1/environments", env, want=201)["name"]
    svc = api(d, "POST", "/v1/services",
              {"name": uniq("svc"), "owner": "team-stall"}, want=201)["name"]
    rel = api(d, "POST", "/v1/releases",
              {"service": svc, "version": "1.0.0", "type": "minor"},
              want=201)
    return env, svc, rel


def deploy(d, rel, env, status="in_progress"):
    return api(d, "POST", "/v1/deployments",
               {"release": rel["id"], "environment": env, "status": status},
               want=201)


def wait_status(d, dep_id, want, seconds=10):
    deadline = time.time() + seconds
    while time.time() < deadline:
        doc = api(d, "GET", "/v1/deployments/%d" % dep_id, want=200)
        if doc["status"] == want:
            return doc
        time.sleep(0.1)
    raise AssertionError("deployment %d is %s, not %s after %d s"
                         % (dep_id, doc["status"], want, seconds))


def test_a_quiet_deployment_past_its_deadline_is_stalled_and_says_why(d):
    env, svc, rel = world(d, 1)
    dep = deploy(d, rel, env)
    doc = wait_status(d, dep["id"], "stalled")
    last = doc["events"][-1]
    eq((last["status"], last["source"], last["actor"]),
       ("stalled", "health_check", "shiplog"), "the event")
    check(last["message"].startswith("no progress for ") and
          last["message"].endswith("(the environment allows 1 s without an "
                                   "event)"), last["message"])
    entries = api(d, "GET", "/v1/audit?object_type=deployment&object_id=%d"
                  % dep["id"], want=200)["items"]
    eq([e["action"] for e in entries][-1], "deployment.event", "audited")
    eq(entries[-1]["actor"], "shiplog", "by shiplog")
    rows = api(d, "GET", "/v1/status?service=" + svc, want=200)["items"]
    eq(rows[0]["latest"]["status"], "stalled", "the matrix shows it")


def test_an_event_brings_a_stalled_deployment_back_and_it_can_finish(d):
    env, svc, rel = world(d, 1)
    dep = deploy(d, rel, env)
    wait_status(d, dep["id"], "stalled")
    api(d, "POST", "/v1/deployments/%d/events" % dep["id"],
        {"status": "in_progress", "message": "pods rolling again"}, want=201)
    doc = api(d, "POST", "/v1/deployments/%d/events" % dep["id"],
              {"status": "succeeded"}, want=201)["deployment"]
    eq(doc["status"], "succeeded", "finished")


def test_within_its_deadline_or_not_in_progress_nothing_is_stalled(d):
    env, svc, rel = world(d, None)      # the default: an hour
    busy = deploy(d, rel, env)
    env2, svc2, rel2 = world(d, 1)
    queued = deploy(d, rel2, env2, status="queued")
    stalled_env, _, rel3 = world(d, 1)
    witness = deploy(d, rel3, stalled_env)
    wait_status(d, witness["id"], "stalled")   # the detector has run
    time.sleep(0.5)
    eq(api(d, "GET", "/v1/deployments/%d" % busy["id"], want=200)["status"],
       "in_progress", "an hour has not passed")
    eq(api(d, "GET", "/v1/deployments/%d" % queued["id"],
           want=200)["status"], "queued", "only in_progress stalls")


def test_a_deadline_out_of_range_is_refused_naming_the_field(d):
    status, _, doc = d.request("POST", "/v1/environments",
                               {"name": uniq("env"), "rank": 1,
                                "stall_after_seconds": 0})
    eq(status, 422, doc)
    eq([e["field"] for e in doc["errors"]], ["stall_after_seconds"], "field")


if __name__ == "__main__":
    sys.exit(run_tests(globals(), Daemon(env={"SHIPLOG_STALL_CHECK_MS":
                                              "100"})))
