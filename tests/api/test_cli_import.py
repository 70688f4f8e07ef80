#!/usr/bin/env python3
"""End-to-end stories of "shiplog import" against the real daemon: a CSV
of deployments and a JSON Lines history sent in batches, the progress it
shows, its --json summary (lines of the whole file), a refused batch
naming its line in the file and the batches already written, and its
exit codes.
"""
import json
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (ROOT, api, check, eq, free_port,  # noqa: E402
                     run_tests, uniq)

DOCS = os.path.join(ROOT, "docs", "import")


def write(name, text):
    d = tempfile.mkdtemp(prefix="shiplog-import-")
    path = os.path.join(d, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def sheet(svc, env, rows, bad_row=None):
    """A CSV of rows deployments, one version each, a day apart; row
    bad_row (from 1) has a status no deployment has."""
    lines = ["id,service,version,environment,status,started_at,"
             "finished_at,deployer,owner"]
    for i in range(1, rows + 1):
        lines.append("r%d,%s,1.%d.0,%s,%s,2021-01-%02dT10:00:00Z,"
                     "2021-01-%02dT10:05:00Z,\"ops, night\",%s"
                     % (i, svc, i, env,
                        "sideways" if i == bad_row else "succeeded",
                        i, i, "team-x" if i == 1 else ""))
    return "\n".join(lines) + "\n"


def setup(d):
    svc, env = uniq("sheet"), uniq("env")
    api(d, "POST", "/v1/environments", {"name": env, "rank": 40}, want=201)
    return svc, env


def test_a_csv_goes_in_batches_with_progress_and_a_summary(d):
    svc, env = setup(d)
    path = write("deploys.csv", sheet(svc, env, 5))
    rc, out, err = d.cli("import", path, "--batch", "2", "--progress",
                         "--source", "sheet")
    eq(rc, 0, "exit: %s" % err)
    eq([l for l in err.splitlines() if l.startswith("import:")],
       ["import: 0/5 records", "import: 2/5 records",
        "import: 4/5 records", "import: 5/5 records"], "progress")
    check("5 records from %s in 3 batches, source sheet" % path in out, out)
    check("deployment          5        0" in out, out)
    deps = api(d, "GET", "/v1/deployments?service=" + svc,
               want=200)["items"]
    eq(len(deps), 5, "deployments")
    eq(sorted(x["started_at"] for x in deps)[0], "2021-01-01T10:00:00Z",
       "original time")
    eq({x["deployer"] for x in deps}, {"ops, night"}, "deployer")


def test_json_summary_counts_every_batch_and_lines_of_the_file(d):
    svc, env = setup(d)
    name = uniq("deploys")
    path = write(name + ".csv", sheet(svc, env, 3))
    rc, out, err = d.cli("--json", "import", path, "--batch", "2")
    eq(rc, 0, "exit: %s" % err)
    doc = json.loads(out)
    eq((doc["records"], doc["batches"], doc["source"]),
       (3, 2, name), "summary: the file's name")
    eq(doc["created"]["deployment"], 3, "created")
    eq(doc["created"]["release"], 3, "releases")
    eq(doc["created"]["service"], 1, "service")
    eq([(i["id"], i["line"]) for i in doc["items"]
        if i["kind"] == "deployment"],
       [("r1", 2), ("r2", 3), ("r3", 4)], "file lines")
    eq([l for l in err.splitlines() if l.startswith("import:")], [],
       "no progress when stderr is not a terminal")
    # Again: nothing new, everything matched, still exit 0.
    rc, out, err = d.cli("--json", "import", path, "--batch", "2")
    eq(rc, 0, "again: %s" % err)
    doc = json.loads(out)
    eq((doc["created"]["deployment"], doc["matched"]["deployment"]),
       (0, 3), "matched")


def test_a_refused_batch_names_the_file_line_and_what_was_written(d):
    svc, env = setup(d)
    path = write(uniq("deploys") + ".csv", sheet(svc, env, 5, bad_row=4))
    rc, out, err = d.cli("import", path, "--batch", "2")
    eq(rc, 1, "exit: %s" % err)
    check("%s:5: status: must be one of" % path in err, err)
    check("batches 1-1" not in err and
          "batch 1 (records 1-2) was written" in err, err)
    deps = api(d, "GET", "/v1/deployments?service=" + svc,
               want=200)["items"]
    eq(len(deps), 2, "only the first batch")
    rc, out, err = d.cli("--json", "import", path, "--batch", "3")
    eq(rc, 1, "json exit")
    doc = json.loads(out)
    eq((doc["line"], doc["batch"], doc["batches_written"],
        doc["records_written"], doc["errors"][0]["field"],
        doc["errors"][0]["line"]), (5, 2, 1, 3, "status", 5), "problem")


def test_jsonl_history_and_a_refused_first_batch(d):
    svc, env = setup(d)
    recs = [
        {"kind": "service", "id": "s", "name": svc, "owner": "o"},
        {"kind": "release", "id": "r", "service": "s", "version": "3.0.0",
         "type": "major", "created_at": "2020-01-01T00:00:00Z"},
        {"kind": "deployment", "id": "d", "release": "r",
         "environment": env, "status": "succeeded",
         "started_at": "2020-01-02T00:00:00Z",
         "finished_at": "2020-01-02T00:30:00Z"},
    ]
    text = "\n".join(json.dumps(r) for r in recs) + "\n\n"
    path = write("history.jsonl", text)
    rc, out, err = d.cli("--json", "import", path, "--source", "legacy")
    eq(rc, 0, "exit: %s" % err)
    doc = json.loads(out)
    dep = [i for i in doc["items"] if i["kind"] == "deployment"][0]
    got = api(d, "GET", "/v1/deployments/%d" % dep["object"], want=200)
    eq((got["started_at"], got["finished_at"]),
       ("2020-01-02T00:00:00Z", "2020-01-02T00:30:00Z"), "times")
    bad = write("bad.ndjson", "\n" + json.dumps(
        {"kind": "service", "id": "s2", "name": "Bad Name", "owner": "o"}))
    rc, out, err = d.cli("import", bad)
    eq(rc, 1, "refused")
    check("bad.ndjson:2: name:" in err, err)
    check("nothing was written" in err, err)


def test_usage_errors_and_an_unreachable_server(d):
    path = write("x.txt", "{}\n")
    rc, _, err = d.cli("import", path)
    eq(rc, 2, "no format: %s" % err)
    check("--format" in err, err)
    rc, _, err = d.cli("import", path, "--format", "xml")
    eq(rc, 2, "bad format")
    rc, _, err = d.cli("import", path, "--format", "jsonl", "--batch", "0")
    eq(rc, 2, "bad batch")
    rc, _, err = d.cli("import", "/nonexistent/file.csv")
    eq(rc, 2, "missing file")
    rc, _, err = d.cli("import")
    eq(rc, 2, "no file")
    rc, _, err = d.cli("import", path, "--format", "jsonl",
                       env={"SHIPLOG_URL": "http://127.0.0.1:%d"
                            % free_port()})
    eq(rc, 3, "unreachable: %s" % err)
    check("nothing was written" in err, err)
    tok = api(d, "POST", "/v1/tokens", {"name": uniq("dev"),
                                        "role": "developer"},
              want=201)["token"]
    rc, _, err = d.cli("import", path, "--format", "jsonl",
                       env={"SHIPLOG_TOKEN": tok})
    eq(rc, 1, "developer: %s" % err)
    check("import" in err, err)


def test_the_documented_examples_import_as_documented(d):
    rc, out, err = d.cli("--json", "import",
                         os.path.join(DOCS, "history.jsonl"))
    eq(rc, 0, "history: %s" % err)
    doc = json.loads(out)
    eq(doc["created"], {"service": 1, "environment": 2, "release": 1,
                        "deployment": 2, "event": 3}, "history")
    rc, out, err = d.cli("--json", "import",
                         os.path.join(DOCS, "deployments.csv"))
    eq(rc, 0, "deployments: %s" % err)
    doc = json.loads(out)
    eq(doc["created"], {"service": 1, "environment": 0, "release": 3,
                        "deployment": 4, "event": 0}, "deployments")
    rows = {(r["service"], r["environment"], r["target"]): r for r in
            api(d, "GET", "/v1/status?service=payments",
                want=200)["items"]}
    prod = rows[("payments", "production", None)]
    eq((prod["running"]["version"], prod["running"]["since"]),
       ("2.4.2", "2021-03-12T09:08:00Z"), "production runs 2.4.2")
    eu = rows[("payments", "production", "eu-west")]
    eq((eu["running"]["version"], eu["running"]["since"]),
       ("2.4.0", "2021-03-02T09:45:00Z"), "eu-west runs 2.4.0")
    eq(api(d, "GET", "/v1/releases/payments@2.4.1", want=200)["commit"],
       "1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d", "commit")


if __name__ == "__main__":
    sys.exit(run_tests(globals()))
