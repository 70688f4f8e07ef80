#!/usr/bin/env python3
"""The verifiable audit log, checked by a client written from docs/audit.md.

Nothing here calls the shiplog CLI or reuses shiplog's code: the client
below (the verifier key, signed notes, checkpoints, tlog-tiles paths and
entry bundles, the RFC 9162 tree hash, inclusion and consistency proofs
as RFC 9162 sections 2.1.3 and 2.1.4 define them) is the one a user would
write from the spec, with hashlib and the cryptography package's Ed25519.

The shared daemon gets a mixed workload of more than 600 entries (two
full entry bundles and a partial one); the client verifies the whole
log, each entry against GET /v1/audit, proofs of many sizes, the tiles'
paths and caching, who may read, and that checkpoints only grow. Then,
each on a daemon and database of its own, the record is rewritten behind
the daemon's back (one entry changed, one deleted, two swapped, the tail
replaced, an entry and its leaf changed together, a checkpoint forged or
dropped): after a restart the daemon refuses writes and /readyz names the
first bad sequence number, and the client finds the same. Last, the
signing key: another one is refused, and the file is private.
"""
import base64
import calendar
import hashlib
import http.client
import json
import os
import re
import shutil
import sqlite3
import stat
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Daemon, api, check, eq, pg_sql,  # noqa: E402
                     run_tests, uniq)

try:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import \
        Ed25519PublicKey
    CRYPTO_MISSING = None
except ImportError as e:  # reported as a failure in main, never a pass
    CRYPTO_MISSING = e

LOG_ENV = {"SHIPLOG_LEADER_INTERVAL_MS": "50"}
LOG_ARGS = ["--checkpoint-interval", "50"]
WIDTH = 256
EM_DASH = "\u2014"


def log_daemon():
    """A daemon of its own (directory, database) that signs often."""
    return Daemon(env=dict(LOG_ENV), args=list(LOG_ARGS))


# ==== the independent client ====

class Bad(Exception):
    """The log does not verify. kind: key, checkpoint, signature, bundle,
    tile, entry, leaf, root, consistency, rollback; seq: the first entry
    found bad, when it is about one."""

    def __init__(self, kind, msg, seq=None):
        Exception.__init__(self, "%s: %s" % (kind, msg))
        self.kind = kind
        self.seq = seq


def fetch(d, path, token=None, auth=True):
    """GET path; (status, headers with lower-case names, body bytes)."""
    conn = http.client.HTTPConnection("127.0.0.1", d.port, timeout=30)
    h = {}
    if auth:
        h["Authorization"] = "Bearer " + (token or d.token)
    conn.request("GET", path, headers=h)
    resp = conn.getresponse()
    body = resp.read()
    hdrs = {k.lower(): v for k, v in resp.getheaders()}
    conn.close()
    return resp.status, hdrs, body


def sha256(b):
    return hashlib.sha256(b).digest()


def leaf_hash(entry):
    return sha256(b"\x00" + entry)


def node_hash(left, right):
    return sha256(b"\x01" + left + right)


def split(n):
    """The largest power of two smaller than n (n >= 2)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


class Tree:
    """RFC 9162 section 2.1 over a list of leaf hashes; subtree hashes
    are remembered, as every computation below asks for the same ones."""

    def __init__(self, leaves):
        self.leaves = leaves
        self.memo = {}

    def mth(self, lo, hi):
        """MTH(D[lo:hi])."""
        if hi - lo == 0:
            return sha256(b"")
        if hi - lo == 1:
            return self.leaves[lo]
        key = (lo, hi)
        if key not in self.memo:
            k = split(hi - lo)
            self.memo[key] = node_hash(self.mth(lo, lo + k),
                                       self.mth(lo + k, hi))
        return self.memo[key]

    def root(self, n=None):
        return self.mth(0, len(self.leaves) if n is None else n)

    def path(self, m, lo, hi):
        """PATH(m, D[lo:hi]), section 2.1.3.1."""
        if hi - lo <= 1:
            return []
        k = split(hi - lo)
        if m < k:
            return self.path(m, lo, lo + k) + [self.mth(lo + k, hi)]
        return self.path(m - k, lo + k, hi) + [self.mth(lo, lo + k)]

    def subproof(self, m, lo, hi, b):
        """SUBPROOF(m, D[lo:hi], b), section 2.1.4.1."""
        n = hi - lo
        if m == n:
            return [] if b else [self.mth(lo, hi)]
        k = split(n)
        if m <= k:
            return self.subproof(m, lo, lo + k, b) + [self.mth(lo + k, hi)]
        return self.subproof(m - k, lo + k, hi, False) + \
            [self.mth(lo, lo + k)]

    def inclusion(self, index, n):
        return self.path(index, 0, n)

    def consistency(self, m, n):
        return self.subproof(m, 0, n, True)


def verify_inclusion(index, size, leaf, proof, root):
    """RFC 9162 section 2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(first, second, first_hash, second_hash, proof):
    """RFC 9162 section 2.1.4.2; for first == second the proof is empty
    (SUBPROOF(m, D[m], true) = {}) and the roots are the same."""
    if first == second:
        return proof == [] and first_hash == second_hash
    if first < 1 or first > second or not proof:
        return False
    path = list(proof)
    if first & (first - 1) == 0:
        path = [first_hash] + path
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first_hash and sr == second_hash and sn == 0


class Key:
    """A pinned verifier key: name+hash+base64(0x01 || Ed25519 key)."""

    def __init__(self, text):
        if not text.endswith("\n") or "\n" in text[:-1]:
            raise Bad("key", "not one line: %r" % text)
        parts = text[:-1].split("+", 2)
        if len(parts) != 3 or not parts[0] or " " in parts[0]:
            raise Bad("key", "not name+hash+key: %r" % text)
        self.name, hexhash, b64 = parts
        if not re.fullmatch(r"[0-9a-f]{8}", hexhash):
            raise Bad("key", "the key hash is not 8 hex digits: %r" % text)
        raw = base64.b64decode(b64, validate=True)
        if len(raw) != 33 or raw[0] != 1:
            raise Bad("key", "not an Ed25519 key (0x01 and 32 bytes)")
        self.hash = sha256(self.name.encode() + b"\n" + raw)[:4]
        if self.hash.hex() != hexhash:
            raise Bad("key", "the key hash is %s, not %s"
                      % (self.hash.hex(), hexhash))
        self.public = Ed25519PublicKey.from_public_bytes(raw[1:])
        self.text = text


