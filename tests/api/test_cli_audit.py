#!/usr/bin/env python3
"""End-to-end stories of `shiplog audit key | verify | prove | export`
against the real daemon, which signs a checkpoint every 50 ms here.

Each test gives the CLI a config file of its own (SHIPLOG_CONFIG in a
fresh directory), so trust on first use starts afresh, and waits for the
checkpoint to cover the log before it verifies. The log grows from test
to test (every write is an entry); a test that needs a size makes the
writes it needs. Tampering with the database is tests/api/test_log.py's;
here the export file is changed instead, which shows that verify names
the first entry that differs from the signed tree.
"""
import atexit
import base64
import hashlib
import http.server
import itertools
import json
import os
import shutil
import socket
import stat
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Daemon, run_tests  # noqa: E402

_seq = itertools.count(1)


def uniq(prefix):
    return "%s-%d" % (prefix, next(_seq))


def check(cond, *what):
    if not cond:
        raise AssertionError(" ".join(str(w) for w in what))


def eq(got, want, what=""):
    check(got == want, "%s: got %r, want %r" % (what, got, want))


def api(d, method, path, body=None, want=None, token=None):
    status, _, doc = d.request(method, path, body, token=token)
    if want is not None:
        eq(status, want, "%s %s (%s)" % (method, path, doc))
    return doc


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_scratch = []
atexit.register(lambda: [shutil.rmtree(p, ignore_errors=True)
                         for p in _scratch])


def new_config():
    """A config path in a fresh directory, two levels that do not exist
    yet (the CLI creates them)."""
    top = tempfile.mkdtemp(prefix="shiplog-audit-cfg-")
    _scratch.append(top)
    return os.path.join(top, "shiplog", "sub", "audit.json")


def audit(d, cfg, *args, url=True, token=True):
    """Runs `shiplog audit ARGS` with the config cfg; returns (exit code,
    stdout, stderr)."""
    env = {"SHIPLOG_CONFIG": cfg}
    if url is not True:
        env["SHIPLOG_URL"] = url
    return d.cli("audit", *args, env=env, token=token)


def audit_json(d, cfg, *args, want=0, **kw):
    rc, out, err = audit(d, cfg, "--json", *args, **kw)
    eq(rc, want, "exit for %r (%s)" % (args, err))
    return json.loads(out)


def write(d, n):
    """Makes n writes: n new audit entries."""
    for _ in range(n):
        api(d, "POST", "/v1/services", dict(name=uniq("svc"), owner="t"),
            201)


_last = {"seq": 0}


def latest_seq(d):
    while True:
        doc = api(d, "GET", "/v1/audit?limit=500&after=%d" % _last["seq"],
                  want=200)
        if doc["items"]:
            _last["seq"] = doc["items"][-1]["seq"]
        if len(doc["items"]) < 500:
            return _last["seq"]


def checkpoint(d):
    """The latest checkpoint: (origin, size, root)."""
    status, _, text = d.request("GET", "/v1/log/checkpoint")
    eq(status, 200, "checkpoint")
    origin, size, root = text.split("\n")[:3]
    return origin, int(size), root


def settle(d, at_least=0):
    """Grows the log to at_least entries, not a multiple of 256 (so the
    last bundle is partial), then waits until a checkpoint covers it.
    Returns (origin, size, root)."""
    n = latest_seq(d)
    if n < at_least:
        write(d, at_least - n)
    if latest_seq(d) % 256 == 0:
        write(d, 1)
    want = latest_seq(d)
    deadline = time.time() + 20
    while time.time() < deadline:
        cp = checkpoint(d)
        if cp[1] >= want:
            return cp
        time.sleep(0.05)
    raise AssertionError("no checkpoint of %d entries" % want)


def log_key(d):
    status, _, text = d.request("GET", "/v1/audit/key")
    eq(status, 200, "key")
    return text.strip()


def other_key(name):
    """A well-formed verifier key with the log's name and another
    public key."""
    pub = os.urandom(32)
    h = hashlib.sha256(name.encode() + b"\n\x01" + pub).digest()[:4]
    return "%s+%s+%s" % (name, h.hex(),
                         base64.b64encode(b"\x01" + pub).decode())


def scratch(cfg):
    """The test's own directory, the one above the config's."""
    return os.path.dirname(os.path.dirname(os.path.dirname(cfg)))


