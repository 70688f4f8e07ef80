#!/usr/bin/env python3
"""Delivery metrics: GET /v1/metrics/dora computed from the record.

Every expected figure is worked out by hand in the comments beside the
fixture that makes it: history imported with its original times (POST
/v1/import), incidents with theirs, and, for a rollback, the live routes.
Percentiles are nearest-rank: the p-th of n sorted values is the
ceil(p/100 * n)-th.
"""
import datetime
import json
import os
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Daemon, api, check, eq, run_tests, uniq  # noqa: E402

H = 3600
CTL = None  # the fault control file, made in main
DAY = 86400


def jsonl(records):
    return ("\n".join(json.dumps(r) for r in records) + "\n").encode()


def imp(d, records):
    status, _, doc = d.request(
        "POST", "/v1/import?source=" + uniq("src"), raw=jsonl(records),
        headers={"Content-Type": "application/x-ndjson"})
    eq(status, 201, "import %s" % doc)


def dora(d, want=200, **q):
    return api(d, "GET", "/v1/metrics/dora?" + urllib.parse.urlencode(q),
               want=want)


def near(got, want, what):
    check(got is not None and abs(got - want) < 1e-9,
          "%s: got %r, want %r" % (what, got, want))


def env(d, **extra):
    body = {"name": uniq("env"), "rank": 500}
    body.update(extra)
    return api(d, "POST", "/v1/environments", body, want=201)["name"]


def release(svc, rid, version, created, type="minor", commit_time=None):
    r = {"kind": "release", "id": rid, "service": svc, "version": version,
         "type": type, "created_at": created}
    if commit_time:
        r["commit_time"] = commit_time
    return r


def dep(did, rid, environment, status, started, finished):
    return {"kind": "deployment", "id": did, "release": rid,
            "environment": environment, "status": status,
            "started_at": started, "finished_at": finished}


def fixture(d):
    """One service's three weeks of March 2025 in a production
    environment, and a staging one that does not count."""
    svc = uniq("pay")
    prod = env(d, production=True)
    stage = env(d, rank=100, production=False)
    recs = [{"kind": "service", "id": "s", "name": svc, "owner": uniq("team"),
             "created_at": "2025-01-01T00:00:00Z"},
            # Week 1, Monday 2025-03-03.
            # d1: commit 08:00, in production 10:30: lead 2.5 h = 9000 s;
            # rollout 10:00-10:30 = 1800 s. Not failed (d2 is no hotfix).
            release("s", "r1", "1.0.0", "2025-03-03T09:00:00Z",
                    commit_time="2025-03-03T08:00:00Z"),
            dep("d1", "r1", prod, "succeeded", "2025-03-03T10:00:00Z",
                "2025-03-03T10:30:00Z"),
            # d2: no commit time, so lead starts at the release's creation
            # (03-04 10:00) -> 12:20 = 8400 s; rollout 1200 s. Its
            # verification fails at 13:00 (event, source health_check):
            # failed at 13:00, recovered by d3 at 03-05 12:30 = 84600 s.
            release("s", "r2", "1.1.0", "2025-03-04T10:00:00Z"),
            dep("d2", "r2", prod, "succeeded", "2025-03-04T12:00:00Z",
                "2025-03-04T12:20:00Z"),
            {"kind": "event", "id": "e2", "deployment": "d2",
             "status": "failed", "source": "health_check",
             "message": "error rate 7% over 2%",
             "at": "2025-03-04T13:00:00Z"},
            # d3: commit 09:00 -> 12:30 = 12600 s; rollout 1800 s. The
            # next deployment there is a hotfix, so d3 failed, at its own
            # success (12:30), recovered by the hotfix at 15:10 = 9600 s.
            release("s", "r3", "1.2.0", "2025-03-05T09:30:00Z",
                    commit_time="2025-03-05T09:00:00Z"),
            dep("d3", "r3", prod, "succeeded", "2025-03-05T12:00:00Z",
                "2025-03-05T12:30:00Z"),
            # d4, the hotfix: commit 14:00 -> 15:10 = 4200 s; rollout
            # 600 s; rework. Nothing follows it: not failed.
            release("s", "r4", "1.2.1", "2025-03-05T14:10:00Z",
                    type="hotfix", commit_time="2025-03-05T14:00:00Z"),
            dep("d4", "r4", prod, "succeeded", "2025-03-05T15:00:00Z",
                "2025-03-05T15:10:00Z"),
            # d5: its own rollout fails: never in production, no change,
            # no failure, no rework; one failed rollout.
            release("s", "r5", "1.3.0", "2025-03-06T08:00:00Z"),
            dep("d5", "r5", prod, "failed", "2025-03-06T09:00:00Z",
                "2025-03-06T09:05:00Z"),
            # Week 2, Monday 2025-03-10.
            # d6: commit 08:00 -> 09:30 = 5400 s; rollout 1800 s. An
            # incident from 03-10 10:00 to 03-17 10:00 (into week 3)
            # names it as its cause: failed, recovered at the resolution
            # = 7 days = 604800 s, counted in d6's week.
            release("s", "r6", "1.4.0", "2025-03-10T08:30:00Z",
                    commit_time="2025-03-10T08:00:00Z"),
            dep("d6", "r6", prod, "succeeded", "2025-03-10T09:00:00Z",
                "2025-03-10T09:30:00Z"),
            # d7: commit 00:00 -> 06:15 = 22500 s; rollout 900 s.
            release("s", "r7", "1.5.0", "2025-03-12T00:30:00Z",
                    commit_time="2025-03-12T00:00:00Z"),
            dep("d7", "r7", prod, "verified", "2025-03-12T06:00:00Z",
                "2025-03-12T06:15:00Z"),
            # d8: staging, not production: counted nowhere.
            dep("d8", "r7", stage, "succeeded", "2025-03-12T05:00:00Z",
                "2025-03-12T05:10:00Z")]
    imp(d, recs)
    deps = api(d, "GET", "/v1/deployments?service=%s&limit=100" % svc)
    d6 = [x for x in deps["items"] if x["version"] == "1.4.0"][0]
    key = uniq("inc")
    api(d, "POST", "/v1/incidents",
        {"key": key, "severity": "major", "environment": prod,
         "services": [svc], "summary": "payments answer 502",
         "started_at": "2025-03-10T10:00:00Z",
         "resolved_at": "2025-03-17T10:00:00Z"}, want=201)
    api(d, "POST", "/v1/incidents/%s/causes" % key,
        {"deployment_id": d6["id"]}, want=201)
    return svc, prod, stage


