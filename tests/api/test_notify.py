#!/usr/bin/env python3
"""Notifications: subscriptions, the durable outbox and its dispatcher.

The receivers are written here: an HTTP server that fails its first
attempts (or all of them, or kills the daemon when a request arrives),
and a minimal SMTP server. The daemon dispatches every 50 ms and retries
after 100 ms, 200 ms, ... (SHIPLOG_DISPATCH_*), so nothing waits long;
the tests wait for what a receiver got, never for a time.
"""
import hashlib
import hmac
import http.server
import json
import os
import signal
import socket
import socketserver
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Daemon, api, check, eq, run_tests, uniq  # noqa: E402

SECRET = "notify-secret-0123456789"
ENV = {
    "SHIPLOG_LEADER_INTERVAL_MS": "50",
    "SHIPLOG_DISPATCH_MS": "50",
    "SHIPLOG_DISPATCH_BACKOFF_MS": "100",
    "SHIPLOG_DISPATCH_ATTEMPTS": "4",
    "SHIPLOG_DISPATCH_TIMEOUT_MS": "1000",
    "SHIPLOG_DISPATCH_LEASE_MS": "2000",
    "SHIPLOG_STALL_CHECK_MS": "100",
    "SHIPLOG_VERIFY_CHECK_MS": "100",
}
CTL = None  # the fault control file, made in main


# ---- receivers ----

class Receiver:
    """An HTTP receiver on loopback. fail: how many first requests get a
    500 (None: every one). on_request(receiver) runs before the answer.
    It keeps every request and processes each idempotency key once."""

    def __init__(self, fail=0, on_request=None):
        self.fail = fail
        self.on_request = on_request
        self.requests = []      # (headers, raw body)
        self.processed = {}     # key -> times processed
        self.dropped = 0        # repeats of a key already processed
        self.lock = threading.Lock()
        me = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                key = self.headers.get("X-Shiplog-Delivery")
                with me.lock:
                    me.requests.append((dict(self.headers), body))
                    count = len(me.requests)
                    failing = me.fail is None or count <= me.fail
                    # Processed once per key; a repeat is dropped.
                    if not failing and key not in me.processed:
                        me.processed[key] = 1
                    elif not failing:
                        me.dropped += 1
                if me.on_request:
                    me.on_request(me)
                self.send_response(500 if failing else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_GET(self):
                # A health probe (verification) is told the service is
                # unwell.
                self.send_response(503)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *a):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                                      Handler)
        self.url = "http://127.0.0.1:%d/hook" % self.server.server_port
        threading.Thread(target=self.server.serve_forever,
                         daemon=True).start()

    def wait(self, n, seconds=20):
        deadline = time.time() + seconds
        while time.time() < deadline:
            with self.lock:
                if len(self.requests) >= n:
                    return list(self.requests)
            time.sleep(0.02)
        raise AssertionError("receiver got %d requests, wanted %d"
                             % (len(self.requests), n))

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class SMTP:
    """A minimal SMTP server: enough of RFC 5321 for one client to hand
    over messages (EHLO, MAIL, RCPT, DATA, QUIT). Keeps each message as
    (from, [to], data)."""

    def __init__(self):
        self.messages = []
        me = self

        class Handler(socketserver.StreamRequestHandler):
            def reply(self, line):
                self.wfile.write(line.encode() + b"\r\n")

            def handle(self):
                self.reply("220 localhost ESMTP test")
                sender, rcpts = None, []
                while True:
                    line = self.rfile.readline()
                    if not line:
                        return
                    cmd = line.decode().strip()
                    verb = cmd[:4].upper()
                    if verb in ("EHLO", "HELO"):
                        self.reply("250 localhost")
                    elif verb == "MAIL":
                        sender = cmd.split(":", 1)[1].strip(" <>")
                        self.reply("250 OK")
                    elif verb == "RCPT":
                        rcpts.append(cmd.split(":", 1)[1].strip(" <>"))
                        self.reply("250 OK")
                    elif verb == "DATA":
                        self.reply("354 go on")
                        data = b""
                        while not data.endswith(b"\r\n.\r\n"):
                            chunk = self.rfile.readline()
                            if not chunk:
                                return
                            data += chunk
                        me.messages.append((sender, rcpts,
                                            data[:-5].decode()))
                        self.reply("250 OK queued")
                    elif verb == "QUIT":
                        self.reply("221 bye")
                        return
                    else:
                        self.reply("250 OK")

        class Server(socketserver.ThreadingTCPServer):
            allow_reuse_address = True
            daemon_threads = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = "smtp://127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever,
                         daemon=True).start()

    def wait(self, n, seconds=20):
        deadline = time.time() + seconds
        while time.time() < deadline:
            if len(self.messages) >= n:
                return self.messages
            time.sleep(0.02)
        raise AssertionError("SMTP server got %d messages, wanted %d"
                             % (len(self.messages), n))

    def close(self):
        self.server.shutdown()
        self.server.server_close()


