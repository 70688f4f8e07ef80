#!/usr/bin/env python3
"""Checkpoints handed to outside witnesses, and signed on demand.

Each test starts its own daemon: one whose leader signs only on demand
(a checkpoint interval of an hour), and ones that hand every new
checkpoint to a command or to a URL that refuses it at first, so the
retry shows.
"""
import http.server
import os
import shutil
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Daemon, api, check, eq, run_tests, uniq  # noqa: E402

FAST = {"SHIPLOG_LEADER_INTERVAL_MS": "50"}


def latest_seq(d):
    doc = api(d, "GET", "/v1/audit?limit=500", want=200)
    seq = 0
    while True:
        if doc["items"]:
            seq = doc["items"][-1]["seq"]
        if not doc["next_cursor"]:
            return seq
        doc = api(d, "GET", "/v1/audit?limit=500&after=%d" % seq, want=200)


def size_of(note):
    return int(note.split("\n")[1])


def write_some(d, n):
    for _ in range(n):
        api(d, "POST", "/v1/services", {"name": uniq("svc"), "owner": "t"},
            want=201)


def wait_for(what, cond, seconds=15):
    deadline = time.time() + seconds
    while time.time() < deadline:
        got = cond()
        if got:
            return got
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


def own(args=(), env=None):
    d = Daemon(args=list(args), env=dict(FAST, **(env or {})))
    d.start()
    return d


def finish(d):
    rc = d.stop()
    d.drop_database()
    shutil.rmtree(d.dir, ignore_errors=True)
    check(rc in (0, None), "daemon exited with %r" % rc)


def test_a_checkpoint_is_signed_on_demand(shared):
    d = own(["--checkpoint-interval", "3600000"])
    try:
        # Only the first checkpoint is signed by the clock (the leader
        # starts due); the writes after it wait for the next hour.
        first = wait_for("the first checkpoint", lambda: d.request(
            "GET", "/v1/log/checkpoint")[2] if d.request(
            "GET", "/v1/log/checkpoint")[0] == 200 else None)
        write_some(d, 3)
        time.sleep(0.3)
        _, _, note = d.request("GET", "/v1/log/checkpoint")
        eq(size_of(note), size_of(first), "no checkpoint until asked")
        status, hdrs, signed = d.request("POST", "/v1/log/checkpoint")
        eq(status, 200, "signed on demand")
        check(hdrs["content-type"].startswith("text/plain"), hdrs)
        eq(size_of(signed), latest_seq(d), "covers every entry")
        eq(d.request("GET", "/v1/log/checkpoint")[2], signed, "kept")
        # Asking again with nothing new gives the same checkpoint.
        eq(d.request("POST", "/v1/log/checkpoint")[2], signed, "same")
        # A token scoped to an environment may not.
        tok = api(d, "POST", "/v1/tokens",
                  {"name": uniq("aud"), "role": "auditor",
                   "environments": ["staging"]}, want=201)["token"]
        eq(d.request("POST", "/v1/log/checkpoint", token=tok)[0], 403,
           "scoped token")
    finally:
        finish(d)


def test_each_checkpoint_goes_to_the_witness_command_until_it_takes_it(
        shared):
    tmp = tempfile.mkdtemp(prefix="shiplog-witness-")
    got, flag = os.path.join(tmp, "got"), os.path.join(tmp, "flag")
    # Refuses the first delivery, then keeps each note it is given.
    cmd = ("if [ -f %s ]; then cat >> %s; else cat > /dev/null; "
           "touch %s; exit 1; fi" % (flag, got, flag))
    d = own(["--checkpoint-interval", "50", "--witness-command", cmd])
    try:
        write_some(d, 5)
        want = latest_seq(d)

        def delivered():
            if not os.path.exists(got):
                return None
            text = open(got).read()
            return text if ("\n%d\n" % want) in text else None
        text = wait_for("the witness to hold the latest", delivered)
        check(os.path.exists(flag), "the first delivery was refused")
        _, _, note = d.request("GET", "/v1/log/checkpoint")
        check(note in text, "the witness holds the signed note as served")
        check("checkpoint command failed" in d.read_log(),
              "the refusal was logged")
    finally:
        finish(d)
        shutil.rmtree(tmp, ignore_errors=True)


class Witness(http.server.BaseHTTPRequestHandler):
    notes = []
    refusals = 0

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if Witness.refusals < 2:
            Witness.refusals += 1
            self.send_response(500)
        else:
            Witness.notes.append((self.headers["Content-Type"],
                                  body.decode()))
            self.send_response(204)
        self.end_headers()

    def log_message(self, *a):
        pass


def test_each_checkpoint_is_posted_to_the_witness_url_and_retried(shared):
    srv = http.server.HTTPServer(("127.0.0.1", 0), Witness)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    url = "http://127.0.0.1:%d/checkpoints" % srv.server_port
    d = own(["--checkpoint-interval", "50", "--witness-url", url])
    try:
        write_some(d, 4)
        want = latest_seq(d)
        wait_for("the witness to take the latest", lambda: any(
            size_of(n) == want for _, n in Witness.notes))
        eq(Witness.refusals, 2, "two refusals before it took one")
        ctype, note = [x for x in Witness.notes if size_of(x[1]) == want][0]
        eq(ctype, "text/plain", "content type")
        eq(note, d.request("GET", "/v1/log/checkpoint")[2], "as served")
    finally:
        finish(d)
        srv.shutdown()


if __name__ == "__main__":
    sys.exit(run_tests(globals()))