def test_three_weeks_by_hand(d):
    svc, prod, _ = fixture(d)
    m = dora(d, service=svc, bucket="week", tz="UTC",
             **{"from": "2025-03-03T00:00:00Z", "to": "2025-03-24T00:00:00Z"})
    eq(m["production_environments"].count(prod), 1, "prod listed")
    eq([b["label"] for b in m["buckets"]],
       ["2025-03-03", "2025-03-10", "2025-03-17"], "ISO weeks from Monday")
    w1, w2, w3 = m["buckets"]
    # Week 1: changes d1 d2 d3 d4 = 4 (d5 never reached production).
    eq((w1["deployments"], w1["failed_deployments"], w1["rework_deployments"],
        w1["rollbacks"], w1["failed_rollouts"]), (4, 2, 1, 0, 1), "week 1")
    near(w1["deployment_frequency_per_day"], 4 / 7, "week 1 frequency")
    near(w1["change_failure_rate"], 2 / 4, "week 1 CFR: d2, d3")
    near(w1["rework_rate"], 1 / 4, "week 1 rework: the hotfix")
    near(w1["rollback_rate"], 0, "week 1 rollback rate")
    # Leads 4200 8400 9000 12600: p50 the 2nd, p90 the 4th.
    eq(w1["lead_time_seconds"], {"p50": 8400.0, "p90": 12600.0}, "w1 lead")
    # Recoveries 9600 84600: p50 the 1st.
    eq(w1["recovery_time_seconds"], {"p50": 9600.0}, "w1 recovery")
    # Rollouts 600 1200 1800 1800: p50 the 2nd, p95 the 4th.
    eq(w1["deployment_duration_seconds"], {"p50": 1200.0, "p95": 1800.0},
       "w1 durations")
    # Week 2: d6 (failed: incident) and d7; staging's d8 not counted.
    eq((w2["deployments"], w2["failed_deployments"], w2["rework_deployments"]),
       (2, 1, 0), "week 2")
    near(w2["change_failure_rate"], 0.5, "week 2 CFR")
    near(w2["rework_rate"], 0, "week 2 rework")
    eq(w2["lead_time_seconds"], {"p50": 5400.0, "p90": 22500.0}, "w2 lead")
    eq(w2["recovery_time_seconds"], {"p50": 604800.0},
       "the incident's recovery counts in its deployment's week")
    # Week 3: nothing deployed: a frequency of 0, no rates at all.
    eq(w3["deployments"], 0, "week 3")
    near(w3["deployment_frequency_per_day"], 0, "week 3 frequency")
    eq((w3["change_failure_rate"], w3["rework_rate"],
        w3["lead_time_seconds"]["p50"], w3["recovery_time_seconds"]["p50"]),
       (None, None, None, None), "nothing to divide by: null, not 0")
    # Overall: 6 changes, 3 failed, 1 rework, 21 days.
    o = m["overall"]
    eq((o["deployments"], o["failed_deployments"], o["rework_deployments"],
        o["failed_rollouts"], o["unrecovered"]), (6, 3, 1, 1, 0), "overall")
    near(o["deployment_frequency_per_day"], 6 / 21, "overall frequency")
    near(o["change_failure_rate"], 0.5, "overall CFR")
    near(o["rework_rate"], 1 / 6, "overall rework")
    # Leads 4200 5400 8400 9000 12600 22500: p50 3rd, p90 6th.
    eq(o["lead_time_seconds"], {"p50": 8400.0, "p90": 22500.0}, "lead")
    # Recoveries 9600 84600 604800: p50 the 2nd.
    eq(o["recovery_time_seconds"], {"p50": 84600.0}, "recovery")
    # Rollouts 600 900 1200 1800 1800 1800: p50 3rd, p95 6th.
    eq(o["deployment_duration_seconds"], {"p50": 1200.0, "p95": 1800.0},
       "durations")
    # Levels (2024): 0.29/day >= 1/week high; 8400 s < 1 day elite;
    # 50 % > 40 % low; 84600 s < 1 day high; rework has none.
    eq(o["level"], {"deployment_frequency": "high", "lead_time": "elite",
                    "change_failure_rate": "low", "recovery_time": "high",
                    "rework_rate": None}, "levels")
    eq(m["levels_year"], 2024, "the report's year")
    # The three weeks before held nothing: frequency 0 then 0.29 is
    # better; a failure rate from nothing has no trend.
    eq(m["previous"]["from"], "2025-02-10T00:00:00Z", "previous period")
    eq(m["previous"]["overall"]["deployments"], 0, "nothing before")
    eq(m["trend"]["deployment_frequency_per_day"], "better", "trend")
    eq(m["trend"]["change_failure_rate"], None, "no trend from null")


