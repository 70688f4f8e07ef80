"""harness.py - start the real shiplogd on loopback and talk to it.

Each test file does:

    from harness import Daemon, run_tests
    def test_something(d): ...
    if __name__ == "__main__":
        sys.exit(run_tests(globals()))

run_tests starts one daemon per file (a fresh temporary database), runs
every test_* function with it, and prints "N passed, N failed".
Set SHIPLOG_BUILD to pick the build directory (default build/debug).

SHIPLOG_TEST_BACKEND picks the store: "sqlite" (the default) or
"postgresql", which needs SHIPLOG_TEST_PG, the URI of a server where the
harness may create databases (tests/run starts one). On PostgreSQL each
daemon gets a database of its own, named after its directory, so a
restart with the same db_dir finds the same data.
"""
import hashlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.parse

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.path.join(ROOT, os.environ.get("SHIPLOG_BUILD", "build/debug"))
SHIPLOGD = os.path.join(BUILD, "shiplogd")
SHIPLOG = os.path.join(BUILD, "shiplog")
TOKEN = "test-admin-token-0123456789abcdef"


BACKEND = os.environ.get("SHIPLOG_TEST_BACKEND", "sqlite")
PG_URI = os.environ.get("SHIPLOG_TEST_PG", "")
if BACKEND not in ("sqlite", "postgresql"):
    raise SystemExit("SHIPLOG_TEST_BACKEND must be sqlite or postgresql")
if BACKEND == "postgresql" and not PG_URI:
    raise SystemExit("SHIPLOG_TEST_BACKEND=postgresql needs SHIPLOG_TEST_PG")


def pg_sql(sql, database=None):
    """Runs one statement on the SHIPLOG_TEST_PG server with psql (in
    database, when given, instead of the URI's)."""
    uri = pg_database_uri(database) if database else PG_URI
    p = subprocess.run(["psql", uri, "-X", "-q", "-v", "ON_ERROR_STOP=1",
                        "-c", sql], capture_output=True, text=True,
                       timeout=60)
    if p.returncode != 0:
        raise RuntimeError("psql %r: %s" % (sql, p.stderr.strip()))
    return p.stdout


