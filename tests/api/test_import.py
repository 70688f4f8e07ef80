#!/usr/bin/env python3
"""Bringing history in: POST /v1/import with JSON Lines and CSV.

Each batch is one transaction through the normal routes' own checks: the
objects keep their original times (read back exactly), a second import
of the same records writes nothing and says what it matched, a bad
record answers 422 naming its line and field and leaves every table as
it was, only an administrator may import, every entry says it was
imported and from what, and the status matrix puts the latest deployment
by time first, whatever order the records came in.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Daemon, api, check, eq, run_tests,  # noqa: E402
                     uniq)


def jsonl(records):
    return ("\n".join(json.dumps(r) for r in records) + "\n").encode()


def post(d, source, body, ctype="application/x-ndjson", token=None):
    status, _, doc = d.request(
        "POST", "/v1/import?source=" + source, raw=body,
        headers={"Content-Type": ctype}, token=token)
    return status, doc


def audit_tail(d):
    """The last audit sequence number."""
    seq = 0
    while True:
        page = api(d, "GET", "/v1/audit?limit=500&after=%d" % seq, want=200)
        if not page["items"]:
            return seq
        seq = page["items"][-1]["seq"]
        if len(page["items"]) < 500:
            return seq


def audit_since(d, seq):
    items = []
    while True:
        page = api(d, "GET", "/v1/audit?limit=500&after=%d" % seq, want=200)
        items += page["items"]
        if len(page["items"]) < 500:
            return items
        seq = page["items"][-1]["seq"]


def counts(d, svc):
    """What the store holds for a service: releases and deployments."""
    rels = api(d, "GET", "/v1/releases?service=%s&limit=500" % svc,
               want=200)["items"]
    deps = api(d, "GET", "/v1/deployments?service=%s&limit=500" % svc,
               want=200)["items"]
    return len(rels), len(deps)


def total(d, path):
    """How many objects a whole list holds, page after page."""
    n, cursor = 0, None
    while True:
        page = api(d, "GET", "%s?limit=500%s" % (
            path, "&cursor=" + cursor if cursor else ""), want=200)
        n += len(page["items"])
        cursor = page.get("next_cursor")
        if not cursor:
            return n


def everything(d):
    """The rows of every kind an import writes, and the audit log's end."""
    return {p: total(d, p) for p in ("/v1/services", "/v1/environments",
                                     "/v1/releases", "/v1/deployments")} | \
        {"audit": audit_tail(d)}


def history(svc, env, source_ids=""):
    """A service, an environment, a release and two deployments with an
    event, as another tool would export them."""
    p = source_ids
    return [
        {"kind": "service", "id": p + "s1", "name": svc, "owner": "team-old",
         "created_at": "2021-03-01T09:00:00Z"},
        {"kind": "environment", "id": p + "e1", "name": env, "rank": 50,
         "created_at": "2021-03-01T09:05:00Z"},
        {"kind": "release", "id": p + "r1", "service": p + "s1",
         "version": "1.2.0", "type": "minor",
         "created_at": "2021-03-02T10:00:00Z"},
        {"kind": "deployment", "id": p + "d1", "release": p + "r1",
         "environment": env, "status": "succeeded", "deployer": "alice",
         "started_at": "2021-03-02T11:00:00Z",
         "finished_at": "2021-03-02T11:07:30.250000Z"},
        {"kind": "deployment", "id": p + "d2", "release": svc + "@1.2.0",
         "environment": env, "status": "in_progress", "deployer": "bob",
         "strategy": "canary", "started_at": "2021-03-05T08:00:00Z"},
        {"kind": "event", "id": p + "v1", "deployment": p + "d2",
         "traffic_percent": 25, "message": "a quarter",
         "at": "2021-03-05T08:10:00Z"},
        {"kind": "event", "id": p + "v2", "deployment": p + "d2",
         "status": "failed", "message": "error rate",
         "at": "2021-03-05T08:20:00Z"},
    ]


