#!/usr/bin/env python3
"""The dashboard's sign-in: a token exchanged for a session cookie, the
CSRF header its writes need, signing out, and the page and its files.

Each test signs in as a token of its own, so none sees another's session.
"""
import datetime
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Daemon, api, check, eq, run_tests, uniq  # noqa: E402


def mint(d, role, **extra):
    body = {"name": uniq("person"), "role": role}
    body.update(extra)
    return api(d, "POST", "/v1/tokens", body, want=201)


def sign_in(d, secret):
    """(cookie value, session document, response headers)."""
    status, h, doc = d.request("POST", "/v1/session", {"token": secret},
                               auth=False)
    eq(status, 201, "sign in: %s" % doc)
    cookie = h["set-cookie"]
    value = cookie.split(";")[0]
    check(value.startswith("shiplog_session="), cookie)
    return value.split("=", 1)[1], doc, h


def as_session(d, method, path, cookie, body=None, csrf=None):
    headers = {"Cookie": "shiplog_session=" + cookie}
    if csrf is not None:
        headers["X-CSRF-Token"] = csrf
    return d.request(method, path, body, auth=False, headers=headers)


def audit(d, action):
    doc = api(d, "GET", "/v1/audit?action=%s&limit=500" % action, want=200)
    return doc["items"]


def test_signing_in_sets_an_httponly_strict_cookie_that_stands_for_the_token(d):
    tok = mint(d, "deployer")
    cookie, doc, h = sign_in(d, tok["token"])
    attrs = [a.strip() for a in h["set-cookie"].split(";")[1:]]
    check("HttpOnly" in attrs, attrs)
    check("SameSite=Strict" in attrs, attrs)
    check("Path=/" in attrs, attrs)
    age = [a for a in attrs if a.startswith("Max-Age=")]
    eq(len(age), 1, "Max-Age")
    check(0 < int(age[0].split("=")[1]) <= 12 * 3600, age)
    check("Secure" not in attrs, "no Secure without TLS")
    eq(doc["actor"]["name"], tok["name"], "actor")
    eq(doc["actor"]["role"], "deployer", "role")
    eq(doc["permissions"]["deploy"], True, "a deployer deploys")
    eq(doc["permissions"]["approve"], False, "a deployer does not approve")
    eq(doc["permissions"]["policy.write"], False, "nor edits policies")
    check(len(doc["csrf_token"]) >= 32, doc["csrf_token"])
    check(doc["csrf_token"] != cookie, "the CSRF token is not the secret")
    status, _, again = as_session(d, "GET", "/v1/session", cookie)
    eq(status, 200, "GET /v1/session: %s" % again)
    eq(again["actor"]["name"], tok["name"], "the cookie is the token")
    eq(again["csrf_token"], doc["csrf_token"], "same CSRF token on reload")
    status, _, services = as_session(d, "GET", "/v1/services", cookie)
    eq(status, 200, "a read with the cookie")


def test_behind_tls_the_cookie_is_secure(d):
    tok = mint(d, "developer")
    status, h, _ = d.request("POST", "/v1/session", {"token": tok["token"]},
                             auth=False,
                             headers={"X-Forwarded-Proto": "https"})
    eq(status, 201, "sign in")
    check("Secure" in [a.strip() for a in h["set-cookie"].split(";")],
          h["set-cookie"])


def test_a_cookie_write_without_the_csrf_header_is_refused_and_changes_nothing(d):
    tok = mint(d, "admin")
    cookie, doc, _ = sign_in(d, tok["token"])
    name = uniq("svc")
    body = {"name": name, "owner": "team-a"}
    for csrf in (None, "", "0" * len(doc["csrf_token"]),
                 doc["csrf_token"][:-1]):
        status, _, prob = as_session(d, "POST", "/v1/services", cookie,
                                     body, csrf=csrf)
        eq(status, 403, "csrf %r: %s" % (csrf, prob))
        check("X-CSRF-Token" in prob["detail"], prob)
        eq(d.request("GET", "/v1/services/" + name)[0], 404,
           "nothing was created")
    status, _, made = as_session(d, "POST", "/v1/services", cookie, body,
                                 csrf=doc["csrf_token"])
    eq(status, 201, "with the header: %s" % made)
    entry = [e for e in audit(d, "service.create")
             if e["object_id"] == name]
    eq(len(entry), 1, "the write is audited")
    eq(entry[0]["actor"], tok["name"], "as the session's token")


def test_a_session_holds_no_more_than_its_role(d):
    tok = mint(d, "auditor")
    cookie, doc, _ = sign_in(d, tok["token"])
    eq(doc["permissions"]["catalog.write"], False, "auditor")
    eq(doc["permissions"]["audit.read"], True, "auditor reads the log")
    status, _, prob = as_session(d, "POST", "/v1/services", cookie,
                                 {"name": uniq("svc"), "owner": "t"},
                                 csrf=doc["csrf_token"])
    eq(status, 403, "the role decides: %s" % prob)
    check("catalog.write" in prob["detail"], prob)


