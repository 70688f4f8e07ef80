#!/usr/bin/env python3
"""Retention: POST /v1/archive takes finished records older than a
cut-off out of the live tables into an archive file, and
POST /v1/archive/restore puts them back.

History is imported with its original times (POST /v1/import), then
archived: the counts are exact, the live tables no longer hold what was
taken, an archived deployment answers 410 naming its archive, the status
matrix is unchanged, the audit log verifies before and after and an
archived deployment's own entry still has a proof that checks, the file
reads back to the documents served before, a restore puts them back and
a second restore changes nothing. A cut-off within the retention period,
a token that is not an administrator's and a store fault each change
nothing.
"""
import hashlib
import json
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Daemon, api, check, eq, run_tests,  # noqa: E402
                     uniq)

CTL = None  # the fault control file, set in main


def jsonl(records):
    return ("\n".join(json.dumps(r) for r in records) + "\n").encode()


def history(svc, env, year):
    """Three releases deployed to env in year: the first succeeded, the
    second failed, the third succeeded and runs there now. The first has
    a note on its timeline and a tag."""
    y = str(year)
    recs = [{"kind": "service", "id": svc, "name": svc, "owner": "team"},
            {"kind": "environment", "id": env, "name": env, "rank": 10}]
    for i, (status, month) in enumerate([("succeeded", "01"),
                                         ("failed", "02"),
                                         ("succeeded", "03")]):
        recs.append({"kind": "release", "id": "r%d" % i, "service": svc,
                     "version": "1.%d.0" % i, "type": "minor",
                     "created_at": "%s-%s-01T10:00:00Z" % (y, month)})
        if i == 0:
            recs[-1]["tags"] = {"unit": "payments"}
        recs.append({"kind": "deployment", "id": "d%d" % i,
                     "release": "r%d" % i, "environment": env,
                     "status": status,
                     "started_at": "%s-%s-02T10:00:00Z" % (y, month),
                     "finished_at": "%s-%s-02T10:05:00Z" % (y, month)})
    recs.append({"kind": "event", "id": "e0", "deployment": "d0",
                 "message": "smoke tests passed",
                 "at": "%s-01-02T10:06:00Z" % y})
    return recs


def seed(d, year):
    """Imports a history in year; returns (svc, env, [deployment ids])."""
    svc, env = uniq("old"), uniq("env")
    status, _, doc = d.request("POST", "/v1/import?source=" + uniq("src"),
                               raw=jsonl(history(svc, env, year)),
                               headers={"Content-Type":
                                        "application/x-ndjson"})
    eq(status, 201, "import %s" % doc)
    deps = [i["object"] for i in doc["items"] if i["kind"] == "deployment"]
    eq(len(deps), 3, "three deployments")
    return svc, env, deps


def releases(d, svc):
    """The service's releases by version."""
    return {r["version"]: r for r in api(d, "GET", "/v1/releases?service="
                                         + svc, want=200)["items"]}


def archive(d, before, token=None):
    status, headers, body = d.request("POST", "/v1/archive",
                                      {"before": before}, token=token)
    return status, headers, body


def lines(body):
    text = body if isinstance(body, str) else json.dumps(body)
    return [json.loads(x) for x in text.splitlines() if x]


def status_rows(d, svc):
    return api(d, "GET", "/v1/status?service=" + svc, want=200)["items"]


def latest_seq(d):
    seq = 0
    while True:
        page = api(d, "GET", "/v1/audit?limit=500&after=%d" % seq, want=200)
        if page["items"]:
            seq = page["items"][-1]["seq"]
        if len(page["items"]) < 500:
            return seq


def settled(d):
    """Waits until a signed checkpoint covers the whole log."""
    want = latest_seq(d)
    deadline = time.time() + 20
    while time.time() < deadline:
        s, _, text = d.request("GET", "/v1/log/checkpoint")
        if s == 200 and int(text.split("\n")[1]) >= want:
            return want
        time.sleep(0.05)
    raise AssertionError("no checkpoint covers %d entries" % want)


def audit_cli(d, *args):
    cfg = os.path.join(tempfile.mkdtemp(prefix="shiplog-arch-"), "a.json")
    return d.cli("audit", *args, env={"SHIPLOG_CONFIG": cfg})


