#!/usr/bin/env python3
"""Compliance reports: a period seeded with exactly known facts (one
clean production change and one of each exception) in a fresh production
environment and service, and the change, exceptions, controls and access
reports read back in each format; the audit seqs behind each fact compared
with the log; roles and bad parameters.
"""
import csv
import datetime
import io
import json
import re
import os
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Daemon, api, check, eq, run_tests, uniq  # noqa: E402

CTL = None  # the daemon's fault control file (src/store/fault.h)


def now():
    return datetime.datetime.now(datetime.timezone.utc).replace(
        microsecond=0)


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def wall(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S")


def q(**params):
    return "?" + urllib.parse.urlencode(params)


def token(d, role, **extra):
    name = uniq("tok-" + role.replace("_", "-"))
    doc = api(d, "POST", "/v1/tokens", dict(name=name, role=role, **extra),
              want=201)
    return name, doc["token"]


POLICY = {
    "change_request": {"required": True},
    "approvals": [{"group": "qa", "count": 1}],
    "checklists": [{"release_types": ["minor", "emergency"],
                    "items": ["backup"]}],
    "segregation": {"approver_may_not_deploy": True,
                    "deployer_may_not_be_author": True},
    "override_roles": ["admin"],
}

_world = {}


def world(d):
    """Seeds the period once: the clean change and the four exceptions,
    in a production environment and a service no other test uses."""
    if _world:
        return _world
    w = _world
    w["from"] = iso(now() - datetime.timedelta(minutes=5))
    w["env"] = env = uniq("prod")
    api(d, "POST", "/v1/environments",
        {"name": env, "rank": 990, "production": True}, want=201)
    api(d, "PUT", "/v1/environments/%s/policy" % env, POLICY, want=200)
    w["svc"] = svc = uniq("pay")
    api(d, "POST", "/v1/services", {"name": svc, "owner": "team-pay"},
        want=201)
    w["dev"], dev = token(d, "developer")
    w["approver"], appr = token(d, "approver", groups=["qa"])
    w["deployer"], dep = token(d, "deployer")
    t = now()

    def cr():
        key = "CHG" + uniq("r").upper().replace("-", "")
        api(d, "POST", "/v1/change-requests",
            {"key": key, "class": "normal", "state": "assess"}, want=201)
        api(d, "PATCH", "/v1/change-requests/" + key,
            {"state": "authorize"}, want=200)
        api(d, "PATCH", "/v1/change-requests/" + key,
            {"state": "approved",
             "window_start": iso(t - datetime.timedelta(hours=1)),
             "window_end": iso(t + datetime.timedelta(hours=6))}, want=200)
        return key

    def release(version, type, key=None, approved=True):
        body = {"service": svc, "version": version, "type": type}
        if key:
            body["change_request"] = key
        rel = api(d, "POST", "/v1/releases", body, want=201, token=dev)
        api(d, "POST", "/v1/releases/%d/checklist" % rel["id"],
            {"environment": env, "item": "backup",
             "evidence": "https://wiki.example/backup/" + version},
            want=201, token=dev)
        if approved:
            api(d, "POST", "/v1/releases/%d/approvals" % rel["id"],
                {"environment": env, "decision": "approve"}, want=201,
                token=appr)
        return rel

    def deploy(rel, tok=None, override=None):
        body = {"release": rel["id"], "environment": env,
                "status": "in_progress"}
        if override:
            body["override"] = {"checks": override,
                                "reason": "seeded exception"}
        return api(d, "POST", "/v1/deployments", body, want=201, token=tok)

    def close_review(dep_id):
        rv = [v for v in api(d, "GET", "/v1/reviews?open=true",
                             want=200)["items"]
              if v["deployment_id"] == dep_id]
        eq(len(rv), 1, "one open review")
        api(d, "POST", "/v1/reviews/%d/close" % rv[0]["id"],
            {"link": "https://wiki.example/pir/%d" % dep_id}, want=200)

    # The clean change: CR approved, approved by qa, checklist done.
    w["clean_key"] = cr()
    clean = release("1.0.0", "minor", w["clean_key"])
    w["clean"] = deploy(clean, tok=dep)["id"]
    api(d, "POST", "/v1/deployments/%d/events" % w["clean"],
        {"status": "succeeded"}, want=201, token=dep)
    # No change request, past the gate by an override (review closed).
    w["no_cr"] = deploy(release("1.1.0", "emergency"),
                        override=["change_request"])["id"]
    close_review(w["no_cr"])
    # An emergency override whose review stays open.
    w["open_review"] = deploy(release("1.2.0", "emergency", cr(), False),
                              override=["approvals"])["id"]
    # An approval given after the start (the review closed).
    late = release("1.3.0", "emergency", cr(), False)
    w["late"] = deploy(late, override=["approvals"])["id"]
    close_review(w["late"])
    api(d, "POST", "/v1/releases/%d/approvals" % late["id"],
        {"environment": env, "decision": "approve"}, want=201, token=appr)
    # A start in a freeze (the review closed). The freeze begins after
    # every deployment above started, so it covers only this one.
    start = now() + datetime.timedelta(seconds=1)
    api(d, "POST", "/v1/windows",
        {"name": uniq("freeze"), "kind": "freeze", "environment": env,
         "timezone": "UTC", "start": wall(start),
         "end": wall(start + datetime.timedelta(hours=2))}, want=201)
    while now() <= start:
        time.sleep(0.2)
    w["freeze"] = deploy(release("1.4.0", "emergency", cr()),
                         override=["windows"])["id"]
    close_review(w["freeze"])
    w["to"] = iso(now() + datetime.timedelta(minutes=5))
    return w


def report(d, kind, want=200, token=None, **params):
    w = world(d)
    p = {"from": w["from"], "to": w["to"], "environment": w["env"],
         "service": w["svc"]}
    p.update(params)
    p = {k: v for k, v in p.items() if v is not None}
    status, h, doc = d.request("GET", "/v1/reports/%s%s" % (kind, q(**p)),
                               token=token)
    eq(status, want, "report %s -> %s" % (kind, doc))
    return h, doc


def test_exceptions_finds_exactly_the_seeded_ones(d):
    w = world(d)
    _, doc = report(d, "exceptions")
    got = sorted((e["deployment_id"], e["kind"]) for e in doc["items"])
    eq(got, sorted([(w["no_cr"], "no_change_request"),
                    (w["open_review"], "override_review_open"),
                    (w["late"], "approval_after_start"),
                    (w["freeze"], "deployed_during_freeze")]), "exceptions")
    eq(doc["changes_checked"], 5, "five production changes")
    late = [e for e in doc["items"] if e["deployment_id"] == w["late"]][0]
    eq(late["detail"], "%s approved after the deployment started"
       % w["approver"], "who approved late")
    # Segregation: each check listed, enforced on every change, no
    # finding.
    eq([(s["check"], s["changes_checked"], s["policy_enforced"],
         s["findings"]) for s in doc["segregation"]],
       [("sod_approver_deployed", 5, 5, 0),
        ("sod_author_deployed", 5, 5, 0)], "segregation proven")


def test_change_report_rows_and_their_audit_seqs(d):
    w = world(d)
    api(d, "POST", "/v1/log/checkpoint", want=200)
    _, doc = report(d, "change")
    eq([r["deployment_id"] for r in doc["items"]],
       [w["clean"], w["no_cr"], w["open_review"], w["late"], w["freeze"]],
       "every production change, oldest first")
    row = doc["items"][0]
    eq((row["service"], row["version"], row["environment"], row["deployer"],
        row["author"], row["status"], row["gate"]),
       (w["svc"], "1.0.0", w["env"], w["deployer"], w["dev"], "succeeded",
        "passed"), "the clean change")
    eq([(a["approver"], a["group"], a["decision"]) for a in row["approvals"]],
       [(w["approver"], "qa", "approve")], "approvers and groups")
    eq(row["change_request"], {"key": w["clean_key"], "class": "normal",
                               "state": "approved", "known": True}, "CR")
    eq([(c["item"], c["evidence"]) for c in row["checklist"]],
       [("backup", "https://wiki.example/backup/1.0.0")], "checklist")
    eq((row["override"], row["review"]), (None, None), "no override")
    by_id = {r["deployment_id"]: r for r in doc["items"]}
    eq(by_id[w["open_review"]]["gate"], "overridden", "gate at start")
    eq(by_id[w["open_review"]]["review"]["closed_at"], None, "open review")
    check(by_id[w["late"]]["review"]["closed_at"] is not None, "closed")
    eq([c["check"] for c in by_id[w["no_cr"]]["override"]["checks"]],
       ["change_request"], "what the override set aside")
    # The seqs behind the deployment's facts are the log's own.
    log = api(d, "GET", "/v1/audit" + q(object_type="deployment",
                                        object_id=str(w["clean"])),
              want=200)["items"]
    mine = [(a["seq"], a["action"]) for a in row["audit"]
            if a["object_type"] == "deployment"]
    eq(mine, [(e["seq"], e["action"]) for e in log], "deployment entries")
    appr = api(d, "GET", "/v1/releases/%d/approvals" % row["release_id"],
               want=200)["items"]
    alog = api(d, "GET", "/v1/audit" + q(object_type="approval",
                                         object_id=str(appr[0]["id"])),
               want=200)["items"]
    check(alog[0]["seq"] in [a["seq"] for a in row["audit"]], "approval seq")
    # Each entry is proven in the tree the report names.
    for a in row["audit"]:
        eq(a["tree_size"], doc["tree_size"], "proven in the tree")
        proof = api(d, "GET", a["proof"], want=200)
        eq((proof["seq"], proof["tree_size"]), (a["seq"], doc["tree_size"]),
           "proof fetched")


def test_controls_list_evidence_and_gaps(d):
    w = world(d)
    _, doc = report(d, "controls")
    by = {c["id"]: c for c in doc["controls"]}
    for cid in ("SOX-ITGC-CM-1", "ISO27001-A.8.32", "SOC2-CC8.1",
                "PCI-DSS-6.5.1"):
        check(cid in by, cid)
    cm4 = by["SOX-ITGC-CM-4"]
    eq((cm4["status"], cm4["gaps"]),
       ("gap", [{"evidence": "override_review",
                 "deployments": [w["open_review"]]}]), "open review gap")
    sod = by["SOX-ITGC-CM-3"]
    eq((sod["status"], sod["evidence"][0]["changes_with"]), ("evidenced", 5),
       "segregation evidenced")
    cm1 = by["SOX-ITGC-CM-1"]
    gaps = {g["evidence"]: g["deployments"] for g in cm1["gaps"]}
    eq(gaps.get("change_request"), [w["no_cr"]], "the change without a CR")
    eq(sorted(gaps.get("approval")),
       sorted([w["open_review"], w["late"]]), "no approval at the start")


def test_access_review_lists_tokens_and_grants(d):
    name, _ = token(d, "approver")
    gone, _ = token(d, "developer")
    tid = [t for t in api(d, "GET", "/v1/tokens?limit=500",
                          want=200)["items"] if t["name"] == gone][0]["id"]
    api(d, "DELETE", "/v1/tokens/%d" % tid, want=204)
    env = world(d)["env"]
    api(d, "POST", "/v1/grants", {"token": name, "role": "deployer",
                                  "environment": env, "hours": 2,
                                  "reason": "release night"}, want=201)
    _, doc = report(d, "access", **{"from": None, "to": None,
                                    "environment": None, "service": None})
    toks = {i["holder"]: i for i in doc["items"] if i["kind"] == "token"}
    eq((toks[name]["role"], toks[name]["granted_by"], toks[name]["flags"]),
       ("approver", "admin", []), "a fresh token")
    eq(toks[gone]["flags"], ["revoked"], "a revoked token")
    grants = [i for i in doc["items"]
              if i["kind"] == "grant" and i["holder"] == name]
    eq([(g["role"], g["scope"], g["granted_by"]) for g in grants],
       [("deployer", {"environments": env}, "admin")], "the grant")


def test_each_format_comes_out(d):
    w = world(d)
    h, text = report(d, "exceptions", format="csv")
    check(h["content-type"].startswith("text/csv"), h)
    rows = list(csv.reader(io.StringIO(text)))
    eq(rows[0][:2], ["deployment_id", "service"], "header")
    eq(len(rows), 1 + 4, "one row per exception")
    _, text = report(d, "change", format="csv")
    rows = list(csv.reader(io.StringIO(text)))
    eq([r[0] for r in rows[1:]],
       [str(w[k]) for k in ("clean", "no_cr", "open_review", "late",
                            "freeze")], "one row per change")
    _, text = report(d, "controls", format="csv")
    eq(len(list(csv.reader(io.StringIO(text)))), 1 + 9, "one per control")
    h, page = report(d, "change", format="html")
    check(h["content-type"].startswith("text/html"), h)
    check('<table class="report-table">' in page and
          "<script" not in page.lower(), page[:200])
    # Its one stylesheet is the dashboard's, from this origin.
    css = re.search(r'<link rel="stylesheet" href="(/assets/[^"]+\.css)">',
                    page)
    check(css, page[:400])
    status, h, text = d.request("GET", css.group(1), auth=False)
    eq(status, 200, "the stylesheet is served")
    check("@media print" in text and ".report-table" in text, "print rules")
    for k in ("clean", "no_cr", "open_review", "late", "freeze"):
        check("<td>%d</td>" % w[k] in page, k)
    check("default-src 'self'" in h["content-security-policy"], h)
    _, page = report(d, "exceptions", format="html")
    check("deployed_during_freeze" in page and "<script" not in page, page)


def test_an_imported_change_is_reported_as_not_gated(d):
    """An import records what happened elsewhere, past the gates: the
    report says so, and the policy's rules still find the change without
    a change request, started during the freeze."""
    w = world(d)
    svc = uniq("old")
    # After the policy and inside the freeze: the last seeded change
    # started after both, so a second later is too.
    last = api(d, "GET", "/v1/deployments/%d" % w["freeze"], want=200)
    at = datetime.datetime.strptime(last["started_at"][:19],
                                    "%Y-%m-%dT%H:%M:%S").replace(
        tzinfo=datetime.timezone.utc) + datetime.timedelta(seconds=2)
    while now() <= at + datetime.timedelta(seconds=2):
        time.sleep(0.2)
    records = [
        {"kind": "service", "id": svc + "-s", "name": svc, "owner": "team-old"},
        {"kind": "release", "id": svc + "-r", "service": svc + "-s",
         "version": "3.0.0", "type": "minor", "created_at": iso(at)},
        {"kind": "deployment", "id": svc + "-d", "release": svc + "-r",
         "environment": w["env"], "status": "succeeded", "deployer": "carol",
         "started_at": iso(at + datetime.timedelta(seconds=1)),
         "finished_at": iso(at + datetime.timedelta(seconds=2))},
    ]
    body = ("\n".join(json.dumps(r) for r in records) + "\n").encode()
    status, _, doc = d.request("POST", "/v1/import?source=legacy", raw=body,
                               headers={"Content-Type":
                                        "application/x-ndjson"})
    eq(status, 201, "import %s" % doc)
    period = {"service": svc, "from": iso(at - datetime.timedelta(minutes=1)),
              "to": iso(now() + datetime.timedelta(minutes=1))}
    _, doc = report(d, "change", **period)
    eq([(r["version"], r["deployer"], r["gate"]) for r in doc["items"]],
       [("3.0.0", "carol", "not_gated_import")], "the imported change")
    _, doc = report(d, "exceptions", **period)
    eq([e["kind"] for e in doc["items"]],
       ["no_change_request", "deployed_during_freeze"],
       "no change request, as the policy asks; and started in the freeze")
    _, doc = report(d, "controls", **period)
    cm1 = [c for c in doc["controls"] if c["id"] == "SOX-ITGC-CM-1"][0]
    eq(sorted(g["evidence"] for g in cm1["gaps"]),
       ["approval", "change_request", "gate"], "not gated, no CR, no approval")


def test_a_webhook_reported_change_is_reported_as_not_gated(d):
    """A deployment a sender reported through a receiver was not gated:
    the report says so and names the receiver as its deployer."""
    from test_hooks import SECRET, fixture, github
    w = world(d)
    svc = uniq("hooked")
    api(d, "POST", "/v1/services", {"name": svc, "owner": "team-hooks"},
        want=201)
    name = uniq("gh")
    api(d, "PUT", "/v1/receivers/" + name,
        {"source": "github", "secret": SECRET,
         "services": {"Codertocat/Hello-World": svc},
         "environments": {"production": w["env"]}}, want=201)
    api(d, "POST", "/v1/releases",
        {"service": svc, "version": "1.0.0", "type": "minor",
         "commit": "f95f852bd8fca8fcc58a9a2d6c842781e32a215e"}, want=201)
    status, doc = github(d, name, "deployment_status",
                         fixture("github", "deployment_status.json"))
    eq((status, doc["outcome"]), (200, "applied"), doc)
    period = {"service": svc, "from": iso(now() - datetime.timedelta(
        minutes=1)), "to": iso(now() + datetime.timedelta(minutes=1))}
    _, rep = report(d, "change", **period)
    eq([(r["deployment_id"], r["deployer"], r["gate"]) for r in rep["items"]],
       [(doc["deployment"], "receiver:" + name, "not_gated_webhook")],
       "the webhook's change")
    _, rep = report(d, "exceptions", **period)
    check("no_change_request" in [e["kind"] for e in rep["items"]],
          "the policy's change request rule still holds: %s" % rep["items"])


def test_roles_and_bad_parameters(d):
    _, dev = token(d, "developer")
    _, aud = token(d, "auditor")
    report(d, "change", want=403, token=dev)
    report(d, "change", want=200, token=aud)
    _, scoped = token(d, "auditor", environments=[world(d)["env"]])
    _, doc = report(d, "change", want=403, token=scoped)
    check("scope" in doc["detail"], doc)
    for params, field in (({"from": None}, "from"),
                          ({"to": None}, "to"),
                          ({"from": "yesterday"}, "from"),
                          ({"format": "xml"}, "format"),
                          ({"to": "2000-01-01T00:00:00Z"}, "to")):
        _, doc = report(d, "change", want=400, **params)
        eq([e.get("field") for e in doc.get("errors", [])] or
           [doc.get("field")], [field], doc)
    _, doc = report(d, "nonsense", want=404)
    _, doc = report(d, "change", want=422, environment=uniq("nowhere"))
    check("environment" in str(doc), doc)


def arm(text):
    tmp = CTL + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, CTL)  # a new inode: the daemon sees the change