def test_jsonl_history_keeps_its_original_times(d):
    svc, env = uniq("old"), uniq("env")
    status, doc = post(d, "jira", jsonl(history(svc, env, uniq("x"))))
    eq(status, 201, "import %s" % doc)
    eq(doc["records"], 7, "records")
    eq(doc["created"], {"service": 1, "environment": 1, "release": 1,
                        "deployment": 2, "event": 2}, "created")
    eq(doc["matched"]["deployment"], 0, "matched")
    by = {(i["kind"], i["id"]): i for i in doc["items"]}
    d1 = by[("deployment", [k for k in by if k[0] == "deployment"][0][1])]
    dep = api(d, "GET", "/v1/deployments/%d" % d1["object"], want=200)
    eq(dep["started_at"], "2021-03-02T11:00:00Z", "started_at")
    eq(dep["finished_at"], "2021-03-02T11:07:30.250000Z", "finished_at")
    eq(dep["created_at"], "2021-03-02T11:00:00Z", "created_at")
    eq(dep["status"], "succeeded", "status")
    eq(dep["deployer"], "alice", "deployer")
    eq(dep["duration_seconds"], 450.25, "duration")
    s = api(d, "GET", "/v1/services/" + svc, want=200)
    eq(s["created_at"], "2021-03-01T09:00:00Z", "service created_at")
    r = api(d, "GET", "/v1/releases/%s@1.2.0" % svc, want=200)
    eq(r["created_at"], "2021-03-02T10:00:00Z", "release created_at")


def test_events_keep_their_times_in_order(d):
    svc, env = uniq("old"), uniq("env")
    p = uniq("x")
    status, doc = post(d, "jira", jsonl(history(svc, env, p)))
    eq(status, 201, "import %s" % doc)
    d2 = [i for i in doc["items"] if i["id"] == p + "d2"][0]["object"]
    dep = api(d, "GET", "/v1/deployments/%d" % d2, want=200)
    eq(dep["status"], "failed", "status")
    eq(dep["finished_at"], "2021-03-05T08:20:00Z", "finished_at")
    eq(dep["traffic"], [{"percent": 25, "at": "2021-03-05T08:10:00Z"}],
       "traffic")
    evs = api(d, "GET", "/v1/deployments/%d/events" % d2, want=200)["items"]
    eq([e["at"] for e in evs], ["2021-03-05T08:00:00Z",
                                "2021-03-05T08:10:00Z",
                                "2021-03-05T08:20:00Z"], "event times")
    eq([e["status"] for e in evs], ["in_progress", None, "failed"],
       "event statuses")
    eq(evs[2]["message"], "error rate", "message")


def test_an_event_out_of_order_is_refused(d):
    svc, env = uniq("old"), uniq("env")
    recs = history(svc, env, uniq("x"))
    recs[6]["at"] = "2021-03-05T08:05:00Z"  # before the traffic event
    status, doc = post(d, "jira", jsonl(recs))
    eq(status, 422, "import %s" % doc)
    eq(doc["line"], 7, "line")
    eq(doc["errors"][0]["field"], "at", "field")
    api(d, "GET", "/v1/services/" + svc, want=404)


def test_importing_the_same_file_twice_writes_nothing_new(d):
    svc, env = uniq("old"), uniq("env")
    body = jsonl(history(svc, env, uniq("x")))
    status, first = post(d, "jira", body)
    eq(status, 201, "first %s" % first)
    before = audit_tail(d)
    n = counts(d, svc)
    status, second = post(d, "jira", body)
    eq(status, 200, "second %s" % second)
    eq(second["created"], {"service": 0, "environment": 0, "release": 0,
                           "deployment": 0, "event": 0}, "created again")
    eq(second["matched"], {"service": 1, "environment": 1, "release": 1,
                           "deployment": 2, "event": 2}, "matched")
    eq([(i["kind"], i["id"], i["object"]) for i in second["items"]],
       [(i["kind"], i["id"], i["object"]) for i in first["items"]],
       "the same mapping")
    eq(audit_tail(d), before, "no audit entry")
    eq(counts(d, svc), n, "no new rows")


def test_another_source_with_the_same_ids_is_another_history(d):
    svc, env = uniq("old"), uniq("env")
    p = uniq("x")
    eq(post(d, "jira", jsonl(history(svc, env, p)))[0], 201, "jira")
    status, doc = post(d, "bamboo", jsonl(history(svc, env, p)))
    eq(status, 201, "bamboo %s" % doc)
    # The service, environment and release exist by name: matched; the
    # deployments are the other source's own.
    eq(doc["matched"]["service"], 1, "service by name")
    eq(doc["matched"]["release"], 1, "release by service@version")
    eq(doc["created"]["deployment"], 2, "deployments")
    eq(counts(d, svc), (1, 4), "releases, deployments")