# ---- the record ----

def world(d, stall_after=None):
    env = {"name": uniq("env"), "rank": 500}
    if stall_after:
        env["stall_after_seconds"] = stall_after
    env = api(d, "POST", "/v1/environments", env, want=201)["name"]
    svc = api(d, "POST", "/v1/services",
              {"name": uniq("svc"), "owner": "team-notify"},
              want=201)["name"]
    rel = api(d, "POST", "/v1/releases",
              {"service": svc, "version": "1.0.0", "type": "minor"},
              want=201)
    return env, svc, rel


def deploy(d, rel, env):
    return api(d, "POST", "/v1/deployments",
               {"release": rel["id"], "environment": env,
                "status": "in_progress"}, want=201)


def fail(d, dep):
    return api(d, "POST", "/v1/deployments/%d/events" % dep["id"],
               {"status": "failed", "message": "smoke tests failed"},
               want=201)


def subscribe(d, url, events=("deployment.failed",), **extra):
    name = uniq("sub")
    body = {"events": list(events),
            "channel": {"type": "webhook", "url": url, "secret": SECRET}}
    body.update(extra)
    api(d, "PUT", "/v1/subscriptions/" + name, body, want=201)
    return name


def outbox(d, sub, status=None):
    q = "/v1/notifications?subscription=" + sub
    if status:
        q += "&status=" + status
    return api(d, "GET", q, want=200)["items"]


def wait_outbox(d, sub, status, seconds=20):
    deadline = time.time() + seconds
    while time.time() < deadline:
        items = outbox(d, sub, status)
        if items:
            return items
        time.sleep(0.05)
    raise AssertionError("no %s notification for %s: %r"
                         % (status, sub, outbox(d, sub)))


def signed(secret, body):
    return "sha256=" + hmac.new(secret.encode(), body,
                                hashlib.sha256).hexdigest()


def audit_count(d):
    return len(api(d, "GET", "/v1/audit?limit=500", want=200)["items"])


# ---- subscriptions ----

def test_a_subscription_never_answers_its_secret_and_its_writes_are_audited(d):
    name = uniq("sub")
    doc = api(d, "PUT", "/v1/subscriptions/" + name,
              {"events": ["deployment.failed", "freeze.started"],
               "environments": ["production"],
               "channel": {"type": "webhook",
                           "url": "http://127.0.0.1:9/x",
                           "secret": SECRET}}, want=201)
    check(SECRET not in json.dumps(doc), doc)
    eq(doc["channel"]["secret_fingerprint"],
       hashlib.sha256(SECRET.encode()).hexdigest()[:12], "fingerprint")
    eq(doc["events"], ["deployment.failed", "freeze.started"], "events")
    eq(doc["services"], [], "no service filter: every service")
    got = api(d, "GET", "/v1/subscriptions/" + name, want=200)
    eq(got, doc, "GET answers what PUT stored")
    names = [s["name"] for s in
             api(d, "GET", "/v1/subscriptions", want=200)["items"]]
    check(name in names, names)
    api(d, "PUT", "/v1/subscriptions/" + name,
        {"events": ["deployment.verified"],
         "channel": {"type": "slack",
                     "url": "https://chat.example/services/T0/B0/" + SECRET}},
        want=200)
    got = api(d, "GET", "/v1/subscriptions/" + name, want=200)
    check(SECRET not in json.dumps(got), "a Slack URL is a secret too")
    eq(got["revision"], 2, "replaced")
    status, _, _ = d.request("DELETE", "/v1/subscriptions/" + name)
    eq(status, 204, "deleted")
    entries = api(d, "GET", "/v1/audit?object_type=subscription&object_id="
                  + name, want=200)["items"]
    eq([e["action"] for e in entries],
       ["subscription.create", "subscription.update", "subscription.delete"],
       "audited")
    check(SECRET not in json.dumps(entries), "no secret in the audit log")