def test_one_week_against_the_one_before(d):
    svc, _, _ = fixture(d)
    m = dora(d, service=svc, bucket="week",
             **{"from": "2025-03-10T00:00:00Z", "to": "2025-03-17T00:00:00Z"})
    # This week 2 changes, CFR 0.5, lead p50 5400; the week before 4
    # changes, CFR 0.5, lead p50 8400.
    p = m["previous"]["overall"]
    eq((p["deployments"], m["overall"]["deployments"]), (4, 2), "counts")
    eq(m["trend"]["deployment_frequency_per_day"], "worse", "fewer")
    eq(m["trend"]["change_failure_rate"], "same", "0.5 both")
    eq(m["trend"]["lead_time_p50"], "better", "5400 < 8400")


def test_environment_filter_and_non_production(d):
    svc, prod, stage = fixture(d)
    m = dora(d, service=svc, environment=prod,
             **{"from": "2025-03-03T00:00:00Z", "to": "2025-03-24T00:00:00Z"})
    eq(m["overall"]["deployments"], 6, "the production environment")
    eq(m["production_environments"], [prod], "only the one asked for")
    p = dora(d, 400, service=svc, environment=stage)
    eq(p["errors"][0]["field"], "environment", "staging is refused")
    check("production" in p["detail"], p["detail"])