class Checkpoint:
    def __init__(self, origin, size, root, note):
        self.origin, self.size, self.root, self.note = \
            origin, size, root, note


def open_checkpoint(key, note):
    """Checks the signed note (bytes) against the pinned key; parses the
    checkpoint text: origin, size, root."""
    end = note.find(b"\n\n")
    if end < 0:
        raise Bad("checkpoint", "no blank line before the signatures")
    text, sigs = note[:end + 1], note[end + 2:]
    if not sigs.endswith(b"\n"):
        raise Bad("checkpoint", "the signature lines do not end a line")
    signed = False
    for line in sigs[:-1].decode("utf-8").split("\n"):
        m = re.fullmatch(EM_DASH + r" (\S+) ([A-Za-z0-9+/=]+)", line)
        if not m:
            raise Bad("checkpoint", "not a signature line: %r" % line)
        raw = base64.b64decode(m.group(2), validate=True)
        if m.group(1) != key.name or raw[:4] != key.hash:
            continue  # another signer's: not ours to check
        if len(raw) != 68:
            raise Bad("signature", "not 4 + 64 bytes")
        try:
            key.public.verify(raw[4:], text)
        except InvalidSignature:
            raise Bad("signature", "the signature does not verify")
        signed = True
    if not signed:
        raise Bad("signature", "no signature by the pinned key")
    lines = text.decode("utf-8").split("\n")
    if len(lines) != 4 or lines[3] != "":
        raise Bad("checkpoint", "not three lines: %r" % text)
    origin, size, root = lines[:3]
    if origin != key.name:
        raise Bad("checkpoint", "origin %r is not the key's %r"
                  % (origin, key.name))
    if not re.fullmatch(r"0|[1-9][0-9]*", size):
        raise Bad("checkpoint", "size %r" % size)
    root = base64.b64decode(root, validate=True)
    if len(root) != 32:
        raise Bad("checkpoint", "the root is not 32 bytes")
    return Checkpoint(origin, int(size), root, note)


def tile_index(n):
    """<N> in groups of three digits, all but the last prefixed with x."""
    groups = []
    while True:
        groups.append(n % 1000)
        n //= 1000
        if n == 0:
            break
    groups.reverse()
    return "/".join(["x%03d" % g for g in groups[:-1]] +
                    ["%03d" % groups[-1]])


def tile_path(level, n, w=WIDTH):
    """/v1/log/tile/<L>/<N>[.p/<W>]; level "entries" for a bundle."""
    p = "/v1/log/tile/%s/%s" % (level, tile_index(n))
    return p if w == WIDTH else p + ".p/%d" % w


def parse_bundle(body):
    out, i = [], 0
    while i < len(body):
        if i + 2 > len(body):
            raise Bad("bundle", "a length cut short")
        n = body[i] << 8 | body[i + 1]
        if i + 2 + n > len(body):
            raise Bad("bundle", "an entry cut short")
        out.append(body[i + 2:i + 2 + n])
        i += 2 + n
    return out


class View:
    """A verified log: its checkpoint, entries (bytes) and tree."""

    def __init__(self, cp, entries):
        self.cp = cp
        self.entries = entries
        self.tree = Tree([leaf_hash(e) for e in entries])
        self.n = cp.size


