#!/usr/bin/env python3
"""Verification after a deployment succeeds: a policy of HTTP probes and
Prometheus queries per environment (or service), checked every interval
through a stabilisation period by the leader; verified with the evidence,
failed with the failing criterion, its value and a rollback recommendation
(or the rollback itself), and never verified on what could not be read.

A real Prometheus (Debian's /usr/bin/prometheus) scrapes a small exporter
of this file every second, whose values the tests set per service; the
probes ask a local HTTP server whose answers the tests set per path. The
daemon checks every 100 ms (SHIPLOG_VERIFY_CHECK_MS); policies verify for
2 s, a round a second.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Daemon, api, check, eq, free_port, run_tests,  # noqa: E402
                     uniq)

PROMETHEUS = "/usr/bin/prometheus"

# ---- the exporter Prometheus scrapes, and the probes' server ----

ERROR_RATE = {}     # service -> value of shiplog_test_error_rate
ANSWERS = {}        # path -> (status, delay in s, body)


class Exporter(BaseHTTPRequestHandler):
    def do_GET(self):
        lines = ["# TYPE shiplog_test_error_rate gauge"]
        for svc, v in sorted(ERROR_RATE.items()):
            lines.append('shiplog_test_error_rate{service="%s"} %r' % (svc, v))
        body = ("\n".join(lines) + "\n").encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


class Probed(BaseHTTPRequestHandler):
    def do_GET(self):
        status, delay, body = ANSWERS.get(self.path.split("?")[0],
                                          (404, 0, "no such page"))
        if delay:
            time.sleep(delay)
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *a):
        pass


def serve(handler):
    srv = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


class Prometheus:
    """A Prometheus server scraping the exporter every second, in a
    temporary directory, stopped and removed by stop()."""

    def __init__(self, exporter_port):
        self.dir = tempfile.mkdtemp(prefix="shiplog-prom-")
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        cfg = os.path.join(self.dir, "prometheus.yml")
        with open(cfg, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n"
                    "  evaluation_interval: 1s\n"
                    "scrape_configs:\n  - job_name: test\n"
                    "    static_configs:\n"
                    "      - targets: ['127.0.0.1:%d']\n" % exporter_port)
        self.log = open(os.path.join(self.dir, "log"), "wb")
        self.proc = subprocess.Popen(
            [PROMETHEUS, "--config.file=" + cfg,
             "--storage.tsdb.path=" + os.path.join(self.dir, "data"),
             "--web.listen-address=127.0.0.1:%d" % self.port],
            stdout=self.log, stderr=self.log)
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/-/ready",
                                            timeout=1) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("prometheus did not start")

    def value(self, promql):
        q = urllib.parse.urlencode({"query": promql})
        with urllib.request.urlopen(self.url + "/api/v1/query?" + q,
                                    timeout=5) as r:
            res = json.load(r)["data"]["result"]
        return float(res[0]["value"][1]) if len(res) == 1 else None

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


EXPORTER = PROBED = PROM = None
QUERY = 'max(shiplog_test_error_rate{service="{service}"})'


def error_rate(svc, v):
    """Sets svc's error rate and waits until Prometheus has scraped it."""
    ERROR_RATE[svc] = v
    q = QUERY.replace("{service}", svc)
    deadline = time.time() + 15
    while time.time() < deadline:
        if PROM.value(q) == v:
            return
        time.sleep(0.2)
    raise AssertionError("prometheus never saw %s = %r" % (q, v))


def page(path, status=200, delay=0, body="ok"):
    ANSWERS[path] = (status, delay, body)
    return "http://127.0.0.1:%d%s" % (PROBED.server_port, path)


# ---- the record ----

def world(d):
    env = api(d, "POST", "/v1/environments",
              {"name": uniq("env"), "rank": 500}, want=201)["name"]
    svc = api(d, "POST", "/v1/services",
              {"name": uniq("svc"), "owner": "team-verify"}, want=201)["name"]
    return env, svc


def release(d, svc, version):
    return api(d, "POST", "/v1/releases",
               {"service": svc, "version": version, "type": "minor"},
               want=201)


def succeed(d, svc, env, version):
    """A deployment of svc@version to env, in progress then succeeded."""
    rel = release(d, svc, version)
    dep = api(d, "POST", "/v1/deployments",
              {"release": rel["id"], "environment": env,
               "status": "in_progress"}, want=201)
    api(d, "POST", "/v1/deployments/%d/events" % dep["id"],
        {"status": "succeeded"}, want=201)
    return dep["id"]


