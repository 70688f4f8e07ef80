#!/usr/bin/env python3
"""Every vocabulary is said once, in core, and heard the same everywhere:
the OpenAPI document's "enum" of a field is exactly the list a bad value's
422 names as allowed, every word in it is accepted, a word outside it is
refused, and the CLI's --help lists the same words for the option that
fills the field.

Tests share one daemon; each makes its own services and environments.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Daemon, api, check, eq, run_tests,  # noqa: E402,F401
                     uniq)

BAD = "no-such-word"

# (method, OpenAPI path, body field path, body around the bad value)
# for every body field that takes a vocabulary word. The field path is
# what a 422 names: "a.b" for a nested object, "a[0]" for an item.
BODY_FIELDS = [
    ("POST", "/v1/releases", "type", lambda v: {"type": v}),
    ("POST", "/v1/releases", "status", lambda v: {"status": v}),
    ("PATCH", "/v1/releases/{id}", "status", lambda v: {"status": v}),
    ("POST", "/v1/services", "release_type_check",
     lambda v: {"release_type_check": v}),
    ("POST", "/v1/deployments", "strategy", lambda v: {"strategy": v}),
    ("POST", "/v1/deployments", "status", lambda v: {"status": v}),
    ("POST", "/v1/deployments/{id}/events", "status", lambda v: {"status": v}),
    ("POST", "/v1/deployments/{id}/events", "source",
     lambda v: {"message": "m", "source": v}),
    ("POST", "/v1/tokens", "role", lambda v: {"name": "t", "role": v}),
    ("POST", "/v1/grants", "role", lambda v: {"role": v}),
    ("POST", "/v1/windows", "kind", lambda v: {"kind": v}),
    ("POST", "/v1/change-requests", "class", lambda v: {"class": v}),
    ("POST", "/v1/change-requests", "state", lambda v: {"state": v}),
    ("POST", "/v1/change-requests", "risk", lambda v: {"risk": v}),
    ("POST", "/v1/releases/{id}/approvals", "decision",
     lambda v: {"decision": v}),
    ("PUT", "/v1/environments/{name}/policy", "windows_mode",
     lambda v: {"windows_mode": v}),
    ("PUT", "/v1/environments/{name}/policy", "override_roles[0]",
     lambda v: {"override_roles": [v]}),
    ("PUT", "/v1/environments/{name}/policy",
     "checklists[0].release_types[0]",
     lambda v: {"checklists": [{"release_types": [v], "items": ["x"]}]}),
    ("PUT", "/v1/environments/{name}/policy",
     "change_request.standard_types[0]",
     lambda v: {"change_request": {"standard_types": [v]}}),
    ("POST", "/v1/incidents", "severity", lambda v: {"severity": v}),
    ("PATCH", "/v1/incidents/{key}", "severity", lambda v: {"severity": v}),
    ("PUT", "/v1/environments/{name}/verification", "on_failure",
     lambda v: {"on_failure": v}),
    ("PUT", "/v1/subscriptions/{name}", "events[0]",
     lambda v: {"events": [v]}),
    ("PUT", "/v1/subscriptions/{name}", "channel.type",
     lambda v: {"events": ["deployment.failed"],
                "channel": {"type": v, "url": "http://x.example/"}}),
]

# (OpenAPI path, query parameter) for every filter on a vocabulary.
QUERY_FILTERS = [
    ("/v1/releases", "status"),
    ("/v1/releases", "type"),
    ("/v1/deployments", "status"),
    ("/v1/deployments", "type"),
    ("/v1/incidents", "status"),
    ("/v1/notifications", "status"),
]


def openapi(d):
    return api(d, "GET", "/v1/openapi.json", want=200)


def body_enum(doc, method, path, field):
    """The enum the OpenAPI document gives a body field (by its 422
    path), looking through nullable anyOf, nested objects and items."""
    s = (doc["paths"][path][method.lower()]["requestBody"]["content"]
         ["application/json"]["schema"])
    for part in field.split("."):
        name, _, index = part.partition("[")
        if "anyOf" in s:
            s = s["anyOf"][0]
        s = s["properties"][name]
        if "anyOf" in s:
            s = s["anyOf"][0]
        if index:
            s = s["items"]
    check("enum" in s, "%s %s %s: no enum in %r" % (method, path, field, s))
    return s["enum"]


def query_enum(doc, path, name):
    for q in doc["paths"][path]["get"]["parameters"]:
        if q["in"] == "query" and q["name"] == name:
            check("enum" in q["schema"], "%s ?%s: no enum" % (path, name))
            return q["schema"]["enum"]
    raise AssertionError("%s has no query parameter %s" % (path, name))


def allowed(message):
    """The words of "must be one of: a, b, c"."""
    m = re.search(r"must be one of: (.*)$", message)
    check(m, "not a list of allowed words: %r" % message)
    return m.group(1).split(", ")


def fill(path):
    return (path.replace("{id}", "999999").replace("{name}", "nowhere")
            .replace("{key}", "nowhere"))


def test_each_body_enum_in_openapi_is_what_a_bad_value_is_told(d):
    doc = openapi(d)
    for method, path, field, make in BODY_FIELDS:
        words = body_enum(doc, method, path, field)
        check(len(words) >= 2, "%s %s: %r" % (path, field, words))
        eq(len(set(words)), len(words), "%s %s: no word twice" % (path, field))
        status, _, p = d.request(method, fill(path), make(BAD))
        eq(status, 422, "%s %s %s=%s: %r" % (method, path, field, BAD, p))
        msgs = [e["message"] for e in p["errors"] if e["field"] == field]
        check(msgs, "%s %s: no error for %s in %r" % (method, path, field,
                                                       p["errors"]))
        eq(allowed(msgs[0]), words, "%s %s %s" % (method, path, field))


def test_each_query_enum_in_openapi_is_what_a_bad_filter_is_told(d):
    doc = openapi(d)
    for path, name in QUERY_FILTERS:
        words = query_enum(doc, path, name)
        status, _, p = d.request("GET", "%s?%s=%s" % (path, name, BAD))
        eq(status, 400, "%s?%s=%s: %r" % (path, name, BAD, p))
        eq(p["errors"][0]["field"], name, "field")
        eq(allowed(p["errors"][0]["message"]), words, "%s ?%s" % (path, name))
        for w in words:
            page = api(d, "GET", "%s?%s=%s" % (path, name, w), want=200)
            if name == "status":
                check(all(item["status"] == w for item in page["items"]),
                      "%s?status=%s answers others" % (path, w))


def test_the_vocabularies_are_the_documented_words(d):
    doc = openapi(d)
    eq(body_enum(doc, "POST", "/v1/releases", "type"),
       ["major", "minor", "patch", "hotfix", "emergency"], "release type")
    eq(body_enum(doc, "POST", "/v1/deployments", "strategy"),
       ["rolling", "blue_green", "canary", "recreate"], "strategy")
    eq(body_enum(doc, "POST", "/v1/windows", "kind"),
       ["freeze", "blackout", "maintenance"], "window kind")
    eq(body_enum(doc, "POST", "/v1/tokens", "role"),
       ["admin", "release_manager", "approver", "deployer", "developer",
        "auditor"], "token role")
    # The same list wherever the same vocabulary is taken.
    eq(body_enum(doc, "POST", "/v1/grants", "role"),
       body_enum(doc, "POST", "/v1/tokens", "role"), "grant role")
    eq(body_enum(doc, "PUT", "/v1/environments/{name}/policy",
                 "override_roles[0]"),
       body_enum(doc, "POST", "/v1/tokens", "role"), "override roles")
    eq(body_enum(doc, "PUT", "/v1/environments/{name}/policy",
                 "checklists[0].release_types[0]"),
       body_enum(doc, "POST", "/v1/releases", "type"), "checklist types")
    eq(query_enum(doc, "/v1/deployments", "status"),
       body_enum(doc, "POST", "/v1/deployments/{id}/events", "status"),
       "deployment status filter")


def test_every_word_of_each_enum_is_accepted(d):
    doc = openapi(d)
    svc = api(d, "POST", "/v1/services",
              {"name": uniq("svc"), "owner": "t",
               "release_type_check": "warn"}, 201)["name"]
    env = api(d, "POST", "/v1/environments",
              {"name": uniq("env"), "rank": 10}, 201)["name"]

    for i, t in enumerate(body_enum(doc, "POST", "/v1/releases", "type")):
        api(d, "POST", "/v1/releases",
            {"service": svc, "version": "%d.0.0" % (i + 1), "type": t}, 201)
    for i, s in enumerate(body_enum(doc, "POST", "/v1/deployments",
                                    "strategy")):
        rel = api(d, "POST", "/v1/releases",
                  {"service": svc, "version": "%d.0.0" % (i + 20),
                   "type": "major"}, 201)
        dep = api(d, "POST", "/v1/deployments",
                  {"release": rel["id"], "environment": env, "strategy": s},
                  201)
        eq(dep["strategy"], s, "strategy")
    for src in body_enum(doc, "POST", "/v1/deployments/{id}/events",
                         "source"):
        ev = api(d, "POST", "/v1/deployments/%d/events" % dep["id"],
                 {"message": "m", "source": src}, 201)
        eq(ev["event"]["source"], src, "source")
    for role in body_enum(doc, "POST", "/v1/tokens", "role"):
        api(d, "POST", "/v1/tokens", {"name": uniq("t"), "role": role}, 201)
    for kind in body_enum(doc, "POST", "/v1/windows", "kind"):
        api(d, "POST", "/v1/windows",
            {"name": uniq("w"), "kind": kind, "environment": env,
             "timezone": "UTC", "start": "2031-01-01T00:00:00",
             "end": "2031-01-02T00:00:00"}, 201)
    for field in ("class", "state", "risk"):
        for w in body_enum(doc, "POST", "/v1/change-requests", field):
            cr = {"key": uniq("CHG"), "class": "normal", "state": "new"}
            cr[field] = w
            eq(api(d, "POST", "/v1/change-requests", cr, 201)[field], w,
               field)
    for w in body_enum(doc, "PUT", "/v1/environments/{name}/policy",
                       "windows_mode"):
        api(d, "PUT", "/v1/environments/%s/policy" % env,
            {"windows_mode": w, "override_roles": body_enum(
                doc, "PUT", "/v1/environments/{name}/policy",
                "override_roles[0]")}, 200)


def help_words(out, option):
    """The "|"-joined words the help prints for an option, across the
    lines it wraps to."""
    lines = out.splitlines()
    for i, line in enumerate(lines):
        if not line.startswith("  --%s " % option):
            continue
        text = line.split(None, 2)[-1]  # after the option and its value
        for more in lines[i + 1:]:
            if not more.startswith("   "):
                break
            text += ("" if text.endswith("|") else " ") + more.strip()
        m = re.search(r"[a-z_.]+(?:\|[a-z_.]+)+", text)
        check(m, "--%s has no words: %r" % (option, text))
        return m.group(0).split("|")
    raise AssertionError("no --%s in:\n%s" % (option, out))


# (CLI command, option, then where the API keeps the same vocabulary:
# a body field or a query parameter)
CLI_OPTIONS = [
    (["release", "create"], "type", ("POST", "/v1/releases", "type")),
    (["release", "list"], "type", ("query", "/v1/releases", "type")),
    (["release", "list"], "status", ("query", "/v1/releases", "status")),
    (["deploy"], "strategy", ("POST", "/v1/deployments", "strategy")),
    (["deploy"], "status", ("POST", "/v1/deployments", "status")),
    (["deploy", "list"], "status", ("query", "/v1/deployments", "status")),
    (["deploy", "list"], "type", ("query", "/v1/deployments", "type")),
    (["deploy", "event"], "status",
     ("POST", "/v1/deployments/{id}/events", "status")),
    (["deploy", "event"], "source",
     ("POST", "/v1/deployments/{id}/events", "source")),
    (["token", "create"], "role", ("POST", "/v1/tokens", "role")),
    (["window", "create"], "kind", ("POST", "/v1/windows", "kind")),
    (["change", "create"], "class", ("POST", "/v1/change-requests", "class")),
    (["change", "create"], "state", ("POST", "/v1/change-requests", "state")),
    (["change", "create"], "risk", ("POST", "/v1/change-requests", "risk")),
    (["service", "create"], "release-type-check",
     ("POST", "/v1/services", "release_type_check")),
    (["receiver", "put"], "source",
     ("PUT", "/v1/receivers/{name}", "source")),
    (["incident", "create"], "severity",
     ("POST", "/v1/incidents", "severity")),
    (["incident", "list"], "status", ("query", "/v1/incidents", "status")),
    (["subscription", "put"], "event",
     ("PUT", "/v1/subscriptions/{name}", "events[0]")),
    (["subscription", "put"], "channel",
     ("PUT", "/v1/subscriptions/{name}", "channel.type")),
    (["notification", "list"], "status",
     ("query", "/v1/notifications", "status")),
]


def test_cli_help_lists_the_words_the_api_takes(d):
    doc = openapi(d)
    for cmd, option, (where, path, field) in CLI_OPTIONS:
        rc, out, err = d.cli(*cmd, "--help")
        eq(rc, 0, "%r --help: %s" % (cmd, err))
        want = (query_enum(doc, path, field) if where == "query"
                else body_enum(doc, where, path, field))
        eq(help_words(out, option), want, "shiplog %s --%s"
           % (" ".join(cmd), option))
    rc, out, _ = d.cli("release", "create", "--help")
    check("--type T                 major|minor|patch|hotfix|emergency\n"
          in out, out)


def test_a_word_outside_the_list_from_the_cli_is_the_servers_422(d):
    rc, _, err = d.cli("window", "create", uniq("w"), "--kind", "holiday",
                       "--timezone", "UTC", "--start", "2031-01-01T00:00:00",
                       "--end", "2031-01-02T00:00:00")
    eq(rc, 1, "exit: " + err)
    check("kind: must be one of: freeze, blackout, maintenance" in err, err)


if __name__ == "__main__":
    sys.exit(run_tests(globals()))