def pg_database_uri(name):
    """SHIPLOG_TEST_PG with its database replaced by name."""
    u = urllib.parse.urlsplit(PG_URI)
    return urllib.parse.urlunsplit(u._replace(path="/" + name))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Daemon:
    """A shiplogd process with its own temporary database."""

    def __init__(self, db_dir=None, token=TOKEN, args=(), env=None):
        self.own_dir = db_dir is None
        self.extra_args = list(args)  # after the defaults: they win
        self.extra_env = dict(env or {})
        self.dir = db_dir or tempfile.mkdtemp(prefix="shiplog-test-")
        self.backend = BACKEND
        self.pg_database = None
        if BACKEND == "postgresql":
            # Keyed by the directory: a restart with the same db_dir
            # reuses the database.
            key = hashlib.sha1(os.path.realpath(self.dir).encode())
            self.pg_database = "sl_test_" + key.hexdigest()[:20]
            # --db: what shiplogd (and "shiplogd token create") is given.
            self.db = pg_database_uri(self.pg_database)
            # Where the daemon writes the first admin token.
            self.token_file = os.path.join(self.dir, "admin-token")
        else:
            self.db = os.path.join(self.dir, "shiplog.db")
            self.token_file = self.db + ".admin-token"
        self.token = token
        self.proc = None
        self.log_path = os.path.join(self.dir, "daemon.log")

    @property
    def log_key(self):
        """The log's signing key file: on PostgreSQL one per database
        (every daemon of one database signs with the same key), given
        with --log-key; on SQLite the daemon's default, DB.log-key."""
        if self.pg_database:
            return os.path.join(tempfile.gettempdir(), "shiplog-test-keys",
                                self.pg_database + ".log-key")
        return self.db + ".log-key"

    def _create_database(self):
        out = pg_sql("SELECT 1 FROM pg_database WHERE datname = '%s'"
                     % self.pg_database)
        if "1" not in out:
            pg_sql("CREATE DATABASE %s" % self.pg_database)

    def drop_database(self):
        """Drops this daemon's PostgreSQL database (nothing on SQLite)."""
        if self.pg_database:
            try:
                pg_sql("DROP DATABASE IF EXISTS %s WITH (FORCE)"
                       % self.pg_database)
            except (RuntimeError, OSError, subprocess.SubprocessError) as e:
                print("warning: %s" % e, flush=True)

    def start(self):
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        env = dict(os.environ, SHIPLOG_BOOTSTRAP_TOKEN=self.token,
                   **self.extra_env)
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1")
        self.log = open(self.log_path, "ab")
        args = [SHIPLOGD, "--listen", "127.0.0.1:%d" % self.port,
                "--db", self.db, "--threads", "4"]
        if self.pg_database:
            self._create_database()
            os.makedirs(os.path.dirname(self.log_key), exist_ok=True)
            args += ["--token-file", self.token_file, "--log-key",
                     self.log_key]
        args += self.extra_args  # last, so they win on both backends
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=self.log,
                                     env=env)
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("shiplogd exited early: " + self.read_log()[-2000:])
            try:
                status, _, _ = self.request("GET", "/healthz", auth=False)
                if status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("shiplogd did not start")

    def stop(self, sig=signal.SIGTERM):
        """Stops the daemon; returns its exit code."""
        if not self.proc:
            return None
        self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        self.proc = None
        self.log.close()
        return rc

    def metric(self, name):
        """One unlabelled number from /metrics."""
        _, _, text = self.request("GET", "/metrics")
        m = re.search(r"^%s (\d+)$" % re.escape(name), text, re.M)
        check(m, "%s in /metrics" % name)
        return int(m.group(1))

    def cache_hits(self):
        """The read cache's hit counter, from /metrics."""
        return self.metric("shiplog_read_cache_hits_total")

    def read_log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        if self.own_dir:
            self.drop_database()
            shutil.rmtree(self.dir, ignore_errors=True)

    def request(self, method, path, body=None, auth=True, headers=None, raw=None,
                token=None):
        """Sends one request. body is JSON-encoded unless raw (bytes) is
        given. Returns (status, headers with lower-case names, parsed JSON
        or the text when not JSON, or None when empty)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        h = {}
        if auth:
            h["Authorization"] = "Bearer " + (token or self.token)
        data = None
        if raw is not None:
            data = raw
        elif body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        if headers:
            h.update(headers)
        conn.request(method, path, body=data, headers=h)
        resp = conn.getresponse()
        text = resp.read()
        hdrs = {k.lower(): v for k, v in resp.getheaders()}
        conn.close()
        if not text:
            return resp.status, hdrs, None
        try:
            return resp.status, hdrs, json.loads(text)
        except ValueError:
            return resp.status, hdrs, text.decode("utf-8", "replace")

    def cli(self, *args, env=None, token=True, url=True):
        """Runs the shiplog CLI against this daemon; returns
        (exit code, stdout, stderr)."""
        e = dict(os.environ)
        e.pop("SHIPLOG_URL", None)
        e.pop("SHIPLOG_TOKEN", None)
        if url:
            e["SHIPLOG_URL"] = self.url
        if token:
            e["SHIPLOG_TOKEN"] = self.token if token is True else token
        if env:
            e.update(env)
        p = subprocess.run([SHIPLOG] + list(args), capture_output=True, text=True,
                           env=e, timeout=60)
        return p.returncode, p.stdout, p.stderr


_seq = __import__("itertools").count(1)
_tag = "%x" % (os.getpid() & 0xffff)



def _pointer(path):
    """The tokens of an RFC 6901 JSON Pointer."""
    if path == "":
        return []
    if not path.startswith("/"):
        raise ValueError("pointer %r does not start with /" % path)
    return [t.replace("~1", "/").replace("~0", "~")
            for t in path[1:].split("/")]


def patch_apply(doc, ops):
    """doc with the RFC 6902 JSON Patch ops applied (add, remove and
    replace: what audit entries use), written here from the RFC and not
    from the daemon's code. doc is not changed."""
    doc = json.loads(json.dumps(doc))
    for op in ops:
        kind, tokens = op["op"], _pointer(op["path"])
        if not tokens:
            if kind not in ("add", "replace"):
                raise ValueError("%s of the whole document" % kind)
            doc = json.loads(json.dumps(op["value"]))
            continue
        parent = doc
        for t in tokens[:-1]:
            parent = parent[int(t)] if isinstance(parent, list) else parent[t]
        last = tokens[-1]
        if isinstance(parent, list):
            if kind == "add":
                i = len(parent) if last == "-" else int(last)
                if i > len(parent):
                    raise ValueError("add past the end of %s" % op["path"])
                parent.insert(i, op["value"])
            elif kind == "remove":
                del parent[int(last)]
            elif kind == "replace":
                parent[int(last)] = op["value"]
            else:
                raise ValueError("op %s" % kind)
        else:
            if kind in ("remove", "replace") and last not in parent:
                raise ValueError("%s of missing %s" % (kind, op["path"]))
            if kind == "remove":
                del parent[last]
            elif kind in ("add", "replace"):
                parent[last] = op["value"]
            else:
                raise ValueError("op %s" % kind)
    return doc


