#!/usr/bin/env python3
"""Tokens that expire, and when each token was last used.

The daemon here caches token lookups for a minute (SHIPLOG_TOKEN_CACHE_MS),
far longer than the tokens under test live, so a test that sees an expired
token refused also shows that the cache stopped honouring it.
"""
import datetime
import itertools
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Daemon, check, eq, run_tests  # noqa: E402

_seq = itertools.count(1)


def uniq(prefix):
    return "%s-%d" % (prefix, next(_seq))


def rfc3339(t):
    """t (seconds since the epoch, whole) as RFC 3339 UTC."""
    return datetime.datetime.fromtimestamp(
        t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse(s):
    return datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))


def audit_seq(d):
    _, _, doc = d.request("GET", "/v1/audit?limit=500")
    items = doc["items"]
    while doc["next_cursor"]:
        _, _, doc = d.request("GET", "/v1/audit?limit=500&cursor="
                              + doc["next_cursor"])
        items += doc["items"]
    return items[-1]["seq"] if items else 0


def create(d, **body):
    body.setdefault("name", uniq("tok"))
    body.setdefault("role", "deployer")
    status, _, doc = d.request("POST", "/v1/tokens", body)
    eq(status, 201, "create %r: %r" % (body, doc))
    return doc


def test_a_token_works_until_it_expires_then_is_refused_like_an_unknown_one(d):
    expires = int(time.time()) + 3
    tok = create(d, expires_at=rfc3339(expires))
    eq(tok["expires_at"], rfc3339(expires), "expires_at in the answer")
    eq(tok["last_used_at"], None, "not used yet")
    # Used up to just before its expiry: it is in the lookup cache now.
    while time.time() < expires - 0.3:
        status, _, doc = d.request("GET", "/v1/services", token=tok["token"])
        eq(status, 200, "before expiry: %r" % doc)
        time.sleep(0.2)
    time.sleep(max(0.0, expires - time.time()) + 0.2)
    status, hdrs, doc = d.request("GET", "/v1/services", token=tok["token"])
    eq(status, 401, "after expiry: %r" % doc)
    check("Bearer" in hdrs.get("www-authenticate", ""), repr(hdrs))
    check("expired" in doc["detail"], repr(doc))
    _, _, unknown = d.request("GET", "/v1/services", token="slt_" + "0" * 64)
    eq(doc["type"], unknown["type"], "same problem as an unknown token")
    # Still listed, with its expiry; the secret never.
    status, _, got = d.request("GET", "/v1/tokens/%d" % tok["id"])
    eq(status, 200, "get")
    eq(got["expires_at"], rfc3339(expires), "listed expiry")
    check("token" not in got and "hash" not in got, repr(got))


def test_expires_at_must_be_a_future_rfc3339_time_and_a_refusal_writes_nothing(d):
    before = audit_seq(d)
    _, _, listed = d.request("GET", "/v1/tokens")
    cases = [
        (rfc3339(int(time.time()) - 60), "must be in the future"),
        ("2026-12-24", "RFC 3339"),
        ("soon", "RFC 3339"),
    ]
    for value, words in cases:
        status, _, doc = d.request("POST", "/v1/tokens", {
            "name": uniq("bad"), "role": "auditor", "expires_at": value})
        eq(status, 422, "expires_at %r: %r" % (value, doc))
        eq(doc["errors"][0]["field"], "expires_at", "field")
        check(words in doc["errors"][0]["message"], "%r: %r" % (value, doc))
    _, _, after = d.request("GET", "/v1/tokens")
    eq(len(after["items"]), len(listed["items"]), "no token written")
    eq(audit_seq(d), before, "nothing audited")


def test_a_token_without_expiry_never_expires(d):
    tok = create(d)
    eq(tok["expires_at"], None, "no expiry")
    status, _, _ = d.request("GET", "/v1/services", token=tok["token"])
    eq(status, 200, "works")


def wait_used(d, tid, timeout=6):
    deadline = time.time() + timeout
    while time.time() < deadline:
        _, _, got = d.request("GET", "/v1/tokens/%d" % tid)
        if got["last_used_at"]:
            return got["last_used_at"]
        time.sleep(0.2)
    raise AssertionError("last_used_at still null after %ds" % timeout)


def test_last_used_at_appears_after_use_and_is_written_at_most_once_a_minute(d):
    tok = create(d)
    _, _, got = d.request("GET", "/v1/tokens/%d" % tok["id"])
    eq(got["last_used_at"], None, "unused")
    t0 = time.time()
    status, _, _ = d.request("GET", "/v1/services", token=tok["token"])
    eq(status, 200, "use")
    first = wait_used(d, tok["id"])
    used = parse(first).timestamp()
    check(parse(tok["created_at"]).timestamp() <= used <= time.time(),
          "last_used_at %s after creation %s" % (first, tok["created_at"]))
    check(used >= t0 - 1, "the use, not the creation: %s" % first)
    # Used again and again within the minute: nothing more is written,
    # not even after several flushes, and never an audit entry.
    seq = audit_seq(d)
    for _ in range(20):
        d.request("GET", "/v1/services", token=tok["token"])
    time.sleep(2.5)
    _, _, got = d.request("GET", "/v1/tokens/%d" % tok["id"])
    eq(got["last_used_at"], first, "unchanged within the minute")
    eq(audit_seq(d), seq, "uses are not audited")
    # The list says the same.
    _, _, listed = d.request("GET", "/v1/tokens")
    mine = [t for t in listed["items"] if t["id"] == tok["id"]]
    eq(mine[0]["last_used_at"], first, "listed")
    eq(mine[0]["expires_at"], None, "listed expiry")


def test_a_refused_token_is_not_marked_used(d):
    tok = create(d, expires_at=rfc3339(int(time.time()) + 2))
    time.sleep(2.5)
    status, _, _ = d.request("GET", "/v1/services", token=tok["token"])
    eq(status, 401, "expired")
    time.sleep(1.5)
    _, _, got = d.request("GET", "/v1/tokens/%d" % tok["id"])
    eq(got["last_used_at"], None, "never authenticated")


def test_get_of_an_unknown_token_is_404(d):
    status, _, doc = d.request("GET", "/v1/tokens/999999")
    eq(status, 404, "unknown: %r" % doc)


def test_a_grant_to_an_expired_token_is_refused(d):
    tok = create(d, expires_at=rfc3339(int(time.time()) + 2))
    env = uniq("env")
    status, _, _ = d.request("POST", "/v1/environments",
                             {"name": env, "rank": 5})
    eq(status, 201, "env")
    time.sleep(2.5)
    status, _, doc = d.request("POST", "/v1/grants", {
        "token": tok["name"], "role": "deployer", "environment": env,
        "hours": 1, "reason": "on call"})
    eq(status, 422, "grant to an expired token: %r" % doc)
    eq(doc["errors"][0]["field"], "token", "field")


if __name__ == "__main__":
    sys.exit(run_tests(globals(), daemon=Daemon(
        env={"SHIPLOG_TOKEN_CACHE_MS": "60000"})))
