#!/usr/bin/env python3
"""GET /v1/stream: every change the caller may see, as Server-Sent Events
whose ids are audit sequence numbers; Last-Event-ID resumes without a gap;
filters and token scopes hold; a subscriber that reads nothing is let go
without holding up writes; a stream ends with its token or session.

The daemon here keeps 16 KiB per subscriber and lets one go after 1.5 s
without progress (SHIPLOG_STREAM_BUFFER_KB, SHIPLOG_STREAM_STALL_MS), so
the stall test needs hundreds of events, not tens of thousands.
"""
import json
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Daemon, api, check, eq, run_tests, uniq  # noqa: E402


class Stream:
    """A raw HTTP/1.1 connection reading one event stream."""

    def __init__(self, d, path="/v1/stream", token=None, headers=None,
                 rcvbuf=None):
        self.sock = socket.socket()
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.connect(("127.0.0.1", d.port))
        h = {"Host": "127.0.0.1", "Accept": "text/event-stream"}
        if token is not False:
            h["Authorization"] = "Bearer " + (token or d.token)
        h.update(headers or {})
        req = "GET %s HTTP/1.1\r\n%s\r\n" % (
            path, "".join("%s: %s\r\n" % kv for kv in h.items()))
        self.sock.sendall(req.encode())
        self.buf = b""
        self.status, self.headers = self._head()
        self.chunk_left = 0
        self.text = ""
        self.ended = False

    def _read_more(self, timeout):
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            return False
        except ConnectionResetError:
            data = b""
        if not data:
            self.ended = True
            return False
        self.buf += data
        return True

    def _head(self):
        while b"\r\n\r\n" not in self.buf:
            if not self._read_more(10):
                raise AssertionError("no response head: %r" % self.buf)
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode().split("\r\n")
        status = int(lines[0].split()[1])
        hdrs = {}
        for line in lines[1:]:
            k, v = line.split(":", 1)
            hdrs[k.strip().lower()] = v.strip()
        return status, hdrs

    def _dechunk(self):
        """Moves whole chunk bodies from buf into text."""
        while True:
            if self.chunk_left == 0:
                if b"\r\n" not in self.buf:
                    return
                size, rest = self.buf.split(b"\r\n", 1)
                n = int(size.split(b";")[0], 16)
                if n == 0:
                    self.ended = True
                    return
                self.chunk_left = n + 2  # the body and its CRLF
                self.buf = rest
            take = min(self.chunk_left, len(self.buf))
            if take == 0:
                return
            part = self.buf[:take]
            self.buf = self.buf[take:]
            self.chunk_left -= take
            if self.chunk_left < 2:
                part = part[:len(part) - (2 - self.chunk_left)]
            self.text += part.decode()

    def events(self, count, timeout=10):
        """Waits for count events (comments skipped); returns them as
        dicts of their fields, data parsed."""
        end = time.time() + timeout
        while True:
            self._dechunk()
            blocks = self.text.split("\n\n")
            evs = []
            for b in blocks[:-1]:
                fields = {}
                for line in b.split("\n"):
                    if not line or line.startswith(":"):
                        continue
                    k, _, v = line.partition(": ")
                    fields[k] = v
                if "data" in fields:
                    fields["data"] = json.loads(fields["data"])
                    evs.append(fields)
            if len(evs) >= count or self.ended or time.time() > end:
                return evs
            self._read_more(max(0.05, end - time.time()))

    def wait_end(self, timeout):
        end = time.time() + timeout
        while not self.ended and time.time() < end:
            self._dechunk()
            if not self.ended:
                self._read_more(0.2)
        return self.ended

    def close(self):
        self.sock.close()


def entries_after(d, seq):
    doc = api(d, "GET", "/v1/audit?after=%d&limit=500" % seq, want=200)
    return doc["items"]