def verify_log(d, key, kept=(), tiles=True, token=None):
    """docs/audit.md, "Verifying the whole log": the checkpoint under the
    pinned key, every entry bundle hashed into the RFC 9162 root, which
    must be the checkpoint's; with tiles, each leaf is also compared with
    the level-0 tile (which says where a rewrite is); then a consistency
    proof from each kept (size, root). Returns a View; raises Bad."""
    status, _, note = fetch(d, "/v1/log/checkpoint", token)
    if status != 200:
        raise Bad("checkpoint", "GET /v1/log/checkpoint: %d" % status)
    cp = open_checkpoint(key, note)
    n = cp.size
    entries = []
    for idx in range((n + WIDTH - 1) // WIDTH):
        w = min(WIDTH, n - idx * WIDTH)
        status, _, body = fetch(d, tile_path("entries", idx, w), token)
        if status != 200:
            raise Bad("bundle", "%s: %d" % (tile_path("entries", idx, w),
                                            status), idx * WIDTH + 1)
        got = parse_bundle(body)
        if len(got) != w:
            raise Bad("bundle", "%d entries in bundle %d, not %d"
                      % (len(got), idx, w), idx * WIDTH + 1)
        leaves = None
        if tiles:
            status, _, leaves = fetch(d, tile_path(0, idx, w), token)
            if status != 200 or len(leaves) != 32 * w:
                raise Bad("tile", "%s: %d, %d bytes"
                          % (tile_path(0, idx, w), status, len(leaves)))
        for j, e in enumerate(got):
            seq = idx * WIDTH + j + 1
            if leaves and leaf_hash(e) != leaves[32 * j:32 * j + 32]:
                raise Bad("leaf", "entry %d is not the leaf the tree holds"
                          % seq, seq)
            try:
                doc = json.loads(e)
            except ValueError:
                raise Bad("entry", "entry %d is not JSON" % seq, seq)
            if not isinstance(doc, dict) or doc.get("seq") != seq:
                raise Bad("entry", "entry %d says seq %r"
                          % (seq, doc.get("seq")), seq)
            entries.append(e)
    view = View(cp, entries)
    if view.tree.root() != cp.root:
        raise Bad("root", "the entries' root is not the checkpoint's")
    for size, root in kept:
        if size > n:
            raise Bad("rollback", "the log shrank from %d to %d entries"
                      % (size, n))
        if size == 0:
            continue  # every tree extends the empty one
        status, _, body = fetch(d, "/v1/audit/consistency?from=%d&to=%d"
                                % (size, n), token)
        if status != 200:
            raise Bad("consistency", "from %d to %d: %d" % (size, n, status))
        proof = [base64.b64decode(h) for h in json.loads(body)["hashes"]]
        if not verify_consistency(size, n, root, cp.root, proof):
            raise Bad("consistency", "the tree of %d entries is not a "
                      "prefix of the tree of %d" % (size, n))
    return view


# ==== helpers ====

def pinned(d):
    status, h, body = fetch(d, "/v1/audit/key")
    eq(status, 200, "GET /v1/audit/key")
    check(h["content-type"].startswith("text/plain"), h)
    return Key(body.decode("utf-8"))


def audit_all(d):
    items, after = [], 0
    while True:
        page = api(d, "GET", "/v1/audit?limit=500&after=%d" % after,
                   want=200)["items"]
        items += page
        if len(page) < 500:
            return items
        after = page[-1]["seq"]


def last_seq(d):
    items = audit_all(d)
    return items[-1]["seq"] if items else 0


def synced(d, key):
    """Waits for the checkpoint that covers every audit entry; returns it
    verified."""
    want = last_seq(d)
    deadline = time.time() + 15
    while True:
        status, _, note = fetch(d, "/v1/log/checkpoint")
        if status == 200:
            cp = open_checkpoint(key, note)
            if cp.size == want:
                return cp
            check(cp.size < want, "checkpoint of %d > %d entries"
                  % (cp.size, want))
        check(time.time() < deadline, "no checkpoint of %d entries "
              "(latest: %s)" % (want, note))
        time.sleep(0.05)


def rfc3339_us(s):
    m = re.fullmatch(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)"
                     r"(?:\.(\d{1,6}))?Z", s)
    check(m, "not an RFC 3339 UTC time: %r" % s)
    secs = calendar.timegm(tuple(int(g) for g in m.groups()[:6]))
    return secs * 1000000 + int((m.group(7) or "0").ljust(6, "0"))


def b64s(hashes):
    return [base64.b64encode(h).decode() for h in hashes]


def problem(d, path, status, token=None, auth=True):
    got, h, body = fetch(d, path, token=token, auth=auth)
    eq(got, status, "GET %s: %r" % (path, body[:200]))
    eq(h.get("content-type"), "application/problem+json", path)
    doc = json.loads(body)
    eq(doc["status"], status, path)
    return doc


# ==== the shared daemon's workload ====

S = {}  # key, kept checkpoints, the world


def world(d):
    """More than 600 entries of every kind (and a partial last bundle);
    the first checkpoint is kept before."""
    if S:
        return S
    S["key"] = pinned(d)
    first = synced(d, S["key"])
    S["kept"] = [(first.size, first.root)]
    stage = api(d, "POST", "/v1/environments",
                {"name": uniq("stage"), "rank": 10}, 201)["name"]
    prod = api(d, "POST", "/v1/environments",
               {"name": uniq("prod"), "rank": 20}, 201)["name"]
    api(d, "PUT", "/v1/environments/%s/policy" % prod,
        {"approvals": [{"group": "qa", "count": 1}]}, 200)
    qa = api(d, "POST", "/v1/tokens", {"name": uniq("qa"), "role": "approver",
                                       "groups": ["qa"]}, 201)["token"]
    dev = api(d, "POST", "/v1/tokens",
              {"name": uniq("dev"), "role": "developer"}, 201)
    grant = api(d, "POST", "/v1/grants",
                {"token": dev["name"], "role": "deployer",
                 "environment": stage, "hours": 2,
                 "reason": "on call \"tonight\" \\ é ✓"}, 201)
    S["grant"] = grant["id"]
    S["stage"], S["prod"] = stage, prod
    i = 0
    while True:
        # Strings that need escaping, and UTF-8 of 2, 3 and 4 bytes.
        svc = api(d, "POST", "/v1/services",
                  {"name": uniq("svc"), "owner": "team \"%d\" \\ é" % i,
                   "tags": {"k": "v/%d ✓ 💾" % i}}, 201,
                  headers={"X-Request-Id": "rq-log-%d" % i})["name"]
        api(d, "PATCH", "/v1/services/" + svc, {"tier": 1 + i % 3}, 200)
        rel = api(d, "POST", "/v1/releases",
                  {"service": svc, "version": "1.%d.0" % i,
                   "type": "minor"}, 201)
        api(d, "PATCH", "/v1/releases/%d" % rel["id"],
            {"notes": "line one\nline two\t%d" % i}, 200)
        dep = api(d, "POST", "/v1/deployments",
                  {"release": rel["id"], "environment": stage,
                   "status": "in_progress"}, 201,
                  token=dev["token"] if i % 4 == 0 else None)
        api(d, "POST", "/v1/deployments/%d/events" % dep["id"],
            {"status": "succeeded"}, 201)
        api(d, "POST", "/v1/releases/%d/approvals" % rel["id"],
            {"environment": prod, "decision": "approve"}, 201, token=qa)
        i += 1
        if i % 10 == 0:
            api(d, "POST", "/v1/environments",
                {"name": uniq("env"), "rank": 100 + i}, 201)
        n = last_seq(d) if i >= 80 else 0
        if n > 600 and n % WIDTH != 0:
            break
    S["cp"] = synced(d, S["key"])
    return S


def view(d):
    """The whole log, verified, after the world is made."""
    w = world(d)
    synced(d, w["key"])
    return verify_log(d, w["key"], kept=w["kept"])


# ==== 1. the client and the whole log ====