def policy(probe_url=None, on_failure=None, prometheus=None, query_max=0.05,
           stabilisation=2, **extra):
    body = {"stabilisation_seconds": stabilisation, "interval_seconds": 1,
            "probes": [], "queries": []}
    if probe_url:
        body["probes"].append({"name": "health", "url": probe_url,
                               "expect_status": 200, "max_latency_ms": 2000,
                               "body_contains": "ok"})
    if query_max is not None:
        body["prometheus"] = {"url": prometheus or PROM.url}
        body["queries"].append({"name": "error-rate", "query": QUERY,
                                "max": query_max})
    if on_failure:
        body["on_failure"] = on_failure
    body.update(extra)
    return body


def put(d, env, body, service=None, want=201, token=None):
    path = "/v1/environments/%s/verification" % env
    if service:
        path += "?service=" + service
    return api(d, "PUT", path, body, want=want, token=token)


def outcome(d, dep_id, seconds=30):
    """The verification of dep_id once it has ended."""
    deadline = time.time() + seconds
    doc = None
    while time.time() < deadline:
        status, _, doc = d.request(
            "GET", "/v1/deployments/%d/verification" % dep_id)
        if status == 200 and doc["state"] != "running":
            return doc
        time.sleep(0.1)
    raise AssertionError("verification of %d did not end: %r"
                         % (dep_id, doc))


def deployment(d, dep_id):
    return api(d, "GET", "/v1/deployments/%d" % dep_id, want=200)


def audit(d, object_type, object_id):
    return api(d, "GET", "/v1/audit?object_type=%s&object_id=%s"
               % (object_type, object_id), want=200)["items"]


# ---- tests ----

def test_a_healthy_deployment_is_verified_with_the_evidence(d):
    env, svc = world(d)
    error_rate(svc, 0.01)
    put(d, env, policy(page("/%s/healthz" % svc)))
    dep = succeed(d, svc, env, "1.0.0")
    v = outcome(d, dep)
    eq(v["state"], "verified", v)
    check(len(v["rounds"]) >= 3, "rounds through 2 s, one a second: %r"
          % v["rounds"])
    eq({r["verdict"] for r in v["rounds"]}, {"pass"}, "every round passed")
    crit = {c["name"]: c for c in v["criteria"]}
    eq(crit["error-rate"]["value"], 0.01, "the last value")
    eq(crit["error-rate"]["threshold"], "<= 0.05", "threshold")
    eq(crit["health"]["status"], 200, "probe status")
    eq(crit["health"]["verdict"], "pass", "probe verdict")
    eq(v["policy"]["queries"][0]["query"], QUERY, "the policy used")
    eq(v["recommendation"], None, "nothing to recommend")
    doc = deployment(d, dep)
    eq(doc["status"], "verified", "the deployment")
    check(doc["verified_at"], "verified_at is set")
    last = doc["events"][-1]
    eq((last["status"], last["source"], last["actor"]),
       ("verified", "health_check", "shiplog"), "the event")
    check(re.match(r"verified: %d rounds over \d+ s passed: health: "
                   r"answered 200 in \d+ ms \(limit 2000\); "
                   % len(v["rounds"]), last["message"]) and
          last["message"].endswith("; error-rate: 0.01 is at most 0.05"),
          last["message"])
    eq([e["action"] for e in audit(d, "verification", dep)],
       ["verification.start", "verification.finish"], "audited")
    eq(audit(d, "deployment", dep)[-1]["action"], "deployment.event",
       "the move is audited")


def test_a_failing_prometheus_criterion_fails_it_and_recommends_a_rollback(d):
    env, svc = world(d)
    error_rate(svc, 0.01)
    before = succeed(d, svc, env, "1.0.0")     # before the policy
    put(d, env, policy())
    error_rate(svc, 0.3)
    dep = succeed(d, svc, env, "1.1.0")
    v = outcome(d, dep)
    eq(v["state"], "failed", v)
    eq(len(v["rounds"]), 1, "the first failing round ends it")
    crit = {c["name"]: c for c in v["criteria"]}
    eq((crit["error-rate"]["verdict"], crit["error-rate"]["value"]),
       ("fail", 0.3), "the criterion and its value")
    eq(v["recommendation"],
       {"action": "rollback", "version": "1.0.0", "deployment_id": before,
        "release_id": deployment(d, before)["release_id"]}, "recommendation")
    doc = deployment(d, dep)
    eq(doc["status"], "failed", "the deployment failed")
    msg = doc["events"][-1]["message"]
    eq(msg, "verification failed: error-rate: 0.3 is above the maximum 0.05;"
       " recommended: roll back to %s 1.0.0 (deployment %d)" % (svc, before),
       "the failure's event")
    eq(deployment(d, before)["status"], "succeeded",
       "a deployment from before the policy is left alone")
    eq(v["rollback"], None, "recommend only: no rollback")