def test_a_bad_subscription_is_refused_naming_the_field_and_nothing_is_kept(d):
    cases = [
        ({"events": ["deployment.exploded"],
          "channel": {"type": "webhook", "url": "http://x.example/",
                      "secret": SECRET}}, "events[0]"),
        ({"events": ["deployment.failed"],
          "channel": {"type": "webhook", "url": "http://x.example/"}},
         "channel.secret"),
        ({"events": ["deployment.failed"],
          "channel": {"type": "email", "url": "http://x.example/",
                      "from": "a@example.com", "to": ["b@example.com"]}},
         "channel.url"),
        ({"events": ["deployment.failed"],
          "channel": {"type": "email", "url": "smtp://127.0.0.1:25",
                      "from": "a@example.com"}}, "channel.to"),
        ({"events": ["deployment.failed"],
          "channel": {"type": "pager", "url": "http://x.example/"}},
         "channel.type"),
    ]
    before = audit_count(d)
    for body, field in cases:
        name = uniq("bad")
        status, _, doc = d.request("PUT", "/v1/subscriptions/" + name, body)
        eq(status, 422, doc)
        check(field in [e.get("field") for e in doc.get("errors", [])]
              or doc.get("field") == field, "%s named: %r" % (field, doc))
        status, _, _ = d.request("GET", "/v1/subscriptions/" + name)
        eq(status, 404, "nothing kept")
    eq(audit_count(d), before, "nothing audited")


def test_only_a_token_admin_configures_subscriptions_and_replays(d):
    tok = api(d, "POST", "/v1/tokens", {"name": uniq("rm"),
                                         "role": "release_manager"},
              want=201)["token"]
    status, _, doc = d.request(
        "PUT", "/v1/subscriptions/" + uniq("x"),
        {"events": ["deployment.failed"],
         "channel": {"type": "webhook", "url": "http://x.example/",
                     "secret": SECRET}}, token=tok)
    eq(status, 403, doc)
    status, _, doc = d.request("POST", "/v1/notifications/1/replay",
                               token=tok)
    eq(status, 403, doc)
    status, _, doc = d.request("GET", "/v1/notifications", token=tok)
    eq(status, 200, "everyone may read the outbox")


# ---- delivery ----

def test_a_webhook_failing_twice_is_retried_signed_with_the_same_key(d):
    rcv = Receiver(fail=2)
    try:
        env, svc, rel = world(d)
        sub = subscribe(d, rcv.url, environments=[env])
        dep = deploy(d, rel, env)
        fail(d, dep)
        # Written with the change: pending before any attempt was made.
        items = outbox(d, sub)
        eq(len(items), 1, items)
        eq(items[0]["event"], "deployment.failed", "event")
        got = rcv.wait(3)
        sent = wait_outbox(d, sub, "sent")[0]
        eq(len(rcv.requests), 3, "two failures, then taken")
        eq(sent["attempts"], 3, "attempts counted")
        eq(sent["last_error"], None, "sent: no error left")
        keys = {h["X-Shiplog-Delivery"] for h, _ in got}
        eq(keys, {sent["key"]}, "one idempotency key on every attempt")
        for h, body in got:
            eq(h["X-Shiplog-Signature"], signed(SECRET, body),
               "HMAC of the raw body with the secret")
        p = json.loads(got[-1][1])
        eq(p["event"], "deployment.failed", "payload event")
        eq(p["key"], sent["key"], "payload key")
        eq(p["subscription"], sub, "payload subscription")
        eq(p["environment"], env, "payload environment")
        eq(p["service"], svc, "payload service")
        eq(p["object"], {"type": "deployment", "id": str(dep["id"])},
           "payload object")
        eq(p["data"]["status"], "failed", "the deployment as it is")
        check(env in p["summary"] and "failed" in p["summary"],
              p["summary"])
        eq(rcv.processed, {sent["key"]: 1}, "processed once")
    finally:
        rcv.close()


