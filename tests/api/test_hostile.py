"""test_hostile.py - input written to break the daemon, and what it gets.

Every hostile request must be answered with a 4xx RFC 9457 problem
document (valid JSON, so valid UTF-8) that names the offending field or
parameter, must change nothing, and must leave the daemon serving. The
slow-client test runs a daemon of its own with small limits.
"""
import itertools
import json
import os
import socket
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Daemon, check, eq, run_tests  # noqa: E402

_seq = itertools.count(1)
_tag = "%x" % (os.getpid() & 0xffff)
OMEGA = "%CE%A9"  # U+03A9, two bytes in UTF-8


def uniq(prefix):
    return "%s-%s-%d" % (prefix, _tag, next(_seq))


def api(d, method, path, body=None, want=None, **kw):
    status, _, doc = d.request(method, path, body, **kw)
    if want is not None:
        eq(status, want, "%s %s -> %r" % (method, path, doc))
    return doc


def problem(d, method, path, want, field=None, part=None, **kw):
    """Sends a request that must be refused; checks the problem document
    and returns it."""
    status, h, doc = d.request(method, path, **kw)
    eq(status, want, "%s %s: status (body %r)" % (method, path, doc))
    eq(h.get("content-type", "").split(";")[0], "application/problem+json",
       "%s %s: content type" % (method, path))
    check(isinstance(doc, dict), "%s %s: not a JSON document: %r"
          % (method, path, doc))
    eq(doc.get("status"), want, "%s %s: body status" % (method, path))
    texts = [doc["detail"]] + [e["message"] for e in doc.get("errors", [])]
    if field is not None:
        fields = [e["field"] for e in doc.get("errors", [])]
        check(field in fields, "%s %s: errors name %r, want %r"
              % (method, path, fields, field))
    if part is not None:
        check(any(part.lower() in t.lower() for t in texts),
              "%s %s: %r not in %r" % (method, path, part, texts))
    return doc


def alive(d):
    eq(d.request("GET", "/healthz", auth=False)[0], 200, "still serving")


def audit_len(d):
    n, cursor = 0, None
    while True:
        page = api(d, "GET", "/v1/audit?limit=500" +
                   ("&cursor=" + cursor if cursor else ""), want=200)
        n += len(page["items"])
        cursor = page["next_cursor"]
        if not cursor:
            return n


def world(d):
    """A service, an environment, a release and a deployment, made once."""
    if hasattr(world, "w"):
        return world.w
    svc, env = uniq("svc"), uniq("env")
    api(d, "POST", "/v1/services", {"name": svc, "owner": "team"}, 201)
    api(d, "POST", "/v1/environments", {"name": env, "rank": 10}, 201)
    rel = api(d, "POST", "/v1/releases",
              {"service": svc, "version": "1.0.0", "type": "minor"}, 201)
    dep = api(d, "POST", "/v1/deployments",
              {"release": rel["id"], "environment": env}, 201)
    world.w = {"svc": svc, "env": env, "rel": rel["id"], "dep": dep["id"]}
    return world.w


# ---- bytes that are not text ----

def test_paths_that_are_not_utf8_get_400_even_without_a_token(d):
    for path in ("/v1/%ff", "/healthz%ff", "/v1/services/%C0%AF",
                 "/v1/services/a%ED%A0%80"):
        problem(d, "GET", path, 400, "path", "UTF-8", auth=False)
    alive(d)


def test_query_values_that_are_not_utf8_get_400_naming_the_parameter(d):
    problem(d, "GET", "/v1/releases?service=%ff", 400, "service", "UTF-8")
    problem(d, "GET", "/v1/audit?actor=a%00b", 400, "actor", "NUL")
    problem(d, "GET", "/v1/services?%ff=1", 400, "query", "UTF-8")
    problem(d, "GET", "/v1/services?tag=a%3", 400, "tag", "two hex digits")
    alive(d)


def test_a_nul_in_the_path_is_refused_not_cut_off(d):
    w = world(d)
    eq(d.request("GET", "/v1/deployments/%d" % w["dep"])[0], 200, "the id")
    problem(d, "GET", "/v1/deployments/%d%%00" % w["dep"], 400, "path", "NUL")
    problem(d, "GET", "/v1/services/%s%%00" % w["svc"], 400, "path", "NUL")
    problem(d, "GET", "/v1/deployments/%d%%0a" % w["dep"], 400, "path",
            "control character")