def entry_after(before, entry):
    """What an audit entry says its object became from before: its
    change applied (or, for an entry written before changes were
    patches, its after)."""
    if entry.get("change") is None:
        return entry["after"]
    return patch_apply(before, entry["change"])

def uniq(prefix):
    """A name no other test of this run uses: prefix-<pid>-<n>."""
    return "%s-%s-%d" % (prefix, _tag, next(_seq))


def api(d, method, path, body=None, want=None, token=None, **kw):
    """One request; its parsed answer. want, when given, is the status
    it must have."""
    status, h, doc = d.request(method, path, body, token=token, **kw)
    if want is not None:
        eq(status, want, "%s %s -> %s" % (method, path, doc))
    return doc


def check(cond, msg="check failed"):
    if not cond:
        raise AssertionError(msg)


def eq(got, want, what=""):
    if got != want:
        raise AssertionError("%s: got %r, want %r" % (what, got, want))


def finish(d):
    """Stops a suite's daemon and removes what it made; 1 (said as a
    failure) when the daemon did not exit cleanly (a sanitizer report),
    else 0."""
    rc = d.stop()
    bad = 0
    if rc not in (0, None):
        bad = 1
        print("FAIL daemon exited with %r (sanitizer report?)" % rc)
        print(d.read_log()[-4000:])
    if d.own_dir:
        d.drop_database()
        shutil.rmtree(d.dir, ignore_errors=True)
    return bad


def run_tests(namespace, daemon=None):
    """Runs every test_* in namespace with one shared daemon; prints the
    summary line and returns the exit code."""
    tests = sorted((n, f) for n, f in namespace.items()
                   if n.startswith("test_") and callable(f))
    only = os.environ.get("SHIPLOG_TEST")
    passed = failed = 0
    d = daemon or Daemon()
    print("backend: " + d.backend, flush=True)
    d.start()
    try:
        for name, fn in tests:
            if only and only not in name:
                continue
            try:
                fn(d)
                passed += 1
                print("ok   " + name, flush=True)
            except Exception:
                failed += 1
                print("FAIL " + name, flush=True)
                traceback.print_exc()
    finally:
        failed += finish(d)
    print("%d passed, %d failed" % (passed, failed), flush=True)
    return 1 if failed else 0