def test_archive_takes_old_finished_records_and_the_log_still_proves(d):
    svc, env, deps = seed(d, 2010)
    served = {i: api(d, "GET", "/v1/deployments/%d" % i, want=200)
              for i in deps}
    rels = releases(d, svc)
    # Only the first release is over with nothing left live once its
    # deployment goes: the second's failed deployment left it unreleased,
    # the third runs.
    eq([rels[v]["status"] for v in ("1.0.0", "1.1.0", "1.2.0")],
       ["released", "in_progress", "released"], "release statuses")
    rel0 = api(d, "GET", "/v1/releases/%d" % rels["1.0.0"]["id"], want=200)
    events = sum(len(served[i]["events"]) for i in deps[:2])
    check(events >= 3, "the imported moves are on the timelines: %d" % events)
    matrix = status_rows(d, svc)
    eq([r["running"]["deployment_id"] for r in matrix], [deps[2]],
       "the third runs")
    created = [e for e in api(d, "GET",
                              "/v1/audit?object_type=deployment"
                              "&object_id=%d&limit=10" % deps[0],
                              want=200)["items"]]
    check(created, "the first deployment has audit entries")
    settled(d)
    rc, out, err = audit_cli(d, "verify")
    eq(rc, 0, "verify before: %s %s" % (out, err))

    status, headers, body = archive(d, "2011-01-01T00:00:00Z")
    eq(status, 201, "archive: %s" % body)
    eq(headers.get("content-type"), "application/x-ndjson", "a file")
    recs = lines(body)
    head, trailer = recs[0], recs[-1]
    eq((head["kind"], head["format"], head["before"]),
       ("header", "shiplog-archive/1", "2011-01-01T00:00:00Z"), "header")
    check(head["tree_size"] > 0 and head["shiplog"], head)
    eq(trailer["counts"], {"deployment": 2, "event": events,
                           "verification": 0, "hook_link": 0,
                           "delivery": 0, "notification": 0,
                           "release": 1, "release_tag": 1, "approval": 0,
                           "checklist_item": 0}, "counts")
    eq(trailer["records"], 2 + events + 2, "records")
    text = body if isinstance(body, str) else json.dumps(body)
    sealed = text[:text.rindex('{"counts"')]
    eq(trailer["sha256"], hashlib.sha256(sealed.encode()).hexdigest(),
       "the trailer seals what comes before it")
    digest = hashlib.sha256(text.encode()).hexdigest()

    # The audit entry names the counts and the file's digest.
    entry = api(d, "GET", "/v1/audit?action=archive.create&limit=500",
                want=200)["items"][-1]
    after = entry["change"][0]["value"]
    eq((after["sha256"], after["counts"]["deployment"], after["before"]),
       (digest, 2, "2011-01-01T00:00:00Z"), "audited")

    # Gone from the live tables, said so: 410 naming the archive.
    for i in deps[:2]:
        s, _, doc = d.request("GET", "/v1/deployments/%d" % i)
        eq(s, 410, "archived %d: %s" % (i, doc))
        eq(doc["archive"], head["archive"], "names its archive")
        check("archived" in doc["detail"], doc["detail"])
    listed = api(d, "GET", "/v1/deployments?service=" + svc,
                 want=200)["items"]
    eq([x["id"] for x in listed], [deps[2]], "only the running one is live")
    eq(status_rows(d, svc), matrix, "the status matrix is unchanged")
    s, _, doc = d.request("GET", "/v1/deployments/999999999")
    eq(s, 404, "a missing one is still 404")
    for ref in ("%d" % rel0["id"], "%s@1.0.0" % svc):
        s, _, doc = d.request("GET", "/v1/releases/" + ref)
        eq((s, doc.get("archive")), (410, head["archive"]),
           "release %s archived: %s" % (ref, doc))
    eq(sorted(releases(d, svc)), ["1.1.0", "1.2.0"], "the others stay")

    # The log is whole: it verifies, and the archived deployment's own
    # entry has an inclusion proof that checks.
    eq(api(d, "GET", "/v1/audit?object_type=deployment&object_id=%d"
           "&limit=10" % deps[0], want=200)["items"], created,
       "its entries are kept")
    settled(d)
    rc, out, err = audit_cli(d, "verify")
    eq(rc, 0, "verify after: %s %s" % (out, err))
    rc, out, err = audit_cli(d, "prove", str(created[0]["seq"]))
    eq(rc, 0, "prove: %s %s" % (out, err))
    check("ok: entry %d is in the signed tree" % created[0]["seq"] in out,
          out)

    # Read back: the documents are those served before.
    docs = {r["row"]["id"]: json.loads(r["row"]["doc"]) for r in recs
            if r["kind"] == "deployment"}
    for i in deps[:2]:
        want = dict(served[i])
        del want["events"]
        eq(docs[i], want, "deployment %d read back" % i)
    evs = [json.loads(r["row"]["doc"]) for r in recs if r["kind"] == "event"]
    eq(sorted(json.dumps(e, sort_keys=True) for e in evs),
       sorted(json.dumps(e, sort_keys=True) for i in deps[:2]
              for e in served[i]["events"]), "events read back")

    # A report over a period reaching before the cut-off would miss the
    # archived changes: refused, naming from; one after it is answered.
    rep = "/v1/reports/change?from=%s&to=2030-01-01T00:00:00Z"
    s, _, doc = d.request("GET", rep % "2009-01-01T00:00:00Z")
    eq((s, doc.get("errors", [{}])[0].get("field")), (409, "from"),
       "a period before the cut-off: %s" % doc)
    check("2011-01-01T00:00:00" in doc["detail"], doc["detail"])
    api(d, "GET", rep % "2011-01-01T00:00:00Z", want=200)
    # So are the delivery metrics, whose trend reads the period before.
    dora = "/v1/metrics/dora?from=%s&to=%s"
    s, _, doc = d.request("GET", dora % ("2010-12-01T00:00:00Z",
                                         "2011-02-01T00:00:00Z"))
    eq((s, doc.get("errors", [{}])[0].get("field")), (409, "from"),
       "metrics over archived deployments: %s" % doc)
    api(d, "GET", dora % ("2011-02-01T00:00:00Z", "2011-03-01T00:00:00Z"),
        want=200)

    # Restore puts them back as they were; again changes nothing.
    tail = latest_seq(d)
    s, _, doc = d.request("POST", "/v1/archive/restore", raw=text.encode(),
                          headers={"Content-Type": "application/x-ndjson"})
    eq(s, 201, "restore: %s" % doc)
    eq((doc["restored"]["deployment"], doc["restored"]["release"],
        doc["already_restored"]), (2, 1, False), "restored")
    eq(latest_seq(d), tail + 1, "one archive.restore entry")
    for i in deps:
        eq(api(d, "GET", "/v1/deployments/%d" % i, want=200), served[i],
           "deployment %d back as it was" % i)
    eq(status_rows(d, svc), matrix, "the matrix still the same")
    eq(api(d, "GET", "/v1/releases/%s@1.0.0" % svc, want=200), rel0,
       "the release back as it was")
    s, _, doc = d.request("POST", "/v1/archive/restore", raw=text.encode(),
                          headers={"Content-Type": "application/x-ndjson"})
    eq((s, doc["already_restored"]), (200, True), "idempotent: %s" % doc)
    eq(latest_seq(d), tail + 1, "nothing more audited")
    api(d, "GET", rep % "2009-01-01T00:00:00Z", want=200)
    api(d, "GET", dora % ("2010-12-01T00:00:00Z", "2011-02-01T00:00:00Z"),
        want=200)