def test_zz_an_unreadable_fact_is_503_for_every_store_call(d):
    """Each store call the exceptions and change reports make fails once:
    the answer is a problem document, 503 for an unavailable store (500
    or 503 for a bug), never a report missing the fact."""
    world(d)
    for kind in ("exceptions", "change", "access"):
        trace = CTL + ".trace"
        if os.path.exists(trace):
            os.unlink(trace)
        arm("trace\n")
        try:
            report(d, kind)
        finally:
            arm("")
        with open(trace) as f:
            names = [ln.strip() for ln in f if ln.strip()]
        os.unlink(trace)
        check(len(names) >= 3, "%s: the trace saw its calls: %s" % (kind, names))
        seen = {}
        for i, name in enumerate(names):
            seen[name] = seen.get(name, 0) + 1
            error = "internal" if i % 4 == 3 else "unavailable"
            arm("fail query=%s nth=%d error=%s\n" % (name, seen[name], error))
            try:
                status, h, doc = d.request(
                    "GET", "/v1/reports/%s%s" % (kind, q(
                        **{"from": _world["from"], "to": _world["to"],
                           "environment": _world["env"],
                           "service": _world["svc"]})))
            finally:
                arm("")
            what = "%s: fault on %s #%d (%s)" % (kind, name, seen[name],
                                                 error)
            want = (503,) if error == "unavailable" else (500, 503)
            check(status in want, "%s answered %d: %s" % (what, status, doc))
            eq(h.get("content-type"), "application/problem+json", what)
        report(d, kind)


def main():
    global CTL
    # No read cache and tokens kept: each run of a report makes the same
    # store calls, so a fault armed on the Nth call hits the same one.
    d = Daemon(env={"SHIPLOG_CACHE_MB": "0",
                    "SHIPLOG_TOKEN_CACHE_MS": "600000"})
    CTL = os.path.join(d.dir, "faults")
    d.extra_env["SHIPLOG_FAULTS"] = CTL
    return run_tests(globals(), daemon=d)


if __name__ == "__main__":
    sys.exit(main())