def test_long_ids_are_echoed_cut_on_a_character_boundary(d):
    long_id = OMEGA * 150  # 300 bytes, more than a message holds
    for path, want in (("/v1/change-requests/", 404), ("/v1/services/", 404),
                       ("/v1/environments/", 404), ("/v1/releases/", 400)):
        doc = problem(d, "GET", path + long_id, want)
        # The detail is whole Omegas, however it was cut.
        check("\u03a9" * 20 in doc["detail"], doc["detail"][:80])
        check("\ufffd" not in doc["detail"], "no broken character")
    for path in ("/v1/environments/%s/policy" % long_id,
                 "/v1/releases/x@%s" % long_id,
                 "/v1/deployments/" + long_id):
        doc = problem(d, "GET", path, 400 if "@" in path or "deploy" in path
                      else 404)
        check("\ufffd" not in json.dumps(doc, ensure_ascii=False), path)
    alive(d)


def test_a_body_field_name_cut_mid_character_still_gets_a_422(d):
    before = audit_len(d)
    doc = problem(d, "POST", "/v1/services", 422,
                  body={"name": uniq("s"), "owner": "t", "\u03a9" * 80: 1})
    check(all(isinstance(e["field"], str) for e in doc["errors"]), doc)
    eq(audit_len(d), before, "nothing written")


def test_headers_echoed_in_problems_are_made_valid_utf8(d):
    w = world(d)
    doc = problem(d, "PATCH", "/v1/services/" + w["svc"], 412, None,
                  "If-Match", body={"owner": "x"},
                  headers={"If-Match": b'"\xff\xfe"'})
    check("\ufffd" in doc["detail"], doc["detail"])
    doc = problem(d, "POST", "/v1/services", 415, None, "application/json",
                  raw=b'{"name": "x"}', headers={"Content-Type": b"text/\xff"})
    check("text/\ufffd" in doc["detail"], doc["detail"])
    alive(d)


# ---- loose numbers and keys ----

def test_ids_with_leading_zeros_signs_or_spaces_are_400(d):
    w = world(d)
    dep = w["dep"]
    for bad in ("0%d" % dep, "%d%%20" % dep, "%%20%d" % dep, "+%d" % dep,
                "%dabc" % dep, "0", "1e3", "99999999999999999999"):
        problem(d, "GET", "/v1/deployments/" + bad, 400, "id", "not an id")
        problem(d, "GET", "/v1/deployments/%s/events" % bad, 400, "id")
    for bad in ("0%d" % w["rel"], "%d%%20" % w["rel"]):
        problem(d, "GET", "/v1/releases/" + bad, 400, "id", "neither an id")
    problem(d, "GET", "/v1/releases/%s@01.0.0" % w["svc"], 400, "id",
            "SemVer")
    # The canonical spellings still resolve.
    eq(api(d, "GET", "/v1/deployments/%d" % dep, want=200)["id"], dep, "id")
    eq(api(d, "GET", "/v1/releases/%s@1.0.0" % w["svc"], want=200)["id"],
       w["rel"], "service@version")


def test_a_write_to_a_loose_id_changes_nothing(d):
    tok = api(d, "POST", "/v1/tokens", {"name": uniq("t"), "role": "auditor"},
              201)
    before = audit_len(d)
    problem(d, "DELETE", "/v1/tokens/0%d" % tok["id"], 400, "id")
    problem(d, "DELETE", "/v1/tokens/%d%%20" % tok["id"], 400, "id")
    problem(d, "POST", "/v1/deployments/0%d/events" % world(d)["dep"], 400,
            "id", body={"message": "hello"})
    eq(audit_len(d), before, "nothing written")
    # The token still works: it was not revoked.
    eq(d.request("GET", "/v1/services", token=tok["token"])[0], 200, "token")


def test_integer_parameters_take_only_canonical_digits(d):
    for v in ("abc", "-1", "0", "501", "05", "+5", "%205", "5%20", "", "5.0"):
        for path in ("/v1/services", "/v1/releases", "/v1/deployments",
                     "/v1/status", "/v1/audit"):
            problem(d, "GET", "%s?limit=%s" % (path, v), 400, "limit")
    problem(d, "GET", "/v1/audit?after=01", 400, "after", "leading zeros")
    problem(d, "GET", "/v1/deployments?cursor=+3", 400, "cursor")
    eq(len(api(d, "GET", "/v1/services?limit=1", want=200)["items"]), 1,
       "a good limit")