def test_a_cut_off_within_the_retention_period_is_refused(d):
    tail = latest_seq(d)
    for before in ("2099-01-01T00:00:00Z",
                   time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                 time.gmtime(time.time() - 29 * 86400))):
        status, _, doc = archive(d, before)
        eq(status, 422, "%s: %s" % (before, doc))
        eq(doc["errors"][0]["field"], "before", "names before")
        check("retention period of 30 days" in doc["errors"][0]["message"],
              doc)
    status, _, doc = archive(d, "yesterday")
    eq((status, doc["errors"][0]["field"]), (422, "before"), "not a time")
    eq(latest_seq(d), tail, "nothing audited")


def test_a_restore_of_a_file_no_archive_made_is_refused(d):
    tail = latest_seq(d)
    s, _, doc = d.request("POST", "/v1/archive/restore",
                          raw=b'{"kind":"header"}\n',
                          headers={"Content-Type": "application/x-ndjson"})
    eq(s, 422, "refused: %s" % doc)
    eq(doc["errors"][0]["field"], "body", "names the body")
    eq(latest_seq(d), tail, "nothing audited")


def test_a_restore_where_a_new_object_took_the_place_is_refused(d):
    svc, env, deps = seed(d, 2007)
    status, _, body = archive(d, "2008-01-01T00:00:00Z")
    eq(status, 201, "archive: %s" % body)
    eq(lines(body)[-1]["counts"]["release"], 1, "the first release went")
    # Someone registers 1.0.0 again (below the others: allowed with a
    # warning): the archived one cannot come back.
    api(d, "PATCH", "/v1/services/" + svc, {"release_type_check": "warn"},
        want=200)
    api(d, "POST", "/v1/releases", {"service": svc, "version": "1.0.0",
                                    "type": "minor"}, want=201)
    tail = latest_seq(d)
    s, _, doc = d.request("POST", "/v1/archive/restore",
                          raw=body.encode(),
                          headers={"Content-Type": "application/x-ndjson"})
    eq(s, 409, "conflict: %s" % doc)
    check("conflicts" in doc["detail"], doc["detail"])
    eq(latest_seq(d), tail, "nothing audited")
    for i in deps[:2]:
        s, _, doc = d.request("GET", "/v1/deployments/%d" % i)
        eq(s, 410, "still archived: %s" % doc)