def export(d, cfg):
    path = os.path.join(scratch(cfg), "log.jsonl")
    rc, out, err = audit(d, cfg, "export", "--out", path)
    eq(rc, 0, "export: " + err)
    return path


def lines_of(path):
    with open(path, "rb") as f:
        return f.read().split(b"\n")


def rewrite(path, lines):
    with open(path, "wb") as f:
        f.write(b"\n".join(lines))


def entry_line(lines, seq):
    """The index of entry seq's line in an export."""
    for i, line in enumerate(lines):
        if line.startswith(b'{"action"') and \
                json.loads(line)["seq"] == seq:
            return i
    raise AssertionError("no line for entry %d" % seq)


class FakeServer:
    """Answers every request with a fixed status and body and records the
    paths it was asked for."""

    def __init__(self, status, body=b""):
        self.seen = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                outer.seen.append(self.path)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_POST = do_GET

            def log_message(self, *a):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                                     Handler)
        self.url = "http://127.0.0.1:%d" % self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever,
                         daemon=True).start()

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.httpd.shutdown()
        self.httpd.server_close()


# --- audit key ---------------------------------------------------------------

def test_key_prints_the_servers_verifier_key(d):
    cfg = new_config()
    rc, out, err = audit(d, cfg, "key")
    eq(rc, 0, "exit: " + err)
    eq(out, log_key(d) + "\n", "one line, the key")
    eq(audit_json(d, cfg, "key"), {"verifier_key": log_key(d)}, "--json")
    check(not os.path.exists(cfg), "key records nothing")


def test_key_exits_1_on_a_refusal_and_3_on_server_or_network_errors(d):
    cfg = new_config()
    secret = api(d, "POST", "/v1/tokens",
                 dict(name=uniq("tok-dev"), role="developer"), 201)["token"]
    rc, _, err = audit(d, cfg, "key", token=secret)
    eq(rc, 1, "a developer may not read the audit log: " + err)
    rc, _, err = audit(d, cfg, "key", url="http://127.0.0.1:%d" % free_port())
    eq(rc, 3, "nothing listening: " + err)
    problem = json.dumps({"title": "Store unavailable", "status": 503}).encode()
    with FakeServer(503, problem) as f:
        rc, _, err = audit(d, cfg, "key", url=f.url)
        eq(rc, 3, "5xx: " + err)
        check("Store unavailable" in err, err)


# --- audit verify ------------------------------------------------------------

def test_verify_checks_every_entry_and_trusts_the_key_on_first_use(d):
    origin, n, root = settle(d, 300)
    check(n > 256 and n % 256, "a full bundle and a partial one", n)
    cfg = new_config()
    rc, out, err = audit(d, cfg, "verify")
    eq(rc, 0, "exit: %s %s" % (out, err))
    eq(out, "ok: %s %d entries, root %s\n" % (origin, n, root), "verdict")
    check("trusting the log key %s" % log_key(d) in err, err)
    check("on first use; pin it with --key" in err, err)
    with open(cfg) as f:
        eq(json.load(f), {d.url: {"key": log_key(d), "size": n,
                                  "root": root}}, "recorded")
    eq(stat.S_IMODE(os.stat(cfg).st_mode), 0o600, "file mode")
    eq(stat.S_IMODE(os.stat(os.path.dirname(cfg)).st_mode), 0o700,
       "directory mode")
    eq(stat.S_IMODE(os.stat(os.path.dirname(os.path.dirname(cfg)))
                    .st_mode), 0o700, "parent directory mode")
    # The second time the recorded key is used, and said nothing about.
    got = audit_json(d, cfg, "verify")
    eq(got, {"ok": True, "origin": origin, "size": got["size"],
             "root": got["root"], "first_bad_seq": None, "reason": None,
             "consistent_with": n}, "--json verdict")
    check(got["size"] >= n, got)


def test_verify_reuses_the_recorded_key_silently(d):
    settle(d, 300)
    cfg = new_config()
    eq(audit(d, cfg, "verify")[0], 0, "first")
    rc, out, err = audit(d, cfg, "verify")
    eq(rc, 0, "second: " + err)
    eq(err, "", "nothing on stderr the second time")
    check(out.startswith("ok: "), out)