def test_idempotency_keys_must_be_printable_ascii(d):
    before = audit_len(d)
    name = uniq("svc")
    for key in (b"k\x01", b"k\x7f", "k\u00e9".encode(), b"\xff", b"a\tb"):
        problem(d, "POST", "/v1/services", 400, "Idempotency-Key",
                "printable ASCII", body={"name": name, "owner": "t"},
                headers={"Idempotency-Key": key})
    eq(audit_len(d), before, "nothing written")
    problem(d, "GET", "/v1/services/" + name, 404)
    api(d, "POST", "/v1/services", {"name": name, "owner": "t"}, 201,
        headers={"Idempotency-Key": "ci run #12 / step 3"})


def test_bearer_tokens_with_spaces_or_control_characters_are_400(d):
    for tok in ("%s x" % d.token, d.token + "\x01", " " + d.token):
        problem(d, "GET", "/v1/services", 400, "Authorization",
                "printable ASCII", token=tok)
    eq(d.request("GET", "/v1/services")[0], 200, "the token itself")


# ---- query parameters: declared per route ----

def fill(path, w):
    """A route pattern with the world's ids in its {params}."""
    if path.startswith("/v1/deployments/"):
        return path.replace("{id}", str(w["dep"]))
    if path.startswith("/v1/releases/"):
        return path.replace("{id}", str(w["rel"]))
    if path.startswith("/v1/environments/"):
        return path.replace("{name}", w["env"])
    if path.startswith("/v1/services/"):
        return path.replace("{name}", w["svc"])
    return path.replace("{key}", "CHG1").replace("{id}", "1")


def test_an_unknown_query_parameter_is_400_on_every_route(d):
    w = world(d)
    paths = api(d, "GET", "/v1/openapi.json", want=200)["paths"]
    gets = [p for p, item in paths.items() if "get" in item]
    check(len(gets) >= 20, "routes: %d" % len(gets))
    for p in gets:
        if p == "/":
            # The dashboard's page: its query string is the page's own
            # (/deployments?service=x), so the server takes any.
            status, h, _ = d.request("GET", "/?bogus=1", auth=False)
            eq((status, h.get("content-type", "")[:9]), (200, "text/html"),
               "the page")
            continue
        doc = problem(d, "GET", fill(p, w) + "?bogus=1", 400, "bogus",
                      "unknown query parameter 'bogus'", auth=True)
        declared = [q["name"] for q in paths[p]["get"].get("parameters", [])
                    if q["in"] == "query"]
        for name in declared:  # the message lists what the route takes
            check(name in doc["detail"], "%s: %s in %r"
                  % (p, name, doc["detail"]))
    # A write with a stray parameter writes nothing.
    before = audit_len(d)
    name = uniq("svc")
    problem(d, "POST", "/v1/services?dry_run=true", 400, "dry_run",
            body={"name": name, "owner": "t"})
    eq(audit_len(d), before, "nothing written")
    problem(d, "GET", "/v1/services/" + name, 404)


def test_a_misspelt_audit_filter_no_longer_answers_every_actor(d):
    problem(d, "GET", "/v1/audit?actr=rm-alice", 400, "actr", "actor")


def test_repeated_or_valueless_parameters_are_400(d):
    problem(d, "GET", "/v1/services?limit=1&limit=2", 400, "limit",
            "more than once")
    problem(d, "GET", "/v1/releases?service", 400, "service", "needs a value")
    problem(d, "GET", "/v1/reviews?open=yes", 400, "open", "true or false")
    problem(d, "GET", "/v1/windows?from=tomorrow", 400, "from", "RFC 3339")


def test_lists_that_do_not_page_refuse_limit(d):
    for path in ("/v1/grants", "/v1/change-requests", "/v1/approvals/pending",
                 "/v1/reviews", "/v1/windows"):
        for v in ("abc", "-1", "0", "501", "10"):
            problem(d, "GET", "%s?limit=%s" % (path, v), 400, "limit",
                    "unknown query parameter")