def last_seq(d):
    items = entries_after(d, 0)
    doc = {"next_cursor": True}
    while len(items) % 500 == 0 and items and doc["next_cursor"]:
        doc = api(d, "GET", "/v1/audit?after=%d&limit=500" %
                  items[-1]["seq"], want=200)
        items += doc["items"]
    return items[-1]["seq"] if items else 0


def make_env(d, name, rank):
    api(d, "POST", "/v1/environments", {"name": name, "rank": rank},
        want=201)


def make_service(d, name):
    api(d, "POST", "/v1/services", {"name": name, "owner": "team-s"},
        want=201)


def test_a_stream_sends_each_new_entry_with_its_sequence_number_as_id(d):
    s = Stream(d)
    eq(s.status, 200, "stream")
    check(s.headers["content-type"].startswith("text/event-stream"),
          s.headers)
    eq(s.headers.get("cache-control"), "no-cache", "not cached")
    svc = uniq("svc")
    make_service(d, svc)
    make_env(d, uniq("env"), 700)
    evs = s.events(2)
    s.close()
    eq(len(evs), 2, "two events")
    eq(evs[0]["event"], "service.create", "first")
    eq(evs[0]["data"]["object_id"], svc, "about the service")
    eq(evs[0]["data"]["service"], svc, "its service")
    eq(evs[1]["event"], "environment.create", "second")
    for e in evs:
        eq(int(e["id"]), e["data"]["seq"], "id is the sequence number")
    entry = [x for x in entries_after(d, int(evs[0]["id"]) - 1)
             if x["seq"] == int(evs[0]["id"])][0]
    eq(entry["action"], "service.create", "the entry behind the event")
    eq(entry["actor"], evs[0]["data"]["actor"], "its actor")
    eq(int(evs[1]["id"]), int(evs[0]["id"]) + 1, "gap-free")


def test_last_event_id_resumes_exactly_after_the_last_event_seen(d):
    s = Stream(d)
    make_service(d, uniq("svc"))
    first = s.events(1)
    s.close()
    seen = int(first[0]["id"])
    names = [uniq("svc") for _ in range(5)]
    for n in names:
        make_service(d, n)
    s = Stream(d, headers={"Last-Event-ID": str(seen)})
    evs = s.events(5)
    s.close()
    want = [e["seq"] for e in entries_after(d, seen)][:5]
    eq([int(e["id"]) for e in evs], want, "every entry after, in order")
    eq([e["data"]["object_id"] for e in evs], names, "the services made")


def test_a_bad_last_event_id_is_refused(d):
    for bad in ("x", "-1", "1.5", "+3"):
        s = Stream(d, headers={"Last-Event-ID": bad})
        eq(s.status, 422, "Last-Event-ID %r" % bad)
        s.close()


def test_filters_keep_only_their_environment_or_service(d):
    svc, other = uniq("svc"), uniq("svc")
    s_svc = Stream(d, "/v1/stream?service=" + svc)
    start = last_seq(d)
    make_service(d, other)
    make_service(d, svc)
    evs = s_svc.events(1)
    more = s_svc.events(2, timeout=1)
    s_svc.close()
    eq([e["data"]["object_id"] for e in evs], [svc], "only its service")
    eq(len(more), 1, "and nothing of the other")
    check(int(evs[0]["id"]) > start + 1, "the other's entry was skipped")
    env = uniq("env")
    s_env = Stream(d, "/v1/stream?environment=" + env)
    make_env(d, uniq("env"), 701)
    make_env(d, env, 702)
    evs = s_env.events(1)
    s_env.close()
    eq([e["data"]["object_id"] for e in evs], [env], "only its environment")