def test_a_receiver_that_always_fails_gets_it_dead_then_replayed(d):
    rcv = Receiver(fail=None)
    try:
        env, _, rel = world(d)
        sub = subscribe(d, rcv.url, environments=[env])
        fail(d, deploy(d, rel, env))
        dead = wait_outbox(d, sub, "dead")[0]
        eq(len(rcv.requests), 4, "SHIPLOG_DISPATCH_ATTEMPTS attempts")
        eq(dead["attempts"], 4, "attempts listed")
        eq(dead["last_error"], "the receiver answered HTTP 500", "why")
        eq(dead["next_at"], None, "dead: never again by itself")
        eq(outbox(d, sub, "pending"), [], "not pending")
        status, _, doc = d.request("POST", "/v1/notifications/%d/replay"
                                   % (dead["id"] + 1000000))
        eq(status, 404, doc)
        rcv.fail = 4  # the fifth request is taken
        before = audit_count(d)
        again = api(d, "POST", "/v1/notifications/%d/replay" % dead["id"],
                    want=200)
        eq(again["status"], "pending", "back to pending")
        eq(again["attempts"], 0, "attempts start again")
        sent = wait_outbox(d, sub, "sent")[0]
        eq(sent["id"], dead["id"], "the same notification")
        eq(len(rcv.requests), 5, "one more attempt")
        eq({h["X-Shiplog-Delivery"] for h, _ in rcv.requests}, {dead["key"]},
           "the same key")
        entries = api(d, "GET", "/v1/audit?action=notification.replay"
                      "&object_id=%d" % dead["id"], want=200)["items"]
        eq(len(entries), 1, "the replay is audited")
        check(audit_count(d) >= before + 1, "audited")
        status, _, doc = d.request("POST", "/v1/notifications/%d/replay"
                                   % dead["id"])
        eq(status, 200, "a sent one may be replayed too: %r" % doc)
        wait_outbox(d, sub, "sent")
    finally:
        rcv.close()


def test_a_pending_notification_is_not_replayed(d):
    # A receiver slower than the send timeout (1 s): each of the four
    # attempts times out, so the notification stays pending for seconds.
    rcv = Receiver(on_request=lambda r: time.sleep(2))
    try:
        env, _, rel = world(d)
        sub = subscribe(d, rcv.url, environments=[env])
        fail(d, deploy(d, rel, env))
        n = outbox(d, sub)[0]
        eq(n["status"], "pending", "just written")
        status, _, doc = d.request("POST", "/v1/notifications/%d/replay"
                                   % n["id"])
        eq(status, 409, doc)
        check("pending" in doc["detail"], doc)
    finally:
        rcv.close()


def test_an_email_reaches_the_smtp_server_with_a_stable_message_id(d):
    smtp = SMTP()
    try:
        env, svc, rel = world(d)
        sub = uniq("mail")
        api(d, "PUT", "/v1/subscriptions/" + sub,
            {"events": ["deployment.failed"], "environments": [env],
             "channel": {"type": "email", "url": smtp.url,
                         "from": "shiplog@example.com",
                         "to": ["oncall@example.com", "lead@example.com"]}},
            want=201)
        fail(d, deploy(d, rel, env))
        sender, rcpts, data = smtp.wait(1)[0]
        sent = wait_outbox(d, sub, "sent")[0]
        eq(sender, "shiplog@example.com", "MAIL FROM")
        eq(rcpts, ["oncall@example.com", "lead@example.com"], "RCPT TO")
        check("Message-ID: <%s@shiplog>" % sent["key"] in data, data)
        check("Subject: [shiplog] " in data and env in data, data)
        check('"event": "deployment.failed"' in data, data)
        check(svc in data, data)
    finally:
        smtp.close()


def test_slack_gets_text_and_blocks(d):
    rcv = Receiver()
    try:
        env, _, rel = world(d)
        sub = uniq("slack")
        api(d, "PUT", "/v1/subscriptions/" + sub,
            {"events": ["deployment.failed"], "environments": [env],
             "channel": {"type": "slack", "url": rcv.url}}, want=201)
        fail(d, deploy(d, rel, env))
        h, body = rcv.wait(1)[0]
        doc = json.loads(body)
        summary = wait_outbox(d, sub, "sent")[0]["summary"]
        eq(doc["text"], summary, "the summary as text")
        eq(doc["blocks"][0]["type"], "section", "a block")
        check("X-Shiplog-Signature" not in h, "Slack is not signed")
    finally:
        rcv.close()