def test_a_failing_probe_fails_it_on_status_latency_or_body(d):
    cases = [("status", dict(status=503), "answered 503, expected 200"),
             ("slow", dict(delay=0.6), "limit 300 ms"),
             ("body", dict(body="degraded"), 'without "ok" in its body')]
    for name, answer, words in cases:
        env, svc = world(d)
        url = page("/%s/%s" % (svc, name), **answer)
        body = policy(url, query_max=None)
        body["probes"][0]["max_latency_ms"] = 300
        put(d, env, body)
        dep = succeed(d, svc, env, "1.0.0")
        v = outcome(d, dep)
        eq(v["state"], "failed", name)
        reason = v["criteria"][0]["reason"]
        check(words in reason, "%s: %r" % (name, reason))
        eq(deployment(d, dep)["status"], "failed", name)


def test_on_failure_rollback_rolls_back_to_the_release_that_ran_before(d):
    env, svc = world(d)
    error_rate(svc, 0.01)
    before = succeed(d, svc, env, "2.0.0")
    put(d, env, policy(on_failure="rollback"))
    error_rate(svc, 0.9)
    dep = succeed(d, svc, env, "2.1.0")
    v = outcome(d, dep)
    eq(v["state"], "failed", v)
    new_id = v["rollback"]["deployment_id"]
    doc = deployment(d, dep)
    eq(doc["status"], "rolled_back", "the failed one is rolled back")
    eq(doc["rolled_back_by"], new_id, "rolled_back_by")
    eq([e["status"] for e in doc["events"]][-2:], ["failed", "rolled_back"],
       "failed, then rolled back")
    new = deployment(d, new_id)
    eq((new["version"], new["status"], new["rollback_of"]),
       ("2.0.0", "in_progress", dep), "a new deployment of the previous one")
    entry = audit(d, "deployment", dep)[-1]
    eq((entry["action"], entry["actor"]), ("deployment.rollback", "shiplog"),
       "audited as the rollback route audits it")


def test_prometheus_unreachable_is_not_verified_and_not_failed(d):
    env, svc = world(d)
    dead = "http://127.0.0.1:%d" % free_port()
    put(d, env, policy(prometheus=dead, stabilisation=1))
    dep = succeed(d, svc, env, "1.0.0")
    v = outcome(d, dep)
    eq(v["state"], "incomplete", v)
    eq({r["verdict"] for r in v["rounds"]}, {"unknown"}, "rounds unknown")
    check("Prometheus did not answer" in v["criteria"][0]["reason"],
          v["criteria"][0]["reason"])
    doc = deployment(d, dep)
    eq(doc["status"], "succeeded", "neither verified nor failed")
    last = doc["events"][-1]
    eq((last["status"], last["source"]), (None, "health_check"), "event")
    check(last["message"].startswith("verification could not be completed"),
          last["message"])


def test_a_service_policy_wins_over_the_environments(d):
    env, svc = world(d)
    put(d, env, policy(page("/%s/env-policy" % svc, status=500),
                       query_max=None))
    put(d, env, policy(page("/%s/own" % svc), query_max=None,
                       stabilisation=0), service=svc)
    dep = succeed(d, svc, env, "1.0.0")
    v = outcome(d, dep)
    eq(v["state"], "verified", v)
    check(v["policy"]["probes"][0]["url"].endswith("/own"), v["policy"])
    got = api(d, "GET", "/v1/environments/%s/verification?service=%s"
              % (env, svc), want=200)
    eq((got["service"], got["stabilisation_seconds"]), (svc, 0), "stored")


def test_a_restart_goes_on_from_the_rounds_kept(d):
    env, svc = world(d)
    put(d, env, policy(page("/%s/healthz" % svc), query_max=None,
                       stabilisation=3))
    dep = succeed(d, svc, env, "1.0.0")
    deadline = time.time() + 20
    while time.time() < deadline:
        status, _, v = d.request("GET", "/v1/deployments/%d/verification"
                                 % dep)
        if status == 200 and v["rounds"]:
            break
        time.sleep(0.05)
    first = v["rounds"][0]
    d.stop()
    d.start()
    v = outcome(d, dep)
    eq(v["state"], "verified", v)
    eq(v["rounds"][0], first, "the first round is the one kept")