def test_a_rollback_is_rework_and_its_change_failed(d):
    svc = api(d, "POST", "/v1/services", {"name": uniq("rb"), "owner": "t"},
              want=201)["name"]
    prod = env(d, production=True)
    for v in ("1.0.0", "1.1.0"):
        api(d, "POST", "/v1/releases",
            {"service": svc, "version": v, "type": "minor"}, want=201)
    ids = []
    for v in ("1.0.0", "1.1.0"):
        x = api(d, "POST", "/v1/deployments",
                {"release": svc + "@" + v, "environment": prod,
                 "status": "in_progress"}, want=201)
        api(d, "POST", "/v1/deployments/%d/events" % x["id"],
            {"status": "succeeded"}, want=201)
        ids.append(x["id"])
    rb = api(d, "POST", "/v1/deployments/%d/rollback" % ids[1],
             {"reason": "error rate"}, want=201)
    api(d, "POST", "/v1/deployments/%d/events" % rb["id"],
        {"status": "succeeded"}, want=201)
    m = dora(d, service=svc)
    o = m["overall"]
    # Changes: 1.0.0 and 1.1.0 = 2 (the rollback is none); 1.1.0 failed:
    # CFR 1/2; rework: the rollback, 1 of the 3 that reached production;
    # rollback rate: 1 of 2 changes rolled back.
    eq((o["deployments"], o["rollbacks"], o["failed_deployments"],
        o["rework_deployments"]), (2, 1, 1, 1), "counts")
    near(o["change_failure_rate"], 0.5, "CFR")
    near(o["rework_rate"], 1 / 3, "rework")
    near(o["rollback_rate"], 0.5, "rollback rate")
    # Default period: the last 30 days: 2 changes / 30 days.
    near(o["deployment_frequency_per_day"], 2 / 30, "frequency")
    check(o["recovery_time_seconds"]["p50"] is not None
          and o["recovery_time_seconds"]["p50"] >= 0,
          "recovered by the rollback %s" % o)


def test_day_buckets_across_a_daylight_saving_change(d):
    # Europe/Berlin goes from +01:00 to +02:00 on Sunday 2025-03-30 at
    # 02:00: that day is 23 hours long.
    svc = uniq("dst")
    prod = env(d, production=True)
    recs = [{"kind": "service", "id": "s", "name": svc, "owner": "t",
             "created_at": "2025-03-01T00:00:00Z"},
            release("s", "r1", "1.0.0", "2025-03-01T00:00:00Z"),
            release("s", "r2", "1.1.0", "2025-03-01T00:00:00Z"),
            release("s", "r3", "1.2.0", "2025-03-01T00:00:00Z"),
            # 03-29 23:30Z = 03-30 00:30 CET: Sunday, not Saturday.
            dep("a", "r1", prod, "succeeded", "2025-03-29T23:00:00Z",
                "2025-03-29T23:30:00Z"),
            # 03-30 21:30Z = 03-30 23:30 CEST: still Sunday.
            dep("b", "r2", prod, "succeeded", "2025-03-30T21:00:00Z",
                "2025-03-30T21:30:00Z"),
            # 03-30 22:30Z = 03-31 00:30 CEST: Monday (UTC says Sunday).
            dep("c", "r3", prod, "succeeded", "2025-03-30T22:00:00Z",
                "2025-03-30T22:30:00Z")]
    imp(d, recs)
    m = dora(d, service=svc, bucket="day", tz="Europe/Berlin",
             **{"from": "2025-03-29T00:00:00+01:00",
                "to": "2025-04-01T00:00:00+02:00"})
    eq([(b["label"], b["start"], b["end"], b["days"], b["deployments"])
        for b in m["buckets"]],
       [("2025-03-29", "2025-03-28T23:00:00Z", "2025-03-29T23:00:00Z", 1.0, 0),
        ("2025-03-30", "2025-03-29T23:00:00Z", "2025-03-30T22:00:00Z", 1.0, 2),
        ("2025-03-31", "2025-03-30T22:00:00Z", "2025-03-31T22:00:00Z", 1.0, 1)],
       "local days, the short one a whole day")
    # 2 deployments on a 23-hour day is 2 a day, not 2/23*24.
    near(m["buckets"][1]["deployment_frequency_per_day"], 2, "per day")
    u = dora(d, service=svc, bucket="day", tz="UTC",
             **{"from": "2025-03-29T00:00:00Z", "to": "2025-04-01T00:00:00Z"})
    eq([b["deployments"] for b in u["buckets"]], [1, 2, 0],
       "the same deployments by UTC day")