def test_filters_keep_other_environments_and_teams_out(d):
    env, svc, rel = world(d)
    other_env, _, _ = world(d)
    mine = subscribe(d, "http://127.0.0.1:9/a", environments=[env])
    theirs = subscribe(d, "http://127.0.0.1:9/b", environments=[other_env])
    team = subscribe(d, "http://127.0.0.1:9/c", teams=["team-notify"],
                     services=[svc])
    not_team = subscribe(d, "http://127.0.0.1:9/d", teams=["team-other"],
                         services=[svc])
    verified = subscribe(d, "http://127.0.0.1:9/e",
                         events=["deployment.verified"], services=[svc])
    fail(d, deploy(d, rel, env))
    # The outbox is written in the transaction of the change: what it
    # holds now is all there will be.
    eq(len(outbox(d, mine)), 1, "the environment subscribed to")
    eq(outbox(d, theirs), [], "another environment gets nothing")
    eq(len(outbox(d, team)), 1, "the service's owner")
    eq(outbox(d, not_team), [], "another team gets nothing")
    eq(outbox(d, verified), [], "another event gets nothing")


def test_a_rollback_and_a_verification_are_notified_to_their_subscribers(d):
    env, svc, rel1 = world(d)
    rel2 = api(d, "POST", "/v1/releases",
               {"service": svc, "version": "2.0.0", "type": "major"},
               want=201)
    rolled = subscribe(d, "http://127.0.0.1:9/r",
                       events=["deployment.rolled_back"], environments=[env])
    verified = subscribe(d, "http://127.0.0.1:9/v",
                         events=["deployment.verified"], environments=[env])
    deps = []
    for rel in (rel1, rel2):
        dep = deploy(d, rel, env)
        api(d, "POST", "/v1/deployments/%d/events" % dep["id"],
            {"status": "succeeded"}, want=201)
        deps.append(dep)
    eq(outbox(d, verified), [], "succeeded is not verified")
    api(d, "POST", "/v1/deployments/%d/events" % deps[0]["id"],
        {"status": "verified"}, want=201)
    got = outbox(d, verified)
    eq([(n["event"], n["payload"]["object"]["id"]) for n in got],
       [("deployment.verified", str(deps[0]["id"]))], "verified once")
    api(d, "POST", "/v1/deployments/%d/rollback" % deps[1]["id"],
        {"reason": "error rate"}, want=201)
    got = outbox(d, rolled)
    eq([(n["event"], n["payload"]["object"]["id"]) for n in got],
       [("deployment.rolled_back", str(deps[1]["id"]))],
       "the rolled-back deployment")


def test_a_failing_verification_fails_the_deployment_and_is_notified_once(d):
    rcv = Receiver()
    try:
        env, svc, rel = world(d)
        sub = subscribe(d, rcv.url, environments=[env])
        api(d, "PUT", "/v1/environments/%s/verification" % env,
            {"stabilisation_seconds": 2, "interval_seconds": 1,
             "probes": [{"name": "health", "url": rcv.url,
                         "expect_status": 200}], "queries": []}, want=201)
        dep = deploy(d, rel, env)
        api(d, "POST", "/v1/deployments/%d/events" % dep["id"],
            {"status": "succeeded"}, want=201)
        sent = wait_outbox(d, sub, "sent")
        eq(len(sent), 1, "one notification")
        posts = [(h, b) for h, b in rcv.requests if b]
        eq(len(posts), 1, "received once")
        p = json.loads(posts[0][1])
        eq((p["event"], p["object"]["id"], p["data"]["status"]),
           ("deployment.failed", str(dep["id"]), "failed"),
           "the verification's failure")
        events = api(d, "GET", "/v1/deployments/%d" % dep["id"],
                     want=200)["events"]
        check("verification failed" in events[-1]["message"], events[-1])
        eq(p["service"], svc, "service")
    finally:
        rcv.close()