def test_bad_policies_are_refused_naming_the_field_and_change_nothing(d):
    env, svc = world(d)
    good = policy(page("/x"), query_max=None)
    cases = [
        ({"probes": [good["probes"][0], dict(good["probes"][0], name="b",
                                              expect_status=700)]},
         "probes[1].expect_status", 422),
        ({"probes": [dict(good["probes"][0], url="http://{service}/{sha}")]},
         "probes[0].url", 422),
        ({"probes": [good["probes"][0], good["probes"][0]]},
         "probes[1].name", 422),
        ({"queries": [{"name": "q", "query": "up"}],
          "prometheus": {"url": PROM.url}}, "queries[0].max", 422),
        ({"queries": [{"name": "q", "query": "up", "max": 1, "min": 2}],
          "prometheus": {"url": PROM.url}}, "queries[0].min", 422),
        ({"queries": [{"name": "q", "query": "up", "max": "high"}],
          "prometheus": {"url": PROM.url}}, "queries[0].max", 422),
        ({"queries": [{"name": "q", "query": "up", "max": 1}]},
         "prometheus.url", 422),
        ({}, "probes", 422),
        ({"probes": good["probes"], "on_failure": "panic"}, "on_failure",
         422),
        ({"probes": good["probes"], "interval_seconds": 0},
         "interval_seconds", 422),
    ]
    for body, field, status in cases:
        s, _, doc = d.request("PUT", "/v1/environments/%s/verification"
                              % env, body)
        eq(s, status, "%r -> %r" % (body, doc))
        check(field in [e["field"] for e in doc.get("errors", [])] or
              doc.get("field") == field or field in doc.get("detail", ""),
              "%r: %r does not name %s" % (body, doc, field))
    api(d, "GET", "/v1/environments/%s/verification" % env, want=404)
    eq(audit(d, "verification_policy", env), [], "nothing audited")
    s, _, doc = d.request("PUT", "/v1/environments/nope/verification", good)
    eq(s, 404, doc)
    s, _, doc = d.request("PUT", "/v1/environments/%s/verification?service="
                          "nope" % env, good)
    eq(s, 404, doc)


def test_roles_who_may_set_and_read_a_policy(d):
    env, svc = world(d)
    toks = {}
    for role in ("release_manager", "deployer", "developer"):
        toks[role] = api(d, "POST", "/v1/tokens",
                         {"name": uniq("tok"), "role": role},
                         want=201)["token"]
    body = policy(page("/r"), query_max=None)
    s, _, doc = d.request("PUT", "/v1/environments/%s/verification" % env,
                          body, token=toks["deployer"])
    eq(s, 403, doc)
    check("policy.write" in doc["detail"], doc)
    api(d, "GET", "/v1/environments/%s/verification" % env, want=404)
    put(d, env, body, token=toks["release_manager"])
    got = api(d, "GET", "/v1/environments/%s/verification" % env, want=200,
              token=toks["developer"])
    eq(got["probes"][0]["url"], body["probes"][0]["url"], "readable")
    s, _, doc = d.request("DELETE", "/v1/environments/%s/verification" % env,
                          token=toks["developer"])
    eq(s, 403, doc)
    entries = audit(d, "verification_policy", env)
    eq([e["action"] for e in entries], ["verification_policy.create"],
       "only the allowed write is audited")
    api(d, "DELETE", "/v1/environments/%s/verification" % env, want=204,
        token=toks["release_manager"])
    api(d, "GET", "/v1/environments/%s/verification" % env, want=404)


def test_a_deployment_without_verification_says_so(d):
    env, svc = world(d)
    dep = succeed(d, svc, env, "1.0.0")
    s, _, doc = d.request("GET", "/v1/deployments/%d/verification" % dep)
    eq(s, 404, doc)
    check("has no verification" in doc["detail"], doc)
    s, _, doc = d.request("GET", "/v1/deployments/999999/verification")
    eq(s, 404, doc)


def test_cli_puts_gets_and_shows_a_verification(d):
    env, svc = world(d)
    body = policy(page("/%s/cli" % svc), query_max=None, stabilisation=0)
    path = os.path.join(tempfile.mkdtemp(prefix="shiplog-verify-"), "p.json")
    with open(path, "w") as f:
        json.dump(body, f)
    rc, out, err = d.cli("verification", "put", env, "--file", path)
    eq(rc, 0, err)
    rc, out, err = d.cli("verification", "get", env, "--json")
    eq((rc, json.loads(out)["probes"][0]["name"]), (0, "health"), err)
    rc, out, err = d.cli("verification", "get", env, "--service", svc)
    eq(rc, 1, "no policy of the service's own: refused")
    check("no verification policy" in err, err)
    bad = dict(body, interval_seconds=0)
    with open(path, "w") as f:
        json.dump(bad, f)
    rc, out, err = d.cli("verification", "put", env, "--file", path)
    eq(rc, 1, err)
    check("interval_seconds" in err, err)
    dep = succeed(d, svc, env, "1.0.0")
    outcome(d, dep)
    rc, out, err = d.cli("deploy", "verification", str(dep))
    eq(rc, 0, err)
    check("verified" in out and "health" in out, out)
    rc, out, err = d.cli("deploy", "verification", str(dep), "--json")
    eq(json.loads(out)["state"], "verified", out)
    rc, out, err = d.cli("verification", "delete", env)
    eq(rc, 0, err)
    eq(out, "verification policy of %s deleted\n" % env, "says so")
    rc, out, err = d.cli("verification", "put", env)
    eq(rc, 2, "--file is required: nothing sent")
    rc, out, err = d.cli("verification", "--help")
    eq(rc, 0, err)
    check("put" in out and "delete" in out, out)
    shutil.rmtree(os.path.dirname(path), ignore_errors=True)