def test_verify_with_another_key_fails_naming_the_signature(d):
    origin, n, _ = settle(d, 300)
    cfg = new_config()
    wrong = other_key(origin)
    rc, out, err = audit(d, cfg, "verify", "--key", wrong)
    eq(rc, 1, "exit: " + err)
    check(out.startswith("FAILED: the checkpoint is not signed by the "
                         "pinned key"), out)
    got = audit_json(d, cfg, "verify", "--key", wrong, want=1)
    eq(got["ok"], False, "ok")
    eq(got["first_bad_seq"], None, "no entry named")
    check("not signed by the pinned key" in got["reason"], got)
    check(not os.path.exists(cfg), "a failed verification records nothing")
    # The right key, from a file, verifies and is recorded.
    keyfile = os.path.join(scratch(cfg), "key")
    with open(keyfile, "w") as f:
        f.write(log_key(d) + "\n")
    rc, out, err = audit(d, cfg, "verify", "--key", "@" + keyfile)
    eq(rc, 0, "exit: " + err)
    check("trusting" not in err, "a given key is not trusted on first use")
    with open(cfg) as f:
        eq(json.load(f)[d.url]["key"], log_key(d), "pinned")
    # Another key given later leaves the record as it was.
    rc, out, err = audit(d, cfg, "verify", "--key", wrong)
    eq(rc, 1, "exit")
    with open(cfg) as f:
        eq(json.load(f)[d.url]["key"], log_key(d), "record kept")


def test_verify_after_more_writes_is_consistent_with_the_last(d):
    _, first, _ = settle(d, 300)
    cfg = new_config()
    eq(audit(d, cfg, "verify")[0], 0, "first")
    with open(cfg) as f:
        before = json.load(f)[d.url]
    write(d, 7)
    origin, n, root = settle(d)
    check(n > before["size"], n, before)
    rc, out, err = audit(d, cfg, "verify")
    eq(rc, 0, "exit: " + err)
    eq(out, "ok: %s %d entries, root %s, consistent with %d verified "
       "before\n" % (origin, n, root, before["size"]), "verdict")
    with open(cfg) as f:
        eq(json.load(f)[d.url]["size"], n, "the new size is recorded")


def test_verify_fails_when_the_log_shrank_or_forked(d):
    origin, n, root = settle(d, 300)
    cfg = new_config()
    eq(audit(d, cfg, "verify")[0], 0, "first")
    with open(cfg) as f:
        conf = json.load(f)
    # A record of more entries than the log now holds.
    conf[d.url]["size"] = n + 1000
    with open(cfg, "w") as f:
        json.dump(conf, f)
    got = audit_json(d, cfg, "verify", want=1)
    check(got["reason"].startswith("the log shrank: %d entries were "
                                   "verified before" % (n + 1000)), got)
    # A record of another root for a size the log has.
    conf[d.url]["size"] = n - 5
    conf[d.url]["root"] = base64.b64encode(b"\x07" * 32).decode()
    with open(cfg, "w") as f:
        json.dump(conf, f)
    rc, out, err = audit(d, cfg, "verify")
    eq(rc, 1, "exit: " + err)
    check(out.startswith("FAILED: the first %d entries do not give the "
                         "root verified before" % (n - 5)), out)


def test_a_scoped_token_cannot_verify(d):
    settle(d, 300)
    env = api(d, "POST", "/v1/environments", dict(name=uniq("env"), rank=5),
              201)["name"]
    secret = api(d, "POST", "/v1/tokens",
                 dict(name=uniq("tok-aud"), role="auditor",
                      environments=[env]), 201)["token"]
    rc, out, err = audit(d, new_config(), "verify", token=secret)
    eq(rc, 1, "exit: %s %s" % (out, err))
    check("scope" in err, err)


# --- audit prove -------------------------------------------------------------

def test_prove_shows_the_entry_and_that_it_is_in_the_signed_tree(d):
    _, n, _ = settle(d, 300)
    cfg = new_config()
    for seq in (1, 2, 256, 257, n):
        rc, out, err = audit(d, cfg, "prove", str(seq))
        eq(rc, 0, "exit for %d: %s" % (seq, err))
        tail = out.rstrip("\n").split("\n")[-1]
        check(tail.startswith("ok: entry %d is in the signed tree of " % seq),
              out)
        body = out[:out.rindex("ok: ")]
        eq(json.loads(body)["seq"], seq, "the entry printed")
    got = audit_json(d, cfg, "prove", "3")
    eq((got["ok"], got["seq"], got["entry"]["seq"]), (True, 3, 3), "json")
    eq(got["size"], got["checkpoint_size"], "in the checkpoint's tree")
    rc, out, err = audit(d, cfg, "prove", "3", "--size", "200")
    eq(rc, 0, "exit: " + err)
    check("ok: entry 3 is in the tree of 200 entries, which the signed tree "
          "of " in out, out)