def test_a_service_without_production_deployments_has_null_rates(d):
    svc = uniq("quiet")
    stage = env(d, rank=100, production=False)
    imp(d, [{"kind": "service", "id": "s", "name": svc, "owner": "t",
             "created_at": "2025-03-01T00:00:00Z"},
            release("s", "r1", "1.0.0", "2025-03-01T00:00:00Z"),
            dep("a", "r1", stage, "succeeded", "2025-03-02T10:00:00Z",
                "2025-03-02T10:05:00Z")])
    m = dora(d, service=svc, bucket="month",
             **{"from": "2025-03-01T00:00:00Z", "to": "2025-04-01T00:00:00Z"})
    o = m["overall"]
    eq(o["deployments"], 0, "none in production")
    near(o["deployment_frequency_per_day"], 0, "a frequency of 0")
    eq((o["change_failure_rate"], o["rework_rate"], o["rollback_rate"],
        o["lead_time_seconds"], o["recovery_time_seconds"],
        o["level"]["change_failure_rate"]),
       (None, None, None, {"p50": None, "p90": None}, {"p50": None}, None),
       "rates are null, not 0")
    eq(o["level"]["deployment_frequency"], "low", "0 a day is low")
    # Marking staging production makes its deployment count.
    cur = api(d, "GET", "/v1/environments/" + stage)
    api(d, "PATCH", "/v1/environments/" + stage, {"production": True},
        want=200, headers={"If-Match": '"%d"' % cur["revision"]})
    m = dora(d, service=svc, bucket="month",
             **{"from": "2025-03-01T00:00:00Z", "to": "2025-04-01T00:00:00Z"})
    check(stage in m["production_environments"], m["production_environments"])
    eq(m["overall"]["deployments"], 1, "counted once production")
    near(m["overall"]["change_failure_rate"], 0, "and its rate is 0 now")
    api(d, "PATCH", "/v1/environments/" + stage, {"production": False},
        want=200)


def test_team_and_tag_filters(d):
    svc, _, _ = fixture(d)
    owner = api(d, "GET", "/v1/services/" + svc)["owner"]
    rng = {"from": "2025-03-03T00:00:00Z", "to": "2025-03-24T00:00:00Z"}
    eq(dora(d, team=owner, **rng)["overall"]["deployments"], 6, "team")
    eq(dora(d, team=uniq("nobody"), **rng)["overall"]["deployments"], 0,
       "no team's services")
    eq(dora(d, service=svc, tag="k=v", **rng)["overall"]["deployments"], 0,
       "no release has the tag")


def test_bad_parameters_name_themselves(d):
    for q, field in (({"bucket": "year"}, "bucket"),
                     ({"tz": "Mars/Olympus"}, "tz"),
                     ({"from": "yesterday"}, "from"),
                     ({"from": "2025-03-02T00:00:00Z",
                       "to": "2025-03-01T00:00:00Z"}, "to"),
                     ({"from": "2020-01-01T00:00:00Z",
                       "to": "2025-01-01T00:00:00Z"}, "from"),
                     ({"from": "2024-01-01T00:00:00Z",
                       "to": "2025-01-01T00:00:00Z", "bucket": "day",
                       "tz": "UTC"}, None),
                     ({"tag": "novalue"}, "tag"),
                     ({"colour": "red"}, "colour")):
        status, _, doc = d.request(
            "GET", "/v1/metrics/dora?" + urllib.parse.urlencode(q))
        if field is None:
            eq(status, 200, "%s: %s" % (q, doc))
            eq(len(doc["buckets"]), 366, "a leap year's days")
            continue
        eq(status, 400, "%s: %s" % (q, doc))
        fields = [e.get("field") for e in doc.get("errors", [])]
        check(field in fields or field in doc.get("detail", ""),
              "%s names %s: %s" % (q, field, doc))


def test_the_cli_prints_a_table_csv_and_json(d):
    svc, _, _ = fixture(d)
    rng = ["--from", "2025-03-03T00:00:00Z", "--to", "2025-03-24T00:00:00Z",
           "--service", svc]
    code, out, err = d.cli("metrics", "dora", "--csv", *rng)
    eq(code, 0, err)
    rows = [line.split(",") for line in out.strip().split("\n")]
    eq(rows[0][:6], ["bucket", "start", "end", "deployments", "per_day",
                     "lead_p50"], "CSV header")
    eq([(r[0], r[3]) for r in rows[1:]],
       [("2025-03-03", "4"), ("2025-03-10", "2"), ("2025-03-17", "0"),
        ("overall", "6")], "a row a bucket, then overall")
    eq((rows[1][5], rows[4][7]), ("8400.0", "0.5"), "lead p50, CFR")
    eq(rows[3][7], "", "no rate is an empty cell, not 0")
    code, out, err = d.cli("metrics", "dora", *rng)
    eq(code, 0, err)
    check("overall" in out and "2h20m" in out, out)
    check("change_failure_rate low" in out, out)
    code, out, err = d.cli("--json", "metrics", "dora", *rng)
    eq((code, json.loads(out)["overall"]["deployments"]), (0, 6), err)
    code, out, err = d.cli("metrics", "dora", "--bucket", "year")
    eq(code, 1, "refused by the server: %s %s" % (out, err))
    check("bucket" in err, err)