def test_a_bad_record_names_its_line_and_field_and_writes_nothing(d):
    svc, env = uniq("old"), uniq("env")
    recs = history(svc, env, uniq("x"))
    recs[3]["strategy"] = "sideways"
    before = everything(d)
    status, doc = post(d, "jira", jsonl(recs))
    eq(status, 422, "import %s" % doc)
    eq(doc["line"], 4, "line")
    eq(doc["errors"][0]["field"], "strategy", "field")
    eq(doc["errors"][0]["line"], 4, "the error's line")
    check("rolling" in doc["detail"], doc["detail"])
    eq(everything(d), before, "nothing written")
    api(d, "GET", "/v1/services/" + svc, want=404)
    api(d, "GET", "/v1/environments/" + env, want=404)


def test_a_move_the_machine_refuses_is_refused(d):
    svc, env = uniq("old"), uniq("env")
    recs = history(svc, env, uniq("x"))
    # A failed deployment moved back to in_progress: no such move.
    recs.append({"kind": "event", "id": "v3", "deployment": recs[4]["id"],
                 "status": "in_progress", "at": "2021-03-05T09:00:00Z"})
    status, doc = post(d, "jira", jsonl(recs))
    eq(status, 422, "import %s" % doc)
    eq(doc["line"], 8, "line")
    eq(doc["errors"][0]["field"], "status", "field")
    check("failed to in_progress" in doc["detail"], doc["detail"])
    api(d, "GET", "/v1/services/" + svc, want=404)


def test_times_that_contradict_each_other_are_refused(d):
    svc, env = uniq("old"), uniq("env")
    cases = [
        ({"finished_at": "2021-03-02T10:00:00Z"}, "finished_at"),
        ({"finished_at": None}, "finished_at"),
        ({"status": "in_progress"}, "finished_at"),
        ({"started_at": "2999-01-01T00:00:00Z",
          "finished_at": "2999-01-01T00:10:00Z"}, "started_at"),
        ({"started_at": "yesterday"}, "started_at"),
    ]
    for change, field in cases:
        recs = history(svc, env, uniq("x"))
        recs[3].update(change)
        recs[3] = {k: v for k, v in recs[3].items() if v is not None}
        status, doc = post(d, "jira", jsonl(recs))
        eq(status, 422, "%s: %s" % (change, doc))
        eq((doc["line"], doc["errors"][0]["field"]), (4, field),
           "%s" % change)
    api(d, "GET", "/v1/services/" + svc, want=404)


def test_the_release_a_record_names_must_exist(d):
    env = uniq("env")
    api(d, "POST", "/v1/environments", {"name": env, "rank": 5}, want=201)
    rec = {"kind": "deployment", "id": "z", "release": "nope@1.0.0",
           "environment": env, "status": "queued",
           "created_at": "2022-01-01T00:00:00Z"}
    status, doc = post(d, "jira", jsonl([rec]))
    eq(status, 422, "import %s" % doc)
    eq((doc["line"], doc["errors"][0]["field"]), (1, "release"), "where")


def test_only_an_administrator_imports(d):
    svc, env = uniq("old"), uniq("env")
    body = jsonl(history(svc, env, uniq("x")))
    before = everything(d)
    for role in ("release_manager", "deployer", "approver", "developer",
                 "auditor"):
        tok = api(d, "POST", "/v1/tokens",
                  {"name": uniq("tok"), "role": role}, want=201)["token"]
        status, doc = post(d, "jira", body, token=tok)
        eq(status, 403, "%s: %s" % (role, doc))
        check("import" in doc["detail"], doc["detail"])
    after = everything(d)
    eq(after["audit"] - before["audit"], 5, "only the five tokens' entries")
    del after["audit"], before["audit"]
    eq(after, before, "nothing imported")


def test_audit_entries_say_who_imported_and_from_what(d):
    svc, env = uniq("old"), uniq("env")
    before = audit_tail(d)
    status, doc = post(d, "spreadsheet", jsonl(history(svc, env, uniq("x"))))
    eq(status, 201, "import %s" % doc)
    entries = audit_since(d, before)
    check(len(entries) >= 8, "entries: %d" % len(entries))
    eq({e["via"] for e in entries}, {"import:spreadsheet"}, "via")
    eq({e["actor"] for e in entries}, {"admin"}, "actor")
    actions = [e["action"] for e in entries]
    for a in ("service.create", "environment.create", "release.create",
              "deployment.create", "deployment.event", "import.batch"):
        check(a in actions, "%s in %s" % (a, actions))
    eq(actions[-1], "import.batch", "the batch's own entry last")
    # Entries are the import's time, not the objects' original ones.
    check(not any(e["at"].startswith("2021") for e in entries),
          "entry times: %s" % [e["at"] for e in entries])