def test_1_tile_paths_are_the_specs(d):
    for n, want in ((0, "000"), (5, "005"), (999, "999"),
                    (1000, "x001/000"), (1234067, "x001/x234/067"),
                    (1000000, "x001/x000/000")):
        eq(tile_index(n), want, "index %d" % n)
    eq(tile_path(0, 2, 17), "/v1/log/tile/0/002.p/17", "partial tile")
    eq(tile_path("entries", 1), "/v1/log/tile/entries/001", "bundle")
    # The tree of 0 leaves, and RFC 9162's split of 3 as 2 + 1.
    eq(Tree([]).root(), hashlib.sha256(b"").digest(), "empty root")
    a, b, c = (leaf_hash(x) for x in (b"a", b"b", b"c"))
    eq(Tree([a, b, c]).root(), node_hash(node_hash(a, b), c), "MTH(3)")


def test_2_the_whole_log_verifies(d):
    v = view(d)
    n = v.n
    eq(n, last_seq(d), "the checkpoint covers every entry")
    check(n > 600 and n // WIDTH == 2 and n % WIDTH, "2 full bundles and "
          "a partial one: %d entries" % n)
    eq(len(v.entries), n, "entries read")
    # The entries' root, computed here, is the checkpoint's.
    eq(v.tree.root(), v.cp.root, "root")
    kinds = {json.loads(e)["object_type"] for e in v.entries}
    check({"service", "environment", "release", "deployment", "approval",
           "token", "grant", "policy"} <= kinds, "a mixed log: %s" % kinds)
    check(any(json.loads(e)["via"] == "grant:%d" % S["grant"]
              for e in v.entries), "a write through a grant")
    # One entry changed by one byte: the root is another.
    forged = list(v.tree.leaves)
    forged[300] = leaf_hash(v.entries[300].replace(b'"seq":301',
                                                   b'"seq":302'))
    check(forged[300] != v.tree.leaves[300], "the forgery differs")
    check(Tree(forged).root() != v.cp.root, "a changed entry changes the root")
    # The level-0 tiles are the leaf hashes (the client compared them);
    # the level-1 tile holds the hash of each full level-0 tile.
    full = n // WIDTH
    status, h, body = fetch(d, tile_path(1, 0, full))
    eq(status, 200, "level-1 tile 000.p/%d" % full)
    eq([body[32 * i:32 * i + 32] for i in range(len(body) // 32)],
       [v.tree.mth(WIDTH * i, WIDTH * (i + 1)) for i in range(full)],
       "level-1 hashes are the full level-0 tiles' roots")
    eq(fetch(d, tile_path(1, 0, 1))[2], body[:32], "level-1 000.p/1")
    for path in (tile_path(1, 0), tile_path(1, 0, full + 1),
                 tile_path(1, 1, 1), tile_path(2, 0, 1), tile_path(2, 0)):
        eq(fetch(d, path)[0], 404, "%s does not exist below 65536 entries"
           % path)


def test_3_entries_are_the_audit_items(d):
    v = view(d)
    items = audit_all(d)[:v.n]
    eq([i["seq"] for i in items], list(range(1, v.n + 1)), "audit seqs")
    order = ["action", "actor", "at", "change", "object_id",
             "object_type", "request_id", "seq", "via"]
    for e, item in zip(v.entries, items):
        doc = json.loads(e, object_pairs_hook=lambda kv: kv)
        eq([k for k, _ in doc], order, "keys of entry %d" % item["seq"])
        doc = json.loads(e)
        canon = json.dumps(doc, sort_keys=True, separators=(",", ":"),
                           ensure_ascii=False).encode("utf-8")
        eq(e, canon, "entry %d is canonical" % item["seq"])
        for k in ("seq", "actor", "action", "object_type", "object_id",
                  "request_id", "via", "change"):
            eq(doc[k], item[k], "entry %d: %s" % (item["seq"], k))
        eq((item["before"], item["after"]), (None, None),
           "entry %d holds no whole documents" % item["seq"])
        check(isinstance(doc["at"], int), doc)
        eq(doc["at"], rfc3339_us(item["at"]), "entry %d: at" % item["seq"])
    # The strings that needed escaping are in the entries as written.
    check(any(b'"owner":"team \\"1\\" \\\\ \xc3\xa9"' in e
              for e in v.entries), "escaped owner")
    check(any(b"line one\\nline two\\t" in e for e in v.entries),
          "escaped newline and tab")
    check(any(b'"request_id":"rq-log-7"' in e for e in v.entries),
          "request id")


# ==== 2. proofs ====

def test_4_inclusion_proofs_verify(d):
    v = view(d)
    n = v.n
    sizes = sorted({1, 2, 3, 7, 8, 255, 256, 257, 511, 512, 513, n - 1, n})
    checked = 0
    for size in sizes:
        root = v.tree.root(size)
        for seq in sorted({1, 2, size // 2 + 1, 255, 256, 257, size - 1,
                           size}):
            if not 1 <= seq <= size:
                continue
            doc = api(d, "GET", "/v1/audit/%d/proof?size=%d" % (seq, size),
                      want=200)
            eq((doc["seq"], doc["leaf_index"], doc["tree_size"]),
               (seq, seq - 1, size), "proof of %d in %d" % (seq, size))
            proof = [base64.b64decode(h) for h in doc["hashes"]]
            eq(doc["hashes"], b64s(v.tree.inclusion(seq - 1, size)),
               "PATH(%d, D[%d])" % (seq - 1, size))
            leaf = v.tree.leaves[seq - 1]
            check(verify_inclusion(seq - 1, size, leaf, proof, root),
                  "entry %d is in the tree of %d" % (seq, size))
            # The verifier can say no.
            check(not verify_inclusion(seq - 1, size, leaf_hash(b"x"),
                                       proof, root), "another leaf")
            if proof:
                bad = list(proof)
                bad[-1] = sha256(bad[-1])
                check(not verify_inclusion(seq - 1, size, leaf, bad, root),
                      "a changed proof")
            checked += 1
    check(checked > 60, "%d proofs" % checked)
    # The latest size's root is the checkpoint's.
    eq(v.tree.root(n), v.cp.root, "root")


def test_5_consistency_proofs_verify(d):
    v = view(d)
    n = v.n
    pairs = [(n, n), (1, n), (256, n), (1, 1), (1, 2), (2, 3), (3, 7),
             (7, 8), (8, 16), (255, 256), (256, 257), (256, 512),
             (257, 513), (300, 600), (511, n), (n - 1, n), (513, n)]
    for m, k in pairs:
        doc = api(d, "GET", "/v1/audit/consistency?from=%d&to=%d" % (m, k),
                  want=200)
        eq((doc["from"], doc["to"]), (m, k), "consistency %d..%d" % (m, k))
        eq(doc["hashes"], b64s(v.tree.consistency(m, k)),
           "PROOF(%d, D[%d])" % (m, k))
        proof = [base64.b64decode(h) for h in doc["hashes"]]
        rm, rk = v.tree.root(m), v.tree.root(k)
        check(verify_consistency(m, k, rm, rk, proof),
              "%d is a prefix of %d" % (m, k))
        check(not verify_consistency(m, k, sha256(rm), rk, proof),
              "%d..%d: another first root" % (m, k))
        if m != k:
            check(not verify_consistency(m, k, rm, sha256(rk), proof),
                  "%d..%d: another second root" % (m, k))
            check(not verify_consistency(m, k, rm, rk, proof[:-1]),
                  "%d..%d: a shortened proof" % (m, k))
    eq(api(d, "GET", "/v1/audit/consistency?from=%d&to=%d" % (n, n),
           want=200)["hashes"], [], "m = n: no hashes")


def test_6_bad_proof_parameters_are_400(d):
    n = view(d).n
    for path in ("/v1/audit/1/proof", "/v1/audit/1/proof?size=0",
                 "/v1/audit/1/proof?size=%d" % (n + 1),
                 "/v1/audit/1/proof?size=-1", "/v1/audit/1/proof?size=abc",
                 "/v1/audit/1/proof?size=1.5", "/v1/audit/1/proof?size=",
                 "/v1/audit/5/proof?size=3", "/v1/audit/0/proof?size=3",
                 "/v1/audit/abc/proof?size=3",
                 "/v1/audit/%d/proof?size=%d" % (n + 1, n),
                 "/v1/audit/consistency", "/v1/audit/consistency?from=1",
                 "/v1/audit/consistency?to=2",
                 "/v1/audit/consistency?from=0&to=2",
                 "/v1/audit/consistency?from=3&to=2",
                 "/v1/audit/consistency?from=1&to=%d" % (n + 1),
                 "/v1/audit/consistency?from=x&to=2",
                 "/v1/audit/consistency?from=1&to=2.0"):
        problem(d, path, 400)


def test_7_who_may_read_the_log(d):
    w = world(d)
    n = view(d).n
    paths = ["/v1/log/checkpoint", tile_path(0, 0), tile_path("entries", 0),
             tile_path(0, n // WIDTH, n % WIDTH), tile_path(1, 0, 1),
             "/v1/audit/3/proof?size=%d" % n,
             "/v1/audit/consistency?from=1&to=%d" % n]
    svc = api(d, "GET", "/v1/services?limit=1", want=200)["items"][0]["name"]
    scoped = {
        "environment": {"role": "auditor", "environments": [w["stage"]]},
        "service": {"role": "auditor", "services": [svc]},
        "team": {"role": "auditor", "teams": ["team-a"]},
        "admin of an environment": {"role": "admin",
                                    "environments": [w["prod"]]},
    }
    for what, body in scoped.items():
        tok = api(d, "POST", "/v1/tokens", dict(name=uniq("scoped"), **body),
                  201)["token"]
        for path in paths:
            problem(d, path, 403, token=tok)
    dev = api(d, "POST", "/v1/tokens", {"name": uniq("dev"),
                                        "role": "developer"}, 201)["token"]
    auditor = api(d, "POST", "/v1/tokens", {"name": uniq("aud"),
                                            "role": "auditor"}, 201)["token"]
    for path in paths:
        problem(d, path, 403, token=dev)
        problem(d, path, 401, auth=False)
        eq(fetch(d, path, token=auditor)[0], 200, "auditor: " + path)
    # The unscoped auditor verifies the whole log on its own.
    verify_log(d, w["key"], kept=w["kept"], token=auditor)


def test_8_tiles_are_cached_and_paths_canonical(d):
    n = view(d).n
    full = n // WIDTH
    for path in (tile_path(0, 0), tile_path(0, 1), tile_path("entries", 0),
                 tile_path("entries", 1)):
        status, h, _ = fetch(d, path)
        eq(status, 200, path)
        check("immutable" in h.get("cache-control", ""),
              "%s: Cache-Control %r" % (path, h.get("cache-control")))
    status, h, _ = fetch(d, "/v1/log/checkpoint")
    check("immutable" not in h.get("cache-control", ""),
          "the checkpoint changes: %r" % h.get("cache-control"))
    w = n % WIDTH
    # Other spellings of tiles that exist, and tiles beyond the tree.
    for path in ("/v1/log/tile/0/0", "/v1/log/tile/0/00",
                 "/v1/log/tile/0/0000", "/v1/log/tile/0/1",
                 "/v1/log/tile/0/x000/000", "/v1/log/tile/0/x000/001",
                 "/v1/log/tile/00/000", "/v1/log/tile/0/000/",
                 "/v1/log/tile/0/000.p/0", "/v1/log/tile/0/000.p/256",
                 "/v1/log/tile/0/00%d.p/0%d" % (full, w),
                 "/v1/log/tile/0/00%d.p/" % full,
                 "/v1/log/tile/entries/0", "/v1/log/tile/entries/x000/001",
                 "/v1/log/tile/entries/000.p/00",
                 "/v1/log/tile/x0/000", "/v1/log/tile/0/+01",
                 tile_path(0, full), tile_path(0, full, w + 1),
                 tile_path(0, full + 1, 1), tile_path("entries", full),
                 tile_path("entries", full, w + 1),
                 tile_path("entries", full + 1, 1), tile_path(0, 1000, 1)):
        eq(fetch(d, path)[0], 404, path)


# ==== 3. checkpoints ====

def test_9_checkpoints_only_grow(d):
    w = world(d)
    kept = list(w["kept"])
    last = view(d)
    kept.append((last.n, last.cp.root))
    for round_ in range(3):
        for i in range(3 + round_):
            api(d, "POST", "/v1/services",
                {"name": uniq("grow"), "owner": "team-a"}, 201)
        cp = synced(d, w["key"])
        check(cp.size > last.n, "a new checkpoint after writes: %d > %d"
              % (cp.size, last.n))
        # Each checkpoint kept before is a prefix of the new tree.
        v = verify_log(d, w["key"], kept=kept)
        for size, root in kept:
            eq(v.tree.root(size), root, "the tree of %d entries" % size)
        kept.append((v.n, v.cp.root))
        last = v
    # A forged "older" root is caught by the same proof.
    size, root = kept[-2]
    try:
        verify_log(d, w["key"], kept=[(size, sha256(root))])
        raise AssertionError("a forged older root verified")
    except Bad as e:
        eq(e.kind, "consistency", str(e))


# ==== 4. rewriting the record behind the daemon's back ====

def db_run(d, sql):
    """Runs sql (statements) on the stopped daemon's database."""
    if d.backend == "sqlite":
        db = sqlite3.connect(d.db)
        try:
            db.executescript(sql)
            db.commit()
        finally:
            db.close()
    else:
        pg_sql(sql, database=d.pg_database)


def q(s):
    return "NULL" if s is None else "'" + s.replace("'", "''") + "'"


def grow_small(d, count):
    """About count entries: services created and changed, a release and
    its deployment."""
    env = api(d, "POST", "/v1/environments",
              {"name": uniq("env"), "rank": 1}, 201)["name"]
    svc = None
    for i in range(count):
        if svc and i % 3 == 2:
            api(d, "PATCH", "/v1/services/" + svc, {"tier": 1 + i % 3}, 200)
        else:
            svc = api(d, "POST", "/v1/services",
                      {"name": uniq("svc"), "owner": "team-a"}, 201)["name"]
    rel = api(d, "POST", "/v1/releases",
              {"service": svc, "version": "1.0.0", "type": "minor"}, 201)
    api(d, "POST", "/v1/deployments",
        {"release": rel["id"], "environment": env}, 201)


def refuses_writes(d, why):
    """Every write answers 503 with why, and nothing is written; reads
    are still served."""
    svc = api(d, "GET", "/v1/services?limit=1", want=200)["items"][0]["name"]
    before = audit_all(d)
    _, _, note = fetch(d, "/v1/log/checkpoint")
    name = uniq("after")
    writes = [("POST", "/v1/services", {"name": name, "owner": "team-a"}),
              ("PATCH", "/v1/services/" + svc, {"tier": 1}),
              ("POST", "/v1/environments", {"name": name, "rank": 3}),
              ("POST", "/v1/tokens", {"name": name, "role": "auditor"}),
              ("POST", "/v1/releases", {"service": svc, "version": "9.9.9",
                                        "type": "minor"}),
              ("DELETE", "/v1/services/" + svc, None)]
    for method, path, body in writes:
        status, h, doc = d.request(method, path, body)
        eq(status, 503, "%s %s: %s" % (method, path, doc))
        eq(h.get("content-type"), "application/problem+json", path)
        eq(doc["detail"], why, "%s %s says why" % (method, path))
    time.sleep(0.3)  # several leader ticks: nothing is integrated either
    eq(audit_all(d), before, "nothing written to the audit log")
    eq(d.request("GET", "/v1/services/" + name)[0], 404, "no service")
    eq(d.request("GET", "/v1/environments/" + name)[0], 404, "no env")
    eq(api(d, "GET", "/v1/services/" + svc, want=200)["name"], svc, "kept")
    eq(fetch(d, "/v1/log/checkpoint")[2], note, "no new checkpoint")
    for path in ("/v1/services", "/v1/audit", "/v1/environments",
                 "/v1/log/checkpoint", tile_path(0, 0, 1)):
        eq(d.request("GET", path)[0], 200, "read " + path)
    eq(d.request("GET", "/healthz", auth=False)[0], 200, "alive")


def rewritten(count, tamper, seq=None, names=None, kinds=("leaf", "entry"),
              grow_more=0):
    """A daemon of its own with about count entries, verified; stopped,
    its database changed by tamper(d, view), started again. The daemon
    refuses writes, /readyz names seq (the first bad entry) or each word
    of names, and the client (kind in kinds, at seq) finds it too."""
    with log_daemon() as d:
        key = pinned(d)
        grow_small(d, count)
        synced(d, key)
        early = verify_log(d, key)
        if grow_more:
            grow_small(d, grow_more)
            synced(d, key)
        v = verify_log(d, key, kept=[(early.n, early.cp.root)])
        kept = [(early.n, early.cp.root), (v.n, v.cp.root)]
        eq(d.stop(), 0, "clean stop")
        tamper(d, v)
        d.start()
        status, h, doc = d.request("GET", "/readyz", auth=False)
        eq(status, 503, "not ready: %s" % doc)
        eq(h.get("content-type"), "application/problem+json", "problem")
        why = doc["detail"]
        print("  /readyz: " + why, flush=True)
        if seq is not None:
            m = re.search(r"\baudit entry (\d+)\b", why)
            check(m, "/readyz names an entry: %r" % why)
            eq(int(m.group(1)), seq, "the first bad entry in %r" % why)
        for word in names or ():
            check(word in why, "%r names the %s" % (why, word))
        # The log line says the same.
        lines = [json.loads(ln) for ln in d.read_log().splitlines()
                 if ln.startswith("{")]
        errors = [ln for ln in lines if ln.get("level") == "error"]
        check(any(ln.get("detail") and why.endswith(ln["detail"])
                  and "rewritten" in ln.get("msg", "")
                  for ln in errors), "an error line with %r: %s"
              % (why, errors))
        refuses_writes(d, why)
        try:
            got = verify_log(d, key, kept=kept)
            raise AssertionError("the client verified a rewritten log "
                                 "(%d entries)" % got.n)
        except Bad as e:
            check(e.kind in kinds, "the client: %s (want %s)" % (e, kinds))
            if seq is not None:
                eq(e.seq, seq, "the client's first bad entry (%s)" % e)
        # Without the tiles, from the entries alone: the root (or a
        # bundle the rewrite made short) tells.
        try:
            verify_log(d, key, kept=kept, tiles=False)
            raise AssertionError("the entries' root still verified")
        except Bad as e:
            check(e.kind in ("root", "bundle", "entry") + tuple(kinds), e)


def test_t1_one_entry_changed(d):
    rewritten(300, lambda d, v: db_run(
        d, "UPDATE audit SET actor = 'mallory' WHERE seq = 100"), seq=100)


def test_t2_one_entry_deleted(d):
    rewritten(300, lambda d, v: db_run(
        d, "DELETE FROM audit WHERE seq = 200"), seq=200)


def test_t3_two_entries_swapped(d):
    cols = ["at", "actor", "action", "object_type", "object_id",
            "request_id", "change", "environment", "service", "via"]
    sql = ("CREATE TEMP TABLE swap AS SELECT * FROM audit WHERE seq IN "
           "(150, 280); UPDATE audit SET %s WHERE seq IN (150, 280); "
           "DROP TABLE swap;" % ", ".join(
               "%s = (SELECT s.%s FROM swap s WHERE s.seq = 430 - audit.seq)"
               % (c, c) for c in cols))
    rewritten(300, lambda d, v: db_run(d, sql), seq=150)


def test_t4_tail_replaced(d):
    def tamper(d, v):
        at = json.loads(v.entries[-1])["at"]
        rows = ", ".join(
            "(%d, %d, 'mallory', 'service.create', 'service', %s, NULL, "
            "NULL, %s, NULL)" % (s, at + s, q("forged-%d" % s),
                                 q('{"name":"forged-%d"}' % s))
            for s in range(40, v.n + 1))
        db_run(d, "DELETE FROM audit WHERE seq >= 40; INSERT INTO audit "
               "(seq, at, actor, action, object_type, object_id, "
               "request_id, before, after, via) VALUES " + rows + ";")
    rewritten(60, tamper, seq=40)


def test_t5_entry_and_its_leaf_changed(d):
    """The entry and the leaf hash its level-0 tile holds, changed
    together: the tiles no longer give the signed root."""
    def tamper(d, v):
        k = 10  # in the first, full, level-0 tile
        e = v.entries[k - 1].replace(b'"actor":"admin"',
                                     b'"actor":"mallory"')
        check(e != v.entries[k - 1], "the forged entry differs")
        leaves = list(v.tree.leaves[:WIDTH])
        leaves[k - 1] = leaf_hash(e)
        db_run(d, "UPDATE audit SET actor = 'mallory' WHERE seq = %d; "
               "UPDATE log_tiles SET hashes = '%s' WHERE level = 0 AND "
               "idx = 0;" % (k, b"".join(leaves).hex()))
    rewritten(300, tamper, names=["tile 0/0 "], kinds=("root",))


def test_t6_checkpoint_signature_changed(d):
    def tamper(d, v):
        note = v.cp.note.decode("utf-8")
        head, sig = note.rsplit(" ", 1)
        i = 20  # inside the signature, past the key hash
        forged = head + " " + sig[:i] + ("A" if sig[i] != "A" else "B") + \
            sig[i + 1:]
        db_run(d, "UPDATE log_checkpoints SET note = %s WHERE size = %d"
               % (q(forged), v.n))
    rewritten(30, tamper, names=["checkpoint", "the signature"],
              kinds=("signature",))


def test_t7_checkpoint_root_changed(d):
    def tamper(d, v):
        note = v.cp.note.decode("utf-8")
        old = base64.b64encode(v.cp.root).decode()
        new = base64.b64encode(sha256(b"another root")).decode()
        check(note.count("\n" + old + "\n") == 1, note)
        db_run(d, "UPDATE log_checkpoints SET note = %s, root = '%s' "
               "WHERE size = %d" % (q(note.replace(old, new)),
                                    sha256(b"another root").hex(), v.n))
    rewritten(30, tamper, names=["checkpoint", "the signature"],
              kinds=("signature",))


def test_t8_latest_checkpoint_dropped(d):
    """The latest checkpoint deleted: what is left verifies on its own
    (a real, older checkpoint), but not against the copy kept."""
    def tamper(d, v):
        db_run(d, "DELETE FROM log_checkpoints WHERE size = %d" % v.n)
    rewritten(30, tamper, names=["checkpoint"], kinds=("rollback",),
              grow_more=10)


def test_t9_a_tile_that_is_no_tile_leaves_reads_and_refuses_writes(d):
    """A tile's stored hashes overwritten with junk: the daemon still
    starts and serves reads, but is not ready and takes no writes."""
    with log_daemon() as d:
        key = pinned(d)
        grow_small(d, 20)
        synced(d, key)
        eq(d.stop(), 0, "clean stop")
        db_run(d, "UPDATE log_tiles SET hashes = 'not hex' "
               "WHERE level = 0 AND idx = 0")
        d.start()
        status, _, doc = d.request("GET", "/readyz", auth=False)
        eq(status, 503, "not ready")
        check("tile 0/0" in doc["detail"], doc["detail"])
        eq(d.request("GET", "/v1/services")[0], 200, "reads are served")
        before = audit_all(d)
        status, _, w = d.request("POST", "/v1/services",
                                 {"name": uniq("svc"), "owner": "team-a"})
        eq((status, w["detail"]), (503, doc["detail"]), "no write")
        eq(audit_all(d), before, "nothing written")
        # The damaged tile itself cannot be served: 500, not a lie.
        eq(d.request("GET", tile_path(0, 0, 1))[0], 500, "tile 0/0")


def test_u_untampered_restart_is_ready_and_writes(d):
    with log_daemon() as d:
        key = pinned(d)
        grow_small(d, 20)
        synced(d, key)
        v = verify_log(d, key)
        eq(d.stop(), 0, "clean stop")
        d.start()
        eq(d.request("GET", "/readyz", auth=False)[0], 200, "ready")
        eq(pinned(d).text, key.text, "the same key")
        api(d, "POST", "/v1/services", {"name": uniq("svc"),
                                        "owner": "team-a"}, 201)
        synced(d, key)
        w = verify_log(d, key, kept=[(v.n, v.cp.root)])
        eq(w.n, v.n + 1, "one more entry, signed")


def test_w_entries_written_before_patches_keep_their_bytes(d):
    """A log from before entries were patches (schema 6: two whole
    documents each) migrates forward: those entries keep their bytes,
    the tree covers them and the ones after them alike."""
    with log_daemon() as d:
        key = pinned(d)
        grow_small(d, 5)
        synced(d, key)
        v = verify_log(d, key)
        eq(d.stop(), 0, "clean stop")
        before = '{"name":"legacy","owner":"team \\"q\\"","revision":1}'
        after = '{"name":"legacy","owner":"team-z","revision":2}'
        rows = [(v.n + 1, before, after, "grant:7"), (v.n + 2, after, None,
                                                      None)]
        db_run(d, "".join(
            "INSERT INTO audit (seq, at, actor, action, object_type,"
            " object_id, request_id, before, after, via) VALUES (%d,"
            " 1764496800000001, 'old-admin', 'service.update', 'service',"
            " 'legacy', 'rq-old', %s, %s, %s);" % (seq, q(b), q(a), q(via))
            for seq, b, a, via in rows))
        d.start()
        eq(d.request("GET", "/readyz", auth=False)[0], 200, "ready")
        api(d, "POST", "/v1/services", {"name": uniq("svc"),
                                        "owner": "team-a"}, 201)
        synced(d, key)
        w = verify_log(d, key, kept=[(v.n, v.cp.root)])
        eq(w.n, v.n + 3, "both old entries and a new one in the tree")
        for (seq, b, a, via), e in zip(rows, w.entries[v.n:v.n + 2]):
            want = ('{"action":"service.update","actor":"old-admin",'
                    '"after":%s,"at":1764496800000001,"before":%s,'
                    '"object_id":"legacy","object_type":"service",'
                    '"request_id":"rq-old","seq":%d,"via":%s}'
                    % (a or "null", b, seq,
                       '"%s"' % via if via else "null")).encode()
            eq(e, want, "entry %d keeps the bytes it had" % seq)
        check(b'"change":[{"op":"add","path":"",' in w.entries[-1],
              w.entries[-1])
        items = audit_all(d)[v.n:v.n + 2]
        eq([(i["change"], i["before"]["revision"]) for i in items],
           [(None, 1), (None, 2)], "the old entries as the API lists them")
        eq(items[1]["after"], None, "and the deletion")


# ==== 5. the signing key ====

def refused_start(d, args, words):
    """Starting with args fails: a non-zero exit, and an error line whose
    message holds each of words."""
    d.extra_args = list(LOG_ARGS) + args
    seen = len(d.read_log())
    try:
        d.start()
        raise AssertionError("started with %s" % args)
    except RuntimeError as e:
        check("exited early" in str(e), e)
    finally:
        rc = d.stop()
        d.extra_args = list(LOG_ARGS)
    check(rc not in (0, None), "exit code %r" % rc)
    errors = [json.loads(ln) for ln in d.read_log()[seen:].splitlines()
              if ln.startswith("{") and '"error"' in ln]
    check(any(all(w in ln.get("msg", "") for w in words) for ln in errors),
          "an error line naming %s: %s" % (words, errors))


def test_v_the_log_key(d):
    with log_daemon() as d, log_daemon() as other:
        key = pinned(d)
        mode = stat.S_IMODE(os.stat(d.log_key).st_mode)
        eq(oct(mode), oct(0o600), "%s is private" % d.log_key)
        if d.backend == "sqlite":
            eq(d.log_key, d.db + ".log-key", "next to the database")
        api(d, "POST", "/v1/services", {"name": uniq("svc"),
                                        "owner": "team-a"}, 201)
        synced(d, key)
        eq(d.stop(), 0, "clean stop")
        # A fresh path: the daemon would make a new key; it refuses.
        fresh = os.path.join(d.dir, "fresh.log-key")
        refused_start(d, ["--log-key", fresh], [fresh, "key", key.name])
        check(not os.path.exists(fresh), "no key created at " + fresh)
        # Another log's key: the message names the file and this log's
        # verifier key.
        alien = os.path.join(d.dir, "alien.log-key")
        shutil.copy(other.log_key, alien)
        check(pinned(other).text != key.text, "another key")
        refused_start(d, ["--log-key", alien],
                      [alien, "key", key.text.strip()])
        # Its own key again: ready, the same log.
        d.start()
        eq(d.request("GET", "/readyz", auth=False)[0], 200, "ready")
        eq(pinned(d).text, key.text, "the same key")
        api(d, "POST", "/v1/services", {"name": uniq("svc"),
                                        "owner": "team-a"}, 201)
        synced(d, key)
        verify_log(d, key)


def main():
    if CRYPTO_MISSING is not None:
        print("FAIL test_log: the cryptography package cannot be imported "
              "(%s); scripts/setup installs it (python3-cryptography). "
              "Nothing was verified." % CRYPTO_MISSING, flush=True)
        print("0 passed, 1 failed", flush=True)
        return 1
    return run_tests(globals(), daemon=log_daemon())


if __name__ == "__main__":
    sys.exit(main())