def test_done_when_a_failing_prometheus_criterion_is_notified_once_across_kill_9(d):
    """Issue 15's "done when": a failing Prometheus criterion fails the
    deployment; the subscribed webhook gets the notification exactly once
    although the daemon is killed (-9) while sending it; a receiver that
    keeps failing gets it as a dead letter, which replays."""
    import signal
    import test_notify as tn
    del d  # a daemon of its own: this one is killed
    box = {}

    def kill_first(rcv):
        if len(rcv.requests) == 1:
            os.kill(box["d"].proc.pid, signal.SIGKILL)
            time.sleep(0.2)

    rcv = tn.Receiver(on_request=kill_first)
    down = tn.Receiver(fail=None)
    d2 = Daemon(env=tn.ENV)
    box["d"] = d2
    try:
        d2.start()
        env, svc = world(d2)
        error_rate(svc, 0.01)
        before = succeed(d2, svc, env, "1.0.0")
        sub = tn.subscribe(d2, rcv.url, environments=[env])
        dead_sub = tn.subscribe(d2, down.url, services=[svc])
        put(d2, env, policy())
        error_rate(svc, 0.4)
        dep = succeed(d2, svc, env, "1.1.0")
        rcv.wait(1)               # it arrived, and the daemon died
        d2.stop(signal.SIGKILL)
        d2.start()
        got = rcv.wait(2)
        sent = tn.wait_outbox(d2, sub, "sent")
        eq(len(sent), 1, "one notification")
        eq(len({h["X-Shiplog-Delivery"] for h, _ in got}), 1,
           "the same key both times")
        eq(rcv.processed, {sent[0]["key"]: 1}, "processed exactly once")
        eq(rcv.dropped, 1, "the repeat dropped by its key")
        p = json.loads(got[0][1])
        eq((p["event"], p["object"]["id"], p["data"]["status"], p["service"]),
           ("deployment.failed", str(dep), "failed", svc), "what it says")
        doc = deployment(d2, dep)
        eq(doc["status"], "failed", "the deployment failed")
        check("error-rate: 0.4 is above the maximum 0.05" in
              doc["events"][-1]["message"], doc["events"][-1])
        check("deployment %d" % before in doc["events"][-1]["message"],
              "the rollback recommended names the one before")
        # The other subscriber's receiver is down: a dead letter.
        dead = tn.wait_outbox(d2, dead_sub, "dead", seconds=30)
        eq(len(dead), 1, "one dead letter")
        eq(dead[0]["attempts"], int(tn.ENV["SHIPLOG_DISPATCH_ATTEMPTS"]),
           "after every attempt")
        down.fail = 0
        api(d2, "POST", "/v1/notifications/%d/replay" % dead[0]["id"],
            want=200)
        again = tn.wait_outbox(d2, dead_sub, "sent")
        eq(again[0]["id"], dead[0]["id"], "the dead letter, sent")
        eq(len(down.processed), 1, "received once")
    finally:
        d2.stop()
        d2.drop_database()
        rcv.close()
        down.close()


def main():
    global EXPORTER, PROBED, PROM
    if not os.path.exists(PROMETHEUS):
        print("FAIL %s is missing (scripts/setup installs it)" % PROMETHEUS)
        print("0 passed, 1 failed")
        return 1
    EXPORTER = serve(Exporter)
    PROBED = serve(Probed)
    PROM = Prometheus(EXPORTER.server_port)
    try:
        return run_tests(globals(), Daemon(env={"SHIPLOG_VERIFY_CHECK_MS":
                                                "100"}))
    finally:
        PROM.stop()
        EXPORTER.shutdown()
        PROBED.shutdown()


if __name__ == "__main__":
    sys.exit(main())