def test_a_confirmed_incident_cause_is_notified_as_incident_linked(d):
    env, svc, rel = world(d)
    other_svc = api(d, "POST", "/v1/services",
                    {"name": uniq("svc"), "owner": "team-other"},
                    want=201)["name"]
    linked = subscribe(d, "http://127.0.0.1:9/i", events=["incident.linked"],
                       services=[svc])
    elsewhere = subscribe(d, "http://127.0.0.1:9/j",
                          events=["incident.linked"], services=[other_svc])
    dep = deploy(d, rel, env)
    key = uniq("inc")
    api(d, "POST", "/v1/incidents",
        {"key": key, "severity": "major", "environment": env,
         "services": [svc], "summary": "checkout answers 502"}, want=201)
    eq(outbox(d, linked), [], "an incident alone links nothing")
    api(d, "POST", "/v1/incidents/%s/causes" % key,
        {"deployment_id": dep["id"]}, want=201)
    got = outbox(d, linked)
    eq([(n["event"], n["payload"]["object"]) for n in got],
       [("incident.linked", {"type": "incident", "id": key})], "linked")
    check(key in got[0]["summary"], got[0]["summary"])
    eq(got[0]["payload"]["data"]["causes"][0]["deployment_id"], dep["id"],
       "the cause")
    eq(outbox(d, elsewhere), [], "another service's subscribers: nothing")


def test_a_stalled_deployment_is_notified(d):
    rcv = Receiver()
    try:
        env, _, rel = world(d, stall_after=1)
        sub = subscribe(d, rcv.url, events=["deployment.stalled"],
                        environments=[env])
        dep = deploy(d, rel, env)
        _, body = rcv.wait(1, seconds=30)[0]
        p = json.loads(body)
        eq(p["event"], "deployment.stalled", "event")
        eq(p["object"]["id"], str(dep["id"]), "the deployment")
        eq(p["data"]["status"], "stalled", "as it is")
        eq(len(outbox(d, sub)), 1, "one notification")
    finally:
        rcv.close()


def test_a_gate_refusal_is_notified_once_with_approvals_requested(d):
    env, svc, rel = world(d)
    api(d, "PUT", "/v1/environments/%s/policy" % env,
        {"approvals": [{"group": "cab", "count": 1}]}, want=200)
    sub = subscribe(d, "http://127.0.0.1:9/g",
                    events=["gate.refused", "approval.requested"],
                    environments=[env])
    body = {"release": rel["id"], "environment": env}
    got = api(d, "POST", "/v1/gates/check", body, want=200)
    eq(got["allowed"], False, "no approval yet")
    status, _, _ = d.request("POST", "/v1/deployments",
                             dict(body, status="in_progress"))
    eq(status, 409, "refused")
    status, _, _ = d.request("POST", "/v1/deployments",
                             dict(body, status="in_progress"))
    eq(status, 409, "refused again, for the same reasons")
    items = outbox(d, sub)
    eq(sorted(i["event"] for i in items),
       ["approval.requested", "gate.refused"], "each once")
    eq({i["service"] for i in items}, {svc}, "about the service")


def test_a_freeze_starting_and_ending_is_notified_once_each(d):
    import datetime
    rcv = Receiver()
    try:
        env, _, _ = world(d)
        sub = subscribe(d, rcv.url, events=["freeze.started", "freeze.ended"],
                        environments=[env])
        now = datetime.datetime.now(datetime.timezone.utc)
        start = (now + datetime.timedelta(seconds=2)).replace(microsecond=0)
        end = start + datetime.timedelta(seconds=2)
        fmt = "%Y-%m-%dT%H:%M:%S"
        win = api(d, "POST", "/v1/windows",
                  {"name": "Release freeze", "kind": "freeze",
                   "environment": env, "timezone": "UTC",
                   "start": start.strftime(fmt), "end": end.strftime(fmt)},
                  want=201)
        got = rcv.wait(2, seconds=30)
        events = [json.loads(b)["event"] for _, b in got]
        eq(events, ["freeze.started", "freeze.ended"], "each edge, in order")
        p = json.loads(got[0][1])
        eq(p["object"], {"type": "window", "id": str(win["id"])}, "window")
        check("Release freeze" in p["summary"], p["summary"])
        # The sweep runs every 50 ms and looks an hour back: still once.
        time.sleep(0.5)
        eq(len(rcv.requests), 2, "enqueued once per occurrence edge")
        eq(sorted(n["event"] for n in outbox(d, sub)),
           ["freeze.ended", "freeze.started"], "two notifications")
    finally:
        rcv.close()