def test_prometheus_gauges_are_the_last_30_days(d):
    test_a_rollback_is_rework_and_its_change_failed(d)
    m = dora(d)["overall"]
    status, _, text = d.request("GET", "/metrics")
    eq(status, 200, "metrics")
    text = text if isinstance(text, str) else text.decode()
    lines = dict(line.rsplit(" ", 1) for line in text.splitlines()
                 if line.startswith("shiplog_dora_"))
    eq(int(lines["shiplog_dora_deployments"]), m["deployments"],
       "the same count as the API's default period")
    near(float(lines["shiplog_dora_change_failure_rate"]),
         m["change_failure_rate"], "the same rate")


def test_a_scoped_token_counts_only_its_scope(d):
    svc, _, _ = fixture(d)
    other, _, _ = fixture(d)
    rng = {"from": "2025-03-03T00:00:00Z", "to": "2025-03-24T00:00:00Z"}
    both = dora(d, **rng)["overall"]["deployments"]
    check(both >= 12, "both fixtures' 6 each: %d" % both)
    tok = api(d, "POST", "/v1/tokens",
              {"name": uniq("tok-dev"), "role": "developer",
               "services": [svc]}, want=201)["token"]
    status, _, m = d.request(
        "GET", "/v1/metrics/dora?" + urllib.parse.urlencode(rng), token=tok)
    eq(status, 200, "any role reads: %s" % m)
    eq(m["overall"]["deployments"], 6, "only its own service's six")
    status, _, m = d.request(
        "GET", "/v1/metrics/dora?" + urllib.parse.urlencode(
            dict(rng, service=other)), token=tok)
    eq((status, m["overall"]["deployments"]), (200, 0),
       "another service is nothing, not an error")


def test_any_role_reads_and_a_token_needs_to_be_there(d):
    status, _, _ = d.request("GET", "/v1/metrics/dora", auth=False)
    eq(status, 401, "no token")


def gate_world(d, policy):
    """A production environment of its own with policy, a service and a
    release made now (refusals are recorded at the daemon's clock)."""
    prod = env(d, production=True)
    if policy:
        api(d, "PUT", "/v1/environments/%s/policy" % prod, policy, want=200)
    svc = api(d, "POST", "/v1/services",
              {"name": uniq("gate"), "owner": uniq("team")},
              want=201)["name"]
    rel = api(d, "POST", "/v1/releases",
              {"service": svc, "version": "1.0.0", "type": "minor"},
              want=201)
    return prod, svc, rel


def ts(text):
    return datetime.datetime.fromisoformat(
        text.replace("Z", "+00:00")).timestamp()


def start(d, rel, prod, want):
    status, _, doc = d.request("POST", "/v1/deployments",
                               {"release": rel["id"], "environment": prod,
                                "status": "in_progress"})
    eq(status, want, "start -> %s" % doc)
    return doc