def test_the_latest_deployment_by_time_is_what_runs(d):
    svc, env = uniq("old"), uniq("env")
    p = uniq("x")
    recs = [
        {"kind": "service", "id": p + "s", "name": svc, "owner": "t"},
        {"kind": "environment", "id": p + "e", "name": env, "rank": 7},
        {"kind": "release", "id": p + "r1", "service": svc,
         "version": "1.0.0", "type": "major"},
        {"kind": "release", "id": p + "r2", "service": svc,
         "version": "2.0.0", "type": "major"},
        # The newer deployment comes first in the file.
        {"kind": "deployment", "id": p + "d2", "release": p + "r2",
         "environment": env, "status": "succeeded",
         "started_at": "2022-06-01T10:00:00Z",
         "finished_at": "2022-06-01T10:05:00Z"},
        {"kind": "deployment", "id": p + "d1", "release": p + "r1",
         "environment": env, "status": "succeeded",
         "started_at": "2022-01-01T10:00:00Z",
         "finished_at": "2022-01-01T10:05:00Z"},
    ]
    status, doc = post(d, "jira", jsonl(recs))
    eq(status, 201, "import %s" % doc)
    rows = api(d, "GET", "/v1/status?service=%s&environment=%s"
               % (svc, env), want=200)["items"]
    eq(len(rows), 1, "one placement")
    eq(rows[0]["running"]["version"], "2.0.0", "running")
    eq(rows[0]["running"]["since"], "2022-06-01T10:05:00Z", "since")
    eq(rows[0]["latest"]["version"], "2.0.0", "latest")


def test_history_imported_later_does_not_displace_what_runs_now(d):
    svc, env = uniq("live"), uniq("env")
    api(d, "POST", "/v1/services", {"name": svc, "owner": "t"}, want=201)
    api(d, "POST", "/v1/environments", {"name": env, "rank": 3}, want=201)
    rel = api(d, "POST", "/v1/releases",
              {"service": svc, "version": "1.0.0", "type": "major"},
              want=201)
    live = api(d, "POST", "/v1/deployments",
               {"release": rel["id"], "environment": env,
                "status": "in_progress"}, want=201)
    api(d, "POST", "/v1/deployments/%d/events" % live["id"],
        {"status": "succeeded"}, want=201)
    # A failed deployment of 2020 comes in after it, with a larger id.
    status, doc = post(d, "jira", jsonl([
        {"kind": "deployment", "id": uniq("old"), "release": rel["id"],
         "environment": env, "status": "failed",
         "started_at": "2020-02-02T10:00:00Z",
         "finished_at": "2020-02-02T10:01:00Z"}]))
    eq(status, 201, "import %s" % doc)
    check(doc["items"][0]["object"] > live["id"], "a larger id")
    row = api(d, "GET", "/v1/status?service=%s&environment=%s"
              % (svc, env), want=200)["items"][0]
    eq((row["latest"]["deployment_id"], row["latest"]["status"]),
       (live["id"], "succeeded"), "latest is the live one")
    eq(row["running"]["deployment_id"], live["id"], "running")


CSV = """service,version,environment,status,started_at,finished_at,deployer,commit,owner,id
{svc},1.0.0,{env},succeeded,2020-05-01T10:00:00Z,2020-05-01T10:03:00Z,carol,0123456789abcdef0123456789abcdef01234567,team-csv,row-1
{svc},1.1.0,{env},failed,2020-05-02T10:00:00Z,2020-05-02T10:01:00Z,dave,,,row-2
"{svc}",1.1.1,{env},succeeded,2020-05-03T10:00:00Z,2020-05-03T10:09:00Z,"erin, the deployer",,,row-3
"""