def test_prove_beyond_the_tree_is_refused(d):
    _, n, _ = settle(d, 300)
    cfg = new_config()
    rc, out, err = audit(d, cfg, "prove", str(n + 1000))
    eq(rc, 1, "exit: " + out)
    check("entry %d is not in the signed tree" % (n + 1000) in err, err)
    rc, out, err = audit(d, cfg, "prove", "5", "--size", str(n + 1000))
    eq(rc, 1, "exit: " + out)
    check("the signed tree holds" in err, err)
    rc, out, err = audit(d, cfg, "prove", "250", "--size", "100")
    eq(rc, 1, "beyond --size: " + out)


# --- audit export and verify --bundle ----------------------------------------

def test_export_then_verify_offline(d):
    origin, n, root = settle(d, 300)
    cfg = new_config()
    eq(audit(d, cfg, "verify")[0], 0, "online first, recording the key")
    path = export(d, cfg)
    lines = lines_of(path)
    head = json.loads(lines[0])
    eq(head["format"], "shiplog-audit-export/1", "format")
    eq(head["verifier_key"], log_key(d), "key")
    size = int(head["checkpoint"].split("\n")[1])
    check(size >= n, size, n)
    nowhere = "http://127.0.0.1:%d" % free_port()
    # With the key given, and with no config at all.
    rc, out, err = audit(d, new_config(), "verify", "--bundle", path,
                         "--key", log_key(d), url=nowhere)
    eq(rc, 0, "exit: %s %s" % (out, err))
    check(out.startswith("ok: %s %d entries, root " % (origin, size)), out)
    # With the key recorded before: no --key needed, and compared with the
    # tree verified then.
    rc, out, err = audit(d, cfg, "verify", "--bundle", path, url=nowhere)
    eq(rc, 0, "exit: %s %s" % (out, err))
    check(out.rstrip().endswith("consistent with %d verified before" % n),
          out)
    # Neither: a usage error.
    rc, out, err = audit(d, new_config(), "verify", "--bundle", path,
                         url=nowhere)
    eq(rc, 2, "exit: " + err)
    check("--key" in err, err)


def test_a_changed_entry_in_an_export_is_named_by_its_seq(d):
    settle(d, 300)
    cfg = new_config()
    path = export(d, cfg)
    key = log_key(d)
    good = lines_of(path)
    for seq in (17, 258):
        lines = list(good)
        i = entry_line(lines, seq)
        lines[i] = lines[i].replace(b'"actor":"', b'"actor":"x', 1)
        rewrite(path, lines)
        rc, out, err = audit(d, cfg, "verify", "--bundle", path, "--key", key)
        eq(rc, 1, "exit: " + err)
        eq(out, "FAILED: entry %d does not match the signed tree\n" % seq,
           "verdict")
        got = audit_json(d, cfg, "verify", "--bundle", path, "--key", key,
                         want=1)
        eq((got["ok"], got["first_bad_seq"]), (False, seq), "json")
    # A changed tile under the signed entries is named, not an entry.
    lines = list(good)
    tile = json.loads(lines[2])
    eq(tile["tile"], "tile/0/000", "the level-0 tile comes before entry 1")
    hashes = bytearray(base64.b64decode(tile["hashes"]))
    hashes[5 * 32] ^= 1
    tile["hashes"] = base64.b64encode(bytes(hashes)).decode()
    lines[2] = json.dumps(tile, separators=(",", ":")).encode()
    rewrite(path, lines)
    got = audit_json(d, cfg, "verify", "--bundle", path, "--key", key,
                     want=1)
    eq(got["first_bad_seq"], None, "no entry is bad")
    eq(got["reason"], "tile/0/000 does not match the signed tree (at entry "
       "6; the entries do)", "reason")
    # A missing entry: the next one is read in its place.
    lines = list(good)
    del lines[entry_line(lines, 40)]
    rewrite(path, lines)
    got = audit_json(d, cfg, "verify", "--bundle", path, "--key", key,
                     want=1)
    eq(got["first_bad_seq"], 40, got["reason"])
    # Cut short.
    rewrite(path, good[:-30])
    rc, out, err = audit(d, cfg, "verify", "--bundle", path, "--key", key)
    eq(rc, 1, "exit")
    check(out.startswith("FAILED: the export ends after "), out)