def test_a_scoped_token_sees_only_its_environments(d):
    staging, prod = uniq("staging"), uniq("prod")
    make_env(d, staging, 710)
    make_env(d, prod, 711)
    tok = api(d, "POST", "/v1/tokens", {"name": uniq("ci"),
                                        "role": "developer",
                                        "environments": [staging]},
              want=201)
    s = Stream(d, token=tok["token"])
    # Policies belong to an environment: one in each.
    for env in (prod, staging):
        api(d, "PUT", "/v1/environments/%s/policy" % env,
            {"approvals": []}, want=200)
    evs = s.events(1)
    extra = s.events(2, timeout=1)
    s.close()
    eq(len(extra), 1, "one event only: %s" % extra)
    eq(evs[0]["data"]["environment"], staging, "its environment only")


def test_a_stream_needs_a_token(d):
    s = Stream(d, token=False)
    eq(s.status, 401, "no token")
    s.close()


def test_a_subscriber_that_reads_nothing_is_let_go_and_writes_go_on(d):
    let_go = d.metric("shiplog_stream_let_go_total")
    stuck = Stream(d, rcvbuf=4096)
    reader = Stream(d)
    eq(stuck.status, 200, "stream")
    # (Streams closed by earlier tests count until their next keepalive.)
    subs = d.metric("shiplog_stream_subscribers")
    check(subs >= 2, "both counted: %d" % subs)
    # Writes go on until the server has let the stuck one go: its 16 KiB
    # buffer, the socket's and the kernel's hold fill after some hundred
    # events (how many depends on the kernel), and it is let go 1.5 s
    # after it last took anything.
    n = 0
    t0 = time.time()
    while d.metric("shiplog_stream_let_go_total") == let_go:
        check(n < 6000, "the stuck subscriber was let go")
        for i in range(100):
            api(d, "POST", "/v1/services",
                {"name": uniq("bulk"), "owner": "team-bulk"}, want=201)
        n += 100
    took = time.time() - t0
    eq(d.metric("shiplog_stream_let_go_total"), let_go + 1, "one let go")
    # The one that reads got every event, in order.
    evs = reader.events(n, timeout=60)
    eq(len(evs), n, "a reading subscriber gets them all")
    ids = [int(e["id"]) for e in evs]
    eq(ids, list(range(ids[0], ids[0] + n)), "gap-free")
    # The stuck one's connection ends without it reading more than what
    # the kernel already holds, and short of the last event.
    check(stuck.wait_end(15), "the stuck subscriber's connection ended")
    got = stuck.events(n, timeout=0.5)
    check(len(got) < n, "it got %d of %d events" % (len(got), n))
    stuck.close()
    check(d.metric("shiplog_stream_subscribers") < subs,
          "the stuck one is no longer counted")
    reader.close()
    check(took < 300, "writes finished (%.1f s)" % took)


def test_signing_out_or_revoking_ends_the_stream(d):
    tok = api(d, "POST", "/v1/tokens", {"name": uniq("p"),
                                        "role": "developer"}, want=201)
    status, h, doc = d.request("POST", "/v1/session",
                               {"token": tok["token"]}, auth=False)
    eq(status, 201, "sign in")
    cookie = h["set-cookie"].split(";")[0]
    s = Stream(d, token=False, headers={"Cookie": cookie})
    eq(s.status, 200, "a stream by the session cookie")
    t = Stream(d, token=tok["token"])
    eq(t.status, 200, "a stream by the token")
    status, _, _ = d.request("DELETE", "/v1/session", auth=False,
                             headers={"Cookie": cookie,
                                      "X-CSRF-Token": doc["csrf_token"]})
    eq(status, 204, "sign out")
    check(s.wait_end(5), "the session's stream ended")
    check(not t.wait_end(0.5), "the token's own stream goes on")
    api(d, "DELETE", "/v1/tokens/%d" % tok["id"], want=204)
    check(t.wait_end(5), "revoking the token ended its stream")
    s.close()
    t.close()


if __name__ == "__main__":
    sys.exit(run_tests(globals(), Daemon(env={
        "SHIPLOG_STREAM_BUFFER_KB": "16",
        "SHIPLOG_STREAM_STALL_MS": "1500",
    })))