def test_signing_out_closes_the_session_and_clears_the_cookie(d):
    tok = mint(d, "developer")
    cookie, doc, _ = sign_in(d, tok["token"])
    status, _, prob = as_session(d, "DELETE", "/v1/session", cookie)
    eq(status, 403, "signing out is a write: it needs the header")
    status, h, _ = as_session(d, "DELETE", "/v1/session", cookie,
                              csrf=doc["csrf_token"])
    eq(status, 204, "sign out")
    check(h["set-cookie"].startswith("shiplog_session=;"), h["set-cookie"])
    check("Max-Age=0" in h["set-cookie"], h["set-cookie"])
    status, _, prob = as_session(d, "GET", "/v1/session", cookie)
    eq(status, 401, "the old cookie no longer signs in: %s" % prob)
    check("sign in again" in prob["detail"], prob)
    # The token itself still works: only the session ended.
    eq(d.request("GET", "/v1/services", token=tok["token"])[0], 200,
       "the token")
    made = [e for e in audit(d, "session.create")
            if e["actor"] == tok["name"]]
    gone = [e for e in audit(d, "session.delete")
            if e["actor"] == tok["name"]]
    eq(len(made), 1, "sign-in audited")
    eq(len(gone), 1, "sign-out audited")
    eq(made[0]["object_id"], gone[0]["object_id"], "the same session")


def test_the_secret_is_kept_nowhere_but_in_the_cookie(d):
    tok = mint(d, "developer")
    cookie, _, _ = sign_in(d, tok["token"])
    _, _, entries = d.request("GET", "/v1/audit?limit=500")
    text = str(entries)
    check(cookie not in text, "the secret is not in the log")
    check(tok["token"] not in text, "nor the token")


def test_revoking_the_token_ends_its_sessions(d):
    tok = mint(d, "developer")
    cookie, _, _ = sign_in(d, tok["token"])
    eq(as_session(d, "GET", "/v1/session", cookie)[0], 200, "signed in")
    api(d, "DELETE", "/v1/tokens/%d" % tok["id"], want=204)
    eq(as_session(d, "GET", "/v1/session", cookie)[0], 401,
       "the session went with its token")


def test_a_session_never_outlives_its_token(d):
    end = datetime.datetime.now(datetime.timezone.utc) + \
        datetime.timedelta(hours=1)
    at = end.strftime("%Y-%m-%dT%H:%M:%SZ")
    tok = mint(d, "developer", expires_at=at)
    _, doc, h = sign_in(d, tok["token"])
    eq(doc["expires_at"].replace(".000000", ""), at, "session end")
    age = int([a for a in h["set-cookie"].split(";")
               if "Max-Age" in a][0].split("=")[1])
    check(3500 <= age <= 3600, age)


def test_a_bad_token_opens_no_session(d):
    before = len(audit(d, "session.create"))
    for body in ({"token": "not-a-token"}, {"token": ""}, {},
                 {"token": 42}):
        status, h, prob = d.request("POST", "/v1/session", body, auth=False)
        check(status in (401, 422), "%s -> %s %s" % (body, status, prob))
        check("set-cookie" not in h, "no cookie for %s" % body)
    eq(len(audit(d, "session.create")), before, "no session opened")
    status, _, prob = d.request("GET", "/v1/session", auth=False,
                                headers={"Cookie": "shiplog_session=nope"})
    eq(status, 401, "an unknown cookie")


def test_a_bearer_token_wins_over_a_cookie_and_needs_no_csrf_header(d):
    tok = mint(d, "auditor")
    cookie, _, _ = sign_in(d, tok["token"])
    # An admin's bearer token with an auditor's cookie: the request is the
    # admin's, and a bearer write needs no CSRF header (no browser sends
    # a bearer token by itself).
    status, _, made = d.request(
        "POST", "/v1/services", {"name": uniq("svc"), "owner": "t"},
        headers={"Cookie": "shiplog_session=" + cookie})
    eq(status, 201, "bearer write: %s" % made)
    status, _, me = d.request("GET", "/v1/session")
    eq(status, 200, "GET /v1/session with a bearer token")
    eq(me["csrf_token"], None, "no CSRF token without a session")
    eq(me["expires_at"], None, "no session end")


def test_every_answer_carries_the_security_headers(d):
    for path in ("/healthz", "/v1/services", "/releases/x@1.0.0"):
        _, h, _ = d.request("GET", path)
        csp = h.get("content-security-policy", "")
        check("script-src 'self'" in csp, "%s: %s" % (path, csp))
        check("frame-ancestors 'none'" in csp, csp)
        check("unsafe-inline" not in csp and "unsafe-eval" not in csp, csp)
        eq(h.get("x-content-type-options"), "nosniff", path)
        eq(h.get("referrer-policy"), "no-referrer", path)


def test_a_deep_link_keeps_its_query_string_for_the_page(d):
    # The page's router reads the query (filters, the period shown); the
    # server answers the page whatever it holds, and the API's own
    # routes still refuse what they do not take.
    for path in ("/deployments?service=payments&status=failed",
                 "/policies?environment=production&from=1&to=2", "/?x"):
        status, h, body = d.request("GET", path, auth=False)
        eq(status, 200, path)
        check(h.get("content-type", "").startswith("text/html"), path)
    status, _, doc = d.request("GET", "/v1/services?environment=x")
    eq(status, 400, "an API route still checks its query")
    eq(doc["errors"][0]["field"], "environment", "the field named")


if __name__ == "__main__":
    sys.exit(run_tests(globals()))
