#!/usr/bin/env python3
"""The shiplog report commands against the real daemon: each report
written as the server renders it, to standard output or a file, and the
exit codes of a missing period, a bad format and a refused role. The
period is the one test_reports seeds (exactly known facts in a fresh
production environment and service).
"""
import csv
import io
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import eq, check, run_tests  # noqa: E402
from test_reports import token, world  # noqa: E402


def run(d, *args, want=None, token=True):
    rc, out, err = d.cli(*args, token=token)
    if want is not None:
        eq(rc, want, "exit for %r (stdout %r, stderr %r)" % (args, out, err))
    return rc, out, err


def period(w):
    return ["--from", w["from"], "--to", w["to"], "--env", w["env"],
            "--service", w["svc"]]


def test_change_report_as_json_on_stdout(d):
    w = world(d)
    _, out, _ = run(d, "report", "change", *period(w), want=0)
    doc = json.loads(out)
    eq([r["deployment_id"] for r in doc["items"]],
       [w[k] for k in ("clean", "no_cr", "open_review", "late", "freeze")],
       "every change")


def test_exceptions_as_csv_into_a_file(d):
    w = world(d)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "exceptions.csv")
        _, out, _ = run(d, "report", "exceptions", *period(w), "--format",
                        "csv", "--out", path, want=0)
        eq(out, "", "nothing on stdout")
        with open(path) as f:
            rows = list(csv.reader(io.StringIO(f.read())))
    eq(sorted(r[rows[0].index("kind")] for r in rows[1:]),
       ["approval_after_start", "deployed_during_freeze",
        "no_change_request", "override_review_open"], "the four exceptions")


def test_access_as_html(d):
    _, out, _ = run(d, "report", "access", "--format", "html", want=0)
    check("<table" in out and "<script" not in out, out[:200])


def test_exit_codes(d):
    w = world(d)
    _, _, err = run(d, "report", "change", "--to", w["to"], want=2)
    check("--from" in err, err)
    run(d, "report", "change", *period(w), "--format", "xml", want=2)
    _, dev = token(d, "developer")
    _, _, err = run(d, "report", "change", *period(w), want=1, token=dev)
    check("403" in err or "audit.read" in err, err)
    run(d, "report", "change", "--from", "yesterday", "--to", w["to"],
        want=1)


if __name__ == "__main__":
    sys.exit(run_tests(globals()))