def test_the_openapi_document_describes_query_parameters(d):
    paths = api(d, "GET", "/v1/openapi.json", want=200)["paths"]
    audit = {q["name"]: q for q in paths["/v1/audit"]["get"]["parameters"]}
    eq(sorted(audit), sorted(["limit", "cursor", "after", "actor", "action",
                              "object_type", "object_id", "from", "to"]),
       "audit parameters")
    eq(audit["from"]["schema"], {"type": "string", "format": "date-time"},
       "from")
    eq(audit["limit"]["schema"]["maximum"], 500, "limit")
    eq(audit["actor"]["in"], "query", "in")
    check("parameters" not in paths["/v1/tokens/{id}"]["delete"] or
          all(q["in"] == "path"
              for q in paths["/v1/tokens/{id}"]["delete"]["parameters"]),
          "a write takes no query parameters")


def test_environments_and_tokens_are_paged(d):
    envs = [uniq("pe") for _ in range(3)]
    for i, e in enumerate(envs):
        api(d, "POST", "/v1/environments", {"name": e, "rank": 900 + i}, 201)
    seen, cursor = [], None
    for _ in range(100):
        page = api(d, "GET", "/v1/environments?limit=2" +
                   ("&cursor=" + cursor if cursor else ""), want=200)
        check(len(page["items"]) <= 2, "page size")
        seen += [e["name"] for e in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    eq(seen[-3:], envs, "by rank, the last three")
    eq(len(seen), len(set(seen)), "no environment twice")
    problem(d, "GET", "/v1/environments?cursor=nope", 400, "cursor")
    toks = [api(d, "POST", "/v1/tokens", {"name": uniq("pt"),
                                         "role": "auditor"}, 201)["id"]
            for _ in range(2)]
    page = api(d, "GET", "/v1/tokens?limit=1&cursor=%d" % (toks[0] - 1),
               want=200)
    eq([t["id"] for t in page["items"]], [toks[0]], "one token")
    eq(page["next_cursor"], str(toks[0]), "next cursor")
    page = api(d, "GET", "/v1/tokens?limit=1&cursor=" + page["next_cursor"],
               want=200)
    eq([t["id"] for t in page["items"]], [toks[1]], "the next one")


# ---- audit filters ----

def audit_all(d, query):
    items, cursor = [], None
    while True:
        page = api(d, "GET", "/v1/audit?" + query +
                   ("&cursor=" + cursor if cursor else ""), want=200)
        items += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return items


def test_the_audit_log_filters_by_actor_action_object_and_time(d):
    rm = api(d, "POST", "/v1/tokens",
             {"name": uniq("rm-alice"), "role": "release_manager"}, 201)
    svc = uniq("asvc")
    api(d, "POST", "/v1/services", {"name": svc, "owner": "t"}, 201,
        token=rm["token"])
    api(d, "PATCH", "/v1/services/" + svc, {"owner": "t2"}, 200,
        token=rm["token"])
    other = uniq("asvc")
    api(d, "POST", "/v1/services", {"name": other, "owner": "t"}, 201)

    mine = audit_all(d, "limit=500&actor=" + rm["name"])
    eq([(e["action"], e["object_id"]) for e in mine],
       [("service.create", svc), ("service.update", svc)], "by actor")
    check(all(e["actor"] == rm["name"] for e in mine), "only that actor")

    svc_entries = audit_all(d, "limit=500&object_type=service&object_id=" +
                            svc)
    eq([e["seq"] for e in svc_entries], [e["seq"] for e in mine],
       "by object")
    creates = audit_all(d, "limit=500&action=service.create")
    ids = [e["object_id"] for e in creates]
    check(svc in ids and other in ids, "by action: %r" % ids)
    check(all(e["action"] == "service.create" for e in creates), "actions")

    # from is inclusive, to exclusive; both RFC 3339.
    at = mine[1]["at"]
    q = urllib.parse.quote
    eq([e["seq"] for e in audit_all(d, "limit=500&actor=%s&from=%s"
                                    % (rm["name"], q(at)))],
       [mine[1]["seq"]], "from")
    eq([e["seq"] for e in audit_all(d, "limit=500&actor=%s&to=%s"
                                    % (rm["name"], q(at)))],
       [mine[0]["seq"]], "to")
    eq(audit_all(d, "limit=500&to=1970-01-01T00:00:00Z"), [], "before all")

    # Filters page like the rest of the log: one entry a page.
    paged = audit_all(d, "limit=1&object_id=" + svc)
    eq([e["seq"] for e in paged], [e["seq"] for e in mine], "paged")

    problem(d, "GET", "/v1/audit?from=yesterday", 400, "from", "RFC 3339")
    problem(d, "GET", "/v1/audit?to=2026-13-01T00:00:00Z", 400, "to",
            "month 13")
    problem(d, "GET", "/v1/audit?actor=" + "a" * 300, 400, "actor", "256")


def test_the_cli_filters_the_audit_log(d):
    rm = api(d, "POST", "/v1/tokens",
             {"name": uniq("rm-bob"), "role": "release_manager"}, 201)
    svc = uniq("csvc")
    api(d, "POST", "/v1/services", {"name": svc, "owner": "t"}, 201,
        token=rm["token"])
    rc, out, err = d.cli("--json", "audit", "list", "--actor", rm["name"])
    eq(rc, 0, err)
    eq([(e["actor"], e["object_id"]) for e in json.loads(out)["items"]],
       [(rm["name"], svc)], "the CLI's answer")
    rc, _, err = d.cli("audit", "list", "--from", "yesterday")
    eq(rc, 1, "refused by the server")
    check("from" in err, err)


# ---- slow clients ----

def send_from(source, port, data):
    """Sends data from the loopback address source; returns the socket."""
    s = socket.socket()
    s.bind((source, 0))
    s.settimeout(5)
    s.connect(("127.0.0.1", port))
    s.sendall(data)
    return s


def closed_by_server(socks, wait):
    """The sockets the server has closed within wait seconds."""
    import select
    closed, left, deadline = set(), list(socks), time.time() + wait
    while left and time.time() < deadline:
        ready, _, _ = select.select(left, [], [], max(0, deadline - time.time()))
        for s in ready:
            try:
                data = s.recv(4096)
            except OSError:
                data = b""
            if not data:
                closed.add(s)
                left.remove(s)
    return closed


def answer(source, port, path="/healthz"):
    s = send_from(source, port, ("GET %s HTTP/1.1\r\nHost: x\r\n"
                                 "Connection: close\r\n\r\n" % path).encode())
    data = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except OSError:
        pass
    s.close()
    return data.split(b"\r\n", 1)[0]


def test_half_sent_requests_from_one_client_starve_no_other_client(_):
    # Room for 32 connections; one address may hold 8 of them, each for
    # 2 idle seconds. Without the per-address limit the 100 half-sent
    # requests below would take all 32 and the other client would be
    # turned away.
    with Daemon(args=["--max-connections", "32",
                      "--max-connections-per-ip", "8",
                      "--connection-timeout", "2"]) as d:
        half = b"GET /v1/services HTTP/1.1\r\nHost: x\r\nAuthorization: Be"
        socks = []
        for _ in range(100):
            try:
                socks.append(send_from("127.0.0.1", d.port, half))
            except OSError:
                pass  # refused outright: also not held
        start = time.time()
        dropped = closed_by_server(socks, 0.5)
        held = [s for s in socks if s not in dropped]
        eq(len(held), 8, "connections one address may hold")

        # Another client is served at once, while those are held.
        eq(answer("127.0.0.2", d.port), b"HTTP/1.1 200 OK", "another client")

        # The held ones are closed once idle for the timeout, not before.
        gone = closed_by_server(held, 4.0)
        took = time.time() - start
        eq(len(gone), 8, "slow connections closed by the timeout")
        check(took >= 1.5, "closed after %.1fs, before the timeout" % took)
        eq(answer("127.0.0.1", d.port), b"HTTP/1.1 200 OK",
           "the first address is served again")
        for s in socks:
            s.close()


def test_the_connection_flags_are_checked(_):
    import subprocess
    from harness import SHIPLOGD
    for args in (["--max-connections", "0"], ["--connection-timeout", "x"],
                 ["--max-connections-per-ip", "-1"],
                 ["--connection-timeout", "05"]):
        p = subprocess.run([SHIPLOGD] + args, capture_output=True, text=True,
                           timeout=30)
        eq(p.returncode, 2, "%r: usage error (%s)" % (args, p.stderr))
        check(args[0] in p.stderr, p.stderr)
    p = subprocess.run([SHIPLOGD, "--help"], capture_output=True, text=True,
                       timeout=30)
    for flag in ("--max-connections N", "--max-connections-per-ip N",
                 "--connection-timeout S"):
        check(flag in p.stdout, flag)


if __name__ == "__main__":
    sys.exit(run_tests(globals()))