def test_tile_lines_in_another_json_spelling_read_the_same(d):
    """Export writes each tile line in one spelling, which verify reads
    directly; the same object spelled otherwise (spaces, keys the other
    way round, an escaped "/") goes through the JSON parser and gives
    the same verdicts."""
    settle(d, 300)
    cfg = new_config()
    path = export(d, cfg)
    key = log_key(d)
    good = lines_of(path)
    tiles = [i for i, ln in enumerate(good) if ln.startswith(b'{"tile":')]
    check(len(tiles) >= 2, "tile lines: %d" % len(tiles))
    lines = list(good)
    for i in tiles:
        t = json.loads(lines[i])
        lines[i] = ('{ "hashes" : "%s" , "tile" : "%s" }'
                    % (t["hashes"].replace("/", "\\/"),
                       t["tile"])).encode()
    rewrite(path, lines)
    got = audit_json(d, cfg, "verify", "--bundle", path, "--key", key)
    eq(got["ok"], True, got)
    # Spelled otherwise and wrong: still found.
    t = json.loads(lines[tiles[0]])
    hashes = bytearray(base64.b64decode(t["hashes"]))
    hashes[0] ^= 1
    lines[tiles[0]] = ('{"tile": "%s", "hashes": "%s"}' % (
        t["tile"], base64.b64encode(bytes(hashes)).decode())).encode()
    rewrite(path, lines)
    got = audit_json(d, cfg, "verify", "--bundle", path, "--key", key,
                     want=1)
    eq(got["ok"], False, got)
    # The exact spelling naming another tile is not read as this one.
    lines = list(good)
    lines[tiles[0]] = lines[tiles[0]].replace(b'"tile":"tile/',
                                              b'"tile":"tile/9', 1)
    rewrite(path, lines)
    got = audit_json(d, cfg, "verify", "--bundle", path, "--key", key,
                     want=1)
    check("is not tile/" in got["reason"], got["reason"])


# --- help and usage ----------------------------------------------------------

def test_help_for_each_audit_command(d):
    for sub, says in [("key", "verifier key"), ("verify", "--bundle FILE"),
                      ("prove", "--size N"), ("export", "--out FILE")]:
        rc, out, err = d.cli("audit", sub, "--help", token=False)
        eq(rc, 0, "exit for %s: %s" % (sub, err))
        check(out.startswith("usage: shiplog audit " + sub), out)
        check(says in out, sub, out)
    rc, out, _ = d.cli("audit", "--help", token=False)
    for sub in ("list", "key", "verify", "prove", "export"):
        check("shiplog audit " + sub in out, sub, out)


def test_usage_errors_exit_2_and_send_nothing(d):
    cfg = new_config()
    cases = [
        ["prove"],
        ["prove", "abc"],
        ["prove", "0"],
        ["prove", "-3"],
        ["prove", "1", "2"],
        ["prove", "1", "--size", "x"],
        ["prove", "1", "--size", "0"],
        ["verify", "--key", "not-a-key"],
        ["verify", "--key", "@/nonexistent/key"],
        ["verify", "--bundle", "/nonexistent/export"],
        ["verify", "extra"],
        ["verify", "--bogus"],
        ["export"],
        ["export", "--out"],
        ["key", "extra"],
    ]
    with FakeServer(200, b"{}") as f:
        for args in cases:
            rc, out, err = audit(d, cfg, *args, url=f.url)
            eq(rc, 2, "exit for %r (%s)" % (args, err))
            check("--help" in err, "hint for %r: %s" % (args, err))
        eq(f.seen, [], "requests sent")
    check(not os.path.exists(cfg), "no config written")


if __name__ == "__main__":
    sys.exit(run_tests(globals(), daemon=Daemon(
        env={"SHIPLOG_LEADER_INTERVAL_MS": "50"},
        args=["--checkpoint-interval", "50"])))