def test_a_subscription_that_cannot_be_read_fails_the_write(d):
    env, _, rel = world(d)
    subscribe(d, "http://127.0.0.1:9/f", environments=[env])
    dep = deploy(d, rel, env)
    before = audit_count(d)
    with open(CTL + ".tmp", "w") as f:
        f.write("fail query=sl_store_subscription_all\n")
    os.replace(CTL + ".tmp", CTL)
    try:
        status, _, doc = d.request(
            "POST", "/v1/deployments/%d/events" % dep["id"],
            {"status": "failed"})
    finally:
        with open(CTL + ".tmp", "w") as f:
            f.write("")
        os.replace(CTL + ".tmp", CTL)
    eq(status, 503, doc)
    eq(api(d, "GET", "/v1/deployments/%d" % dep["id"], want=200)["status"],
       "in_progress", "nothing written")
    eq(audit_count(d), before, "nothing audited")
    fail(d, dep)  # and once readable, the write goes through


def test_bad_filters_on_the_outbox_are_refused(d):
    status, _, doc = d.request("GET", "/v1/notifications?status=lost")
    eq(status, 400, doc)


def test_two_daemons_on_one_store_send_each_notification_once(d):
    rcv = Receiver()
    try:
        with Daemon(db_dir=d.dir, env=ENV) as other:  # same store
            env, _, rel = world(d)
            sub = subscribe(d, rcv.url, environments=[env])
            for i in range(4):
                r = api(d, "POST", "/v1/releases",
                        {"service": rel["service"], "version": "1.%d.0" % (i + 1),
                         "type": "minor"}, want=201)
                # Written through both daemons.
                fail(other if i % 2 else d, deploy(other if i % 2 else d,
                                                    r, env))
            got = rcv.wait(4)
            deadline = time.time() + 20
            while time.time() < deadline and len(
                    outbox(d, sub, "sent")) < 4:
                time.sleep(0.05)
            sent = outbox(d, sub, "sent")
            eq(len(sent), 4, "all sent")
            eq(sorted(h["X-Shiplog-Delivery"] for h, _ in rcv.requests),
               sorted(n["key"] for n in sent), "each key once")
            eq(len(got), 4, "four requests")
            eq([n["attempts"] for n in sent], [1, 1, 1, 1], "one attempt")
    finally:
        rcv.close()


# ---- kill -9 between sending and recording ----

def test_a_daemon_killed_while_sending_sends_again_with_the_same_key(d):
    del d  # a daemon of its own: this one is killed
    box = {}

    def kill_first(rcv):
        if len(rcv.requests) == 1:
            os.kill(box["d"].proc.pid, signal.SIGKILL)
            time.sleep(0.2)

    rcv = Receiver(on_request=kill_first)
    d2 = Daemon(env=ENV)
    box["d"] = d2
    try:
        d2.start()
        env, _, rel = world(d2)
        sub = subscribe(d2, rcv.url, environments=[env])
        fail(d2, deploy(d2, rel, env))
        rcv.wait(1)
        d2.stop(signal.SIGKILL)
        d2.start()
        got = rcv.wait(2)
        sent = wait_outbox(d2, sub, "sent")[0]
        eq(len({h["X-Shiplog-Delivery"] for h, _ in got}), 1,
           "the same key both times")
        eq(got[0][1], got[1][1], "the same body")
        eq(rcv.processed, {sent["key"]: 1}, "processed exactly once")
        eq(rcv.dropped, 1, "the repeat dropped by its key")
        eq(sent["attempts"], 2, "both attempts counted")
    finally:
        d2.stop()
        d2.drop_database()
        rcv.close()


if __name__ == "__main__":
    CTL = os.path.join(tempfile.mkdtemp(prefix="shiplog-notify-faults-"),
                       "ctl")
    env = dict(ENV, SHIPLOG_FAULTS=CTL)
    sys.exit(run_tests(globals(), Daemon(env=env)))