def test_a_csv_of_deployments_implies_its_service_and_releases(d):
    svc, env = uniq("sheet"), uniq("env")
    api(d, "POST", "/v1/environments", {"name": env, "rank": 60}, want=201)
    body = CSV.format(svc=svc, env=env).encode()
    status, doc = post(d, "sheet", body, "text/csv")
    eq(status, 201, "import %s" % doc)
    eq(doc["created"], {"service": 1, "environment": 0, "release": 3,
                        "deployment": 3, "event": 0}, "created")
    deps = {i["id"]: i["object"] for i in doc["items"]
            if i["kind"] == "deployment"}
    dep = api(d, "GET", "/v1/deployments/%d" % deps["row-3"], want=200)
    eq((dep["started_at"], dep["finished_at"], dep["deployer"]),
       ("2020-05-03T10:00:00Z",
        "2020-05-03T10:09:00Z", "erin, the deployer"), "row 3")
    eq(dep["version"], "1.1.1", "version")
    r = api(d, "GET", "/v1/releases/%s@1.0.0" % svc, want=200)
    eq(r["commit"], "0123456789abcdef0123456789abcdef01234567", "commit")
    eq(api(d, "GET", "/v1/services/" + svc, want=200)["owner"], "team-csv",
       "owner")
    rows = api(d, "GET", "/v1/status?service=" + svc, want=200)["items"]
    eq(rows[0]["running"]["version"], "1.1.1", "running")
    # Again: everything matched.
    status, doc = post(d, "sheet", body, "text/csv")
    eq(status, 200, "again %s" % doc)
    eq(doc["matched"]["deployment"], 3, "matched")
    eq(counts(d, svc), (3, 3), "nothing new")


def test_a_bad_csv_row_names_its_line(d):
    svc, env = uniq("sheet"), uniq("env")
    api(d, "POST", "/v1/environments", {"name": env, "rank": 60}, want=201)
    body = CSV.format(svc=svc, env=env).replace(
        "1.1.0", "1.1.0.0").encode()
    status, doc = post(d, "sheet", body, "text/csv")
    eq(status, 422, "import %s" % doc)
    eq(doc["line"], 3, "line")
    eq(doc["record"], "row-2", "record")
    eq(doc["errors"][0]["field"], "version", "field")
    api(d, "GET", "/v1/services/" + svc, want=404)


def test_a_csv_with_a_kind_column_brings_several_kinds(d):
    svc, env = uniq("sheet"), uniq("env")
    text = ("kind,id,name,owner,rank,targets,created_at\n"
            "service,s,{svc},team-k,,,2019-01-01T00:00:00Z\n"
            "environment,e,{env},,3,eu-west;us-east,2019-01-02T00:00:00Z\n"
            ).format(svc=svc, env=env)
    status, doc = post(d, "sheet", text.encode(), "text/csv; charset=utf-8")
    eq(status, 201, "import %s" % doc)
    e = api(d, "GET", "/v1/environments/" + env, want=200)
    eq((e["rank"], e["targets"], e["created_at"]),
       (3, ["eu-west", "us-east"], "2019-01-02T00:00:00Z"), "environment")


def test_what_is_not_a_batch_is_refused(d):
    eq(post(d, "jira", b'{"kind": "service"}', "application/json")[0], 415,
       "json")
    status, doc = post(d, "jira", b"")
    eq(status, 422, "empty %s" % doc)
    status, doc = post(d, "jira", b'{"kind":"service","id":"a"}\n[1]\n')
    eq((status, doc["line"]), (422, 2), "not an object %s" % doc)
    status, doc = post(d, "jira", b'\n\n{"kind":"release"\n')
    eq((status, doc["line"]), (422, 3), "not JSON %s" % doc)
    status, doc = post(d, "Not_A_Slug", jsonl([{"kind": "service"}]))
    eq((status, doc["errors"][0]["field"]), (422, "source"), "source")
    status, _, doc = d.request("POST", "/v1/import", raw=b"{}\n",
                               headers={"Content-Type":
                                        "application/x-ndjson"})
    eq((status, doc["errors"][0]["field"]), (422, "source"), "no source")
    status, doc = post(d, "jira", b'a,"b\n1,2\n', "text/csv")
    eq((status, doc["line"]), (422, 1), "open quote %s" % doc)
    status, doc = post(d, "jira", jsonl([{"kind": "widget", "id": "1"}]))
    eq((status, doc["errors"][0]["field"]), (422, "kind"), "kind")


def test_a_batch_over_the_limit_is_413(d):
    recs = [{"kind": "service", "id": str(i), "name": "n%d" % i,
             "owner": "t"} for i in range(5001)]
    status, doc = post(d, "jira", jsonl(recs))
    eq(status, 413, "import %s" % doc)
    check("5000" in doc["detail"], doc["detail"])


if __name__ == "__main__":
    sys.exit(run_tests(globals(), Daemon()))
