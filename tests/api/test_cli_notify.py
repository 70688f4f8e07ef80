#!/usr/bin/env python3
"""End-to-end stories of the shiplog CLI's subscription and notification
commands against the real daemon: a subscription put with its secret
read from a file (never shown back), listed, read and deleted; the
outbox listed with a dead notification, replayed and delivered to a
local receiver; the exit codes of each.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Daemon, api, check, eq, run_tests, uniq  # noqa: E402
from test_cli_hooks import rows, run, run_json, write_file  # noqa: E402
from test_notify import (ENV, SECRET, Receiver, deploy, fail,  # noqa: E402
                         wait_outbox, world)


def test_a_subscription_is_put_listed_read_and_deleted(d):
    name = uniq("sub")
    secret = write_file(SECRET + "\n")
    doc = run_json(d, "subscription", "put", name, "--event",
                   "deployment.failed", "--event", "deployment.stalled",
                   "--env", "production", "--channel", "webhook", "--endpoint",
                   "http://127.0.0.1:9/hook", "--secret-file", secret)
    eq(doc["events"], ["deployment.failed", "deployment.stalled"], "events")
    eq(doc["environments"], ["production"], "filter")
    check(SECRET not in json.dumps(doc), "never shown back")
    _, out, _ = run(d, "subscription", "list", want=0)
    mine = [r for r in rows(out) if r and r[0] == name]
    eq(len(mine), 1, out)
    eq(mine[0][1], "webhook", "the channel column")
    got = run_json(d, "subscription", "get", name)
    eq(got, api(d, "GET", "/v1/subscriptions/" + name, want=200),
       "what the API answers")
    run(d, "subscription", "delete", name, want=0)
    run(d, "subscription", "get", name, want=1)


def test_bad_input_is_a_usage_error_or_a_refusal(d):
    rc, _, err = run(d, "subscription", "put", uniq("s"), "--channel",
                     "webhook", "--endpoint", "http://x.example/")
    eq(rc, 2, err)
    check("--event" in err, err)
    rc, _, err = run(d, "subscription", "put", uniq("s"), "--event",
                     "deployment.failed", "--channel", "webhook", "--endpoint",
                     "http://x.example/")
    eq(rc, 1, "the server refuses a webhook without a secret: " + err)
    check("channel.secret" in err, err)
    rc, _, err = run(d, "notification", "replay", "x1")
    eq(rc, 2, err)
    rc, _, err = run(d, "notification", "list", "--status", "lost")
    check(rc in (1, 2), "an unknown status is refused: %d %s" % (rc, err))
    _, out, _ = run(d, "subscription", "put", "--help", want=0)
    check("--secret-file" in out and "deployment.failed" in out, out)
    _, out, _ = run(d, "notification", "--help", want=0)
    check("notification replay ID" in out, out)


def test_a_dead_notification_is_listed_and_replayed_to_delivery(d):
    rcv = Receiver(fail=None)
    try:
        env, _, rel = world(d)
        name = uniq("sub")
        secret = write_file(SECRET + "\n")
        run(d, "subscription", "put", name, "--event", "deployment.failed",
            "--env", env, "--channel", "webhook", "--endpoint", rcv.url,
            "--secret-file", secret, want=0)
        fail(d, deploy(d, rel, env))
        dead = wait_outbox(d, name, "dead")[0]
        _, out, _ = run(d, "notification", "list", "--status", "dead",
                        "--subscription", name, want=0)
        table = rows(out)
        eq(table[0][:5], ["ID", "STATUS", "EVENT", "SUBSCRIPTION",
                          "ATTEMPTS"], "header")
        eq(table[1][:5], [str(dead["id"]), "dead", "deployment.failed", name,
                          "4"], "the dead letter")
        listed = run_json(d, "notification", "list", "--subscription", name)
        eq([n["id"] for n in listed["items"]], [dead["id"]], "--json")
        rcv.fail = 4
        _, out, _ = run(d, "notification", "replay", str(dead["id"]), want=0)
        check("pending again" in out and dead["key"] in out, out)
        sent = wait_outbox(d, name, "sent")[0]
        eq(sent["id"], dead["id"], "delivered")
        eq(len(rcv.requests), 5, "one more attempt")
        rc, _, err = run(d, "notification", "replay", "999999999")
        eq(rc, 1, err)
    finally:
        rcv.close()


def test_only_an_admin_may_replay(d):
    tok = api(d, "POST", "/v1/tokens", {"name": uniq("dev"),
                                         "role": "developer"},
              want=201)["token"]
    rc, _, err = run(d, "notification", "replay", "1", token=tok)
    eq(rc, 1, err)
    check("403" in err or "forbidden" in err.lower() or "permission" in err,
          err)


if __name__ == "__main__":
    sys.exit(run_tests(globals(), Daemon(env=ENV)))