def test_only_an_administrator_archives(d):
    svc, env, deps = seed(d, 2003)
    for role in ("release_manager", "deployer", "approver", "developer",
                 "auditor"):
        tok = api(d, "POST", "/v1/tokens",
                  {"name": uniq("tok"), "role": role}, want=201)["token"]
        tail = latest_seq(d)
        status, _, doc = archive(d, "2004-01-01T00:00:00Z", token=tok)
        eq(status, 403, "%s: %s" % (role, doc))
        check("archive" in doc["detail"], doc["detail"])
        s, _, doc = d.request("POST", "/v1/archive/restore", raw=b"x\n",
                              headers={"Content-Type":
                                       "application/x-ndjson"}, token=tok)
        eq(s, 403, "%s restore: %s" % (role, doc))
        eq(latest_seq(d), tail, "nothing audited")
    for i in deps:
        api(d, "GET", "/v1/deployments/%d" % i, want=200)


def arm(text):
    tmp = CTL + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, CTL)


def test_a_store_fault_while_archiving_leaves_everything_in_place(d):
    svc, env, deps = seed(d, 2001)
    served = {i: api(d, "GET", "/v1/deployments/%d" % i, want=200)
              for i in deps}
    for query in ("sl_store_archive_candidates",
                  "sl_store_archive_release_candidates",
                  "sl_store_archive_take_release", "sl_store_archive_rows",
                  "sl_store_archive_remove", "sl_store_archive_seal",
                  "commit"):
        tail = latest_seq(d)
        arm("fail query=%s\n" % query)
        try:
            status, _, doc = archive(d, "2002-01-01T00:00:00Z")
        finally:
            arm("")
        eq(status, 503, "%s: %s" % (query, doc))
        eq(latest_seq(d), tail, "%s: nothing audited" % query)
        for i in deps:
            eq(api(d, "GET", "/v1/deployments/%d" % i, want=200), served[i],
               "%s: deployment %d in place" % (query, i))
    status, _, body = archive(d, "2002-01-01T00:00:00Z")
    eq(status, 201, "without a fault: %s" % body)
    eq(lines(body)[-1]["counts"]["deployment"], 2, "then it archives")


def main():
    global CTL
    d = Daemon(args=["--retention-days", "30"],
               env={"SHIPLOG_CACHE_MB": "0"})
    CTL = os.path.join(d.dir, "faults")
    d.extra_env["SHIPLOG_FAULTS"] = CTL
    return run_tests(globals(), daemon=d)


if __name__ == "__main__":
    sys.exit(main())
