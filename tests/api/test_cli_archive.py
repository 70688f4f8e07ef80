#!/usr/bin/env python3
"""`shiplog archive create | read | restore`: the file written is the one
the server answered (its SHA-256 is the one audited), read checks it
offline and gives back the documents served before, a changed byte fails
the check, restore puts the records back and again changes nothing, and
the exit codes say what happened."""
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Daemon, api, check, eq, run_tests  # noqa: E402
from test_archive import seed  # noqa: E402


def test_create_read_restore(d):
    svc, env, deps = seed(d, 2005)
    served = {i: api(d, "GET", "/v1/deployments/%d" % i, want=200)
              for i in deps}
    out = os.path.join(tempfile.mkdtemp(prefix="shiplog-cli-arch-"),
                       "old.jsonl")
    rc, so, se = d.cli("archive", "create", "--before",
                       "2006-01-01T00:00:00Z", "--out", out)
    eq(rc, 0, "create: %s %s" % (so, se))
    check(so.startswith("archived to %s: " % out), so)
    check("deployment 2" in so, so)
    entry = api(d, "GET", "/v1/audit?action=archive.create&limit=500",
                want=200)["items"][-1]
    digest = entry["change"][0]["value"]["sha256"]
    check("sha256 %s" % digest in so, so)

    rc, so, se = d.cli("archive", "read", out, "--kind", "deployment",
                       "--json", url=False, token=False)
    eq(rc, 0, "read: %s" % se)
    got = json.loads(so)
    eq((got["ok"], got["sha256"], got["counts"]["deployment"]),
       (True, digest, 2), "checked, the audited digest")
    eq([r["kind"] for r in got["records"]], ["deployment"] * 2, "--kind")
    for r in got["records"]:
        want = dict(served[r["row"]["id"]])
        del want["events"]
        eq(r["document"], want, "deployment %d read back" % r["row"]["id"])
    rc, so, se = d.cli("archive", "read", out, url=False, token=False)
    eq(rc, 0, "human read: %s" % se)
    check(so.splitlines()[-1] == "ok: %s, sha256 %s" % (out, digest), so)
    check("event {" in so, so)

    # One changed byte fails the offline check.
    bad = out + ".bad"
    with open(out) as f:
        text = f.read()
    with open(bad, "w") as f:
        f.write(text.replace("smoke tests passed", "smoke tests pas5ed"))
    rc, so, se = d.cli("archive", "read", bad, url=False, token=False)
    eq(rc, 1, "tampered: %s" % so)
    check("FAILED" in se and "changed" in se, se)
    rc, so, se = d.cli("archive", "restore", bad)
    eq(rc, 1, "a changed file is not restored: %s" % so)
    for i in deps[:2]:
        s, _, _ = d.request("GET", "/v1/deployments/%d" % i)
        eq(s, 410, "still archived")

    rc, so, se = d.cli("--json", "archive", "restore", out)
    eq(rc, 0, "restore: %s" % se)
    eq(json.loads(so)["restored"]["deployment"], 2, "two back")
    for i in deps:
        eq(api(d, "GET", "/v1/deployments/%d" % i, want=200), served[i],
           "as it was")
    rc, so, se = d.cli("--json", "archive", "restore", out)
    eq((rc, json.loads(so)["already_restored"]), (0, True), "idempotent")


def test_usage_and_refusals(d):
    rc, so, se = d.cli("archive", "create", "--out", "/dev/null")
    eq(rc, 2, "no --before: %s" % se)
    rc, so, se = d.cli("archive", "read", "/nonexistent/file",
                       url=False, token=False)
    eq(rc, 2, "no such file")
    rc, so, se = d.cli("archive", "create", "--before",
                       "2099-01-01T00:00:00Z", "--out", "/dev/null")
    eq(rc, 1, "within retention: %s" % so)
    check("retention period" in se, se)
    tok = api(d, "POST", "/v1/tokens", {"name": "dev-arch",
                                        "role": "developer"},
              want=201)["token"]
    rc, so, se = d.cli("archive", "create", "--before",
                       "2001-01-01T00:00:00Z", "--out", "/dev/null",
                       token=tok)
    eq(rc, 1, "not an administrator: %s" % se)
    check("archive" in se, se)


def main():
    return run_tests(globals(), daemon=Daemon(args=["--retention-days",
                                                     "30"]))


if __name__ == "__main__":
    sys.exit(main())