def test_refusals_their_reasons_and_the_approval_wait(d):
    prod, svc, rel = gate_world(
        d, {"approvals": [{"group": "cab", "count": 1}]})
    created = ts(rel["created_at"])
    # The release is a second older than the first refusal, so a wait
    # counted from the release's creation would be a second longer than
    # the bounds below allow.
    time.sleep(1.1)
    t0 = time.time()
    start(d, rel, prod, 409)
    start(d, rel, prod, 409)
    t1 = time.time()
    # A question is no attempt: not counted.
    eq(api(d, "POST", "/v1/gates/check",
           {"release": rel["id"], "environment": prod})["allowed"], False,
       "the check refuses too")
    tok = api(d, "POST", "/v1/tokens",
              {"name": uniq("tok-cab"), "role": "approver",
               "groups": ["cab"]}, want=201)["token"]
    status, _, a = d.request("POST", "/v1/releases/%d/approvals" % rel["id"],
                             {"environment": prod, "decision": "approve"},
                             token=tok)
    eq(status, 201, "approved: %s" % a)
    given = ts(a["at"])
    start(d, rel, prod, 201)
    m = dora(d, service=svc, environment=prod)
    o = m["overall"]
    # Two refused starts, one let through: 2 / (2 + 1).
    eq((o["gate_refusals"], o["gate_refusal_reasons"]), (2, {"approvals": 2}),
       "two refusals for approvals")
    near(o["gate_refusal_rate"], 2 / 3, "2 / (2 + 1)")
    # Waited from the first refusal (between t0 and t1), not from the
    # release's creation (a second before t0).
    w = o["approval_wait_seconds"]
    check(given - t1 - 0.01 <= w["p50"] <= given - t0 + 0.01,
          "wait %r in [%r, %r]" % (w["p50"], given - t1, given - t0))
    check(w["p50"] < given - created - 1, "not from the release: %r" % w)
    eq(w["p90"], w["p50"], "one sample")
    eq(sum(b["gate_refusals"] for b in m["buckets"]), 2, "in the buckets")
    # The period before has none: no rate, no wait.
    eq((m["previous"]["overall"]["gate_refusal_rate"],
        m["previous"]["overall"]["approval_wait_seconds"]["p50"]),
       (None, None), "nothing to divide by is null")


def test_a_freeze_refusal_counts_for_windows(d):
    prod, svc, rel = gate_world(d, None)
    now = datetime.datetime.now(datetime.timezone.utc)
    fmt = "%Y-%m-%dT%H:%M:%S"
    api(d, "POST", "/v1/windows",
        {"name": "Freeze", "kind": "freeze", "environment": prod,
         "timezone": "UTC",
         "start": (now - datetime.timedelta(minutes=5)).strftime(fmt),
         "end": (now + datetime.timedelta(hours=1)).strftime(fmt)},
        want=201)
    doc = start(d, rel, prod, 409)
    eq([c["name"] for c in doc["checks"] if not c["passed"]], ["windows"],
       "refused by the freeze alone")
    o = dora(d, service=svc)["overall"]
    # One refusal, no start let through: 1 / (1 + 0). No approval given.
    eq(o["gate_refusal_reasons"], {"windows": 1}, "reasons")
    near(o["gate_refusal_rate"], 1.0, "1 / (1 + 0)")
    eq(o["approval_wait_seconds"], {"p50": None, "p90": None}, "no approval")
    # The other services' refusals are not this one's.
    eq(dora(d, service=uniq("none"))["overall"]["gate_refusals"], 0,
       "another service: none")
    # A scoped token of another service sees none of it.
    tok = api(d, "POST", "/v1/tokens",
              {"name": uniq("tok-dev"), "role": "developer",
               "services": [uniq("other")]}, want=201)["token"]
    status, _, m = d.request("GET", "/v1/metrics/dora", token=tok)
    eq((status, m["overall"]["gate_refusal_reasons"].get("windows")),
       (200, None), "out of scope: not counted")


def arm(text):
    with open(CTL + ".tmp", "w") as f:
        f.write(text)
    os.replace(CTL + ".tmp", CTL)


def test_a_refusal_that_cannot_be_recorded_is_503_and_writes_nothing(d):
    prod, svc, rel = gate_world(
        d, {"approvals": [{"group": "cab", "count": 1}]})
    arm("fail query=sl_store_gate_refusal_add\n")
    try:
        status, _, doc = d.request(
            "POST", "/v1/deployments",
            {"release": rel["id"], "environment": prod,
             "status": "in_progress"})
    finally:
        arm("")
    eq(status, 503, "fail closed: %s" % doc)
    o = dora(d, service=svc)["overall"]
    eq((o["gate_refusals"], o["gate_refusal_reasons"]), (0, {}),
       "nothing recorded")
    # Asked again without the fault: refused, and recorded once.
    start(d, rel, prod, 409)
    eq(dora(d, service=svc)["overall"]["gate_refusals"], 1, "recorded now")


if __name__ == "__main__":
    CTL = os.path.join(tempfile.mkdtemp(prefix="shiplog-dora-faults-"),
                       "ctl")
    sys.exit(run_tests(globals(), Daemon(env={"SHIPLOG_FAULTS": CTL})))
