// audit.js - the audit browser at /audit: entries filtered by object,
// actor, action and time (filters in the query string, so a link can carry
// them), each entry's change shown as a diff, and the signed log checked in
// the browser itself. The page reads the log's verifier key and latest
// checkpoint, verifies the checkpoint's Ed25519 signature with WebCrypto,
// recomputes every displayed entry's bytes as docs/audit.md specifies and
// checks its RFC 9162 inclusion proof against the signed root, so what it
// says about an entry does not rest on the server's word. ChangeList is
// also used by the release page.
import { useEffect, useRef, useState } from 'preact/hooks';
import * as api from '../api.js';
import { can, html, Loading, navigate, NotAllowed, Problem, queryOf, Time, toLocal, toUtc, useLoad } from '../ui.js';

const FILTERS = ['actor', 'action', 'object_type', 'object_id', 'from', 'to', 'after'];
const PAGE = 50;
const OBJECT_TYPES = [
  'approval', 'change_request', 'checklist', 'deployment', 'environment', 'grant',
  'import', 'policy', 'release', 'review', 'service', 'session', 'token', 'window',
];
// How many proofs the page asks for at once, and how often (and how many
// times) it reads the checkpoint again while displayed entries wait for one.
const PARALLEL = 6;
const POLL_MS = 2000;
const POLLS = 15;

// ---------------------------------------------------------------------------
// Bytes, hashes and signatures. Everything below works on the bytes the
// specification names, in the browser, with WebCrypto.

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder('utf-8', { fatal: true });

// A refusal to verify, with the sentence the page shows.
class Unverified extends Error {}

// WebCrypto exists only in a secure context (HTTPS or localhost); say so
// rather than fail obscurely.
function subtle() {
  const s = globalThis.crypto && globalThis.crypto.subtle;
  if (!s) throw new Unverified('this page was not opened over HTTPS, so the browser offers no WebCrypto to verify with');
  return s;
}

async function sha256(...parts) {
  const size = parts.reduce((n, p) => n + p.length, 0);
  const all = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return new Uint8Array(await subtle().digest('SHA-256', all));
}

const sameBytes = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

// Standard base64 with padding, refused when it is anything else.
function unbase64(s, what) {
  if (typeof s !== 'string' || !/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(s)) {
    throw new Unverified(`${what} is not base64`);
  }
  return Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
}

// RFC 9162 section 2.1: a leaf is SHA-256(0x00 || entry), a node
// SHA-256(0x01 || left || right).
const leafHash = (bytes) => sha256(Uint8Array.of(0), bytes);
const nodeHash = (left, right) => sha256(Uint8Array.of(1), left, right);

// RFC 9162 section 2.1.3.2: whether the proof leads from the leaf at index
// in a tree of size leaves to root. Plain arithmetic rather than bit
// operators, which JavaScript cuts to 32 bits.
async function verifyInclusion(index, size, leaf, proof, root) {
  if (index >= size) return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  const odd = (n) => n % 2 === 1;
  const half = (n) => Math.floor(n / 2);
  for (const p of proof) {
    if (sn === 0) return false;
    if (odd(fn) || fn === sn) {
      r = await nodeHash(p, r);
      if (!odd(fn)) {
        while (!odd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && sameBytes(r, root);
}

// RFC 9162 section 2.1.4.2: whether the tree of second leaves (root
// secondHash) extends the tree of first leaves (root firstHash).
async function verifyConsistency(first, second, firstHash, secondHash, proof) {
  if (first === second) return proof.length === 0 && sameBytes(firstHash, secondHash);
  if (first < 1 || first > second || proof.length === 0) return false;
  const odd = (n) => n % 2 === 1;
  const half = (n) => Math.floor(n / 2);
  let m = first;
  while (m % 2 === 0) m /= 2;
  const path = m === 1 ? [firstHash, ...proof] : [...proof];
  let fn = first - 1;
  let sn = second - 1;
  while (odd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr = path[0];
  let sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (odd(fn) || fn === sn) {
      fr = await nodeHash(c, fr);
      sr = await nodeHash(c, sr);
      if (!odd(fn)) {
        while (!odd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      sr = await nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sameBytes(fr, firstHash) && sameBytes(sr, secondHash) && sn === 0;
}

// A C2SP signed-note verifier key, name+hexhash+base64(0x01 || key): its
// parts, its key hash computed here (the first 4 bytes of
// SHA-256(name || "\n" || 0x01 || key)) and the WebCrypto key to verify with.
async function openKey(text) {
  const line = String(text).replace(/\r?\n$/, '').trim();
  // The name holds no '+'; the base64 of the key may.
  const m = /^([^+\s]+)\+([^+]*)\+(.*)$/.exec(line);
  if (!m) throw new Unverified('the key is not in the form name+hash+key');
  const [, name, stated, b64] = m;
  if (!/^[0-9a-f]{8}$/.test(stated)) throw new Unverified('the key hash is not 8 hex digits');
  const raw = unbase64(b64, 'the key');
  if (raw.length !== 33 || raw[0] !== 1) throw new Unverified('the key is not an Ed25519 key (0x01 and 32 bytes)');
  const hash = (await sha256(utf8.encode(`${name}\n`), raw)).slice(0, 4);
  if (hex(hash) !== stated) throw new Unverified(`the key says its hash is ${stated}, but it hashes to ${hex(hash)}`);
  let key;
  try {
    key = await subtle().importKey('raw', raw.slice(1), { name: 'Ed25519' }, false, ['verify']);
  } catch (e) {
    if (e instanceof Unverified) throw e;
    throw new Unverified(`this browser cannot verify Ed25519 signatures (${e.name || e})`);
  }
  return { text: line, name, hash, hashHex: hex(hash), key };
}

// Opens a signed checkpoint (C2SP tlog-checkpoint) with the key: answers
// origin, size and root, and whether a signature line by the key verifies
// over the text above the blank line (its last newline included), with
// the reason when it does not.
async function openCheckpoint(note, key) {
  const end = note.indexOf('\n\n');
  if (end < 0) throw new Unverified('the checkpoint has no blank line before its signatures');
  const text = note.slice(0, end + 1);
  const lines = text.split('\n');
  if (lines.length !== 4) throw new Unverified('the checkpoint is not three lines');
  const [origin, sizeText, rootText] = lines;
  if (!/^(0|[1-9][0-9]{0,15})$/.test(sizeText)) throw new Unverified(`the checkpoint's size ${sizeText} is not a number`);
  const root = unbase64(rootText, "the checkpoint's root");
  if (root.length !== 32) throw new Unverified("the checkpoint's root is not 32 bytes");
  const cp = { origin, size: Number(sizeText), root, rootText, signed: false, reason: null };
  if (origin !== key.name) {
    cp.reason = `its origin ${origin} is not the key's name ${key.name}`;
    return cp;
  }
  const sigLines = note.slice(end + 2).split('\n').filter((l) => l !== '');
  let mine = 0;
  for (const l of sigLines) {
    const m = /^\u2014 (\S+) ([A-Za-z0-9+/=]+)$/.exec(l);
    if (!m || m[1] !== key.name) continue;
    let raw;
    try {
      raw = unbase64(m[2], 'a signature');
    } catch {
      continue;
    }
    if (raw.length < 4 || !sameBytes(raw.slice(0, 4), key.hash)) continue;
    mine++;
    if (raw.length !== 68) continue;
    if (await subtle().verify('Ed25519', key.key, raw.slice(4), utf8.encode(text))) {
      cp.signed = true;
      return cp;
    }
  }
  cp.reason = mine ? 'its signature by this key does not verify' : 'it carries no signature by this key';
  return cp;
}

// An RFC 3339 UTC time as the integer microseconds an entry holds. The
// list writes six fraction digits whenever there is a fraction, so the
// number is exact; anything else is refused.
function micros(at) {
  const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?Z$/.exec(at || '');
  if (!m) throw new Unverified(`its time ${at} is not an RFC 3339 UTC time`);
  const d = new Date(0);
  d.setUTCFullYear(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  d.setUTCHours(Number(m[4]), Number(m[5]), Number(m[6]), 0);
  return d.getTime() * 1000 + Number((m[7] || '0').padEnd(6, '0'));
}

// Keys in byte order of their UTF-8 (the same as code point order, which
// is not JavaScript's UTF-16 order).
function byteOrder(a, b) {
  const x = Array.from(a, (c) => c.codePointAt(0));
  const y = Array.from(b, (c) => c.codePointAt(0));
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

// Canonical JSON text as docs/audit.md writes it: objects with keys in
// byte order, no whitespace, strings as RFC 8785 writes them (which is how
// JSON.stringify writes a string) and numbers in their shortest form.
function canon(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `[${v.map(canon).join(',')}]`;
  switch (typeof v) {
    case 'boolean':
      return v ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(v)) throw new Unverified('it holds a number JSON cannot write');
      return JSON.stringify(v);
    case 'string':
      return JSON.stringify(v);
    case 'object':
      return `{${Object.keys(v).sort(byteOrder).map((k) => `${JSON.stringify(k)}:${canon(v[k])}`).join(',')}}`;
    default:
      throw new Unverified(`it holds a ${typeof v}`);
  }
}

// The entry as its bytes hold it: a change entry, or one written before
// changes were patches (before and after in place of change).
function entryDoc(item) {
  const doc = {
    action: item.action, actor: item.actor, at: micros(item.at), object_id: item.object_id,
    object_type: item.object_type, request_id: item.request_id, seq: item.seq, via: item.via,
  };
  if (item.change === null && (item.before !== null || item.after !== null)) {
    doc.before = item.before;
    doc.after = item.after;
  } else {
    doc.change = item.change;
  }
  return doc;
}

const entryBytes = (item) => utf8.encode(canon(entryDoc(item)));

// The first field in which the listed entry and the entry parsed from the
// log's own bytes differ, or null.
function firstDifference(item, exact) {
  const mine = entryDoc(item);
  const keys = [...new Set([...Object.keys(mine), ...Object.keys(exact)])].sort(byteOrder);
  return keys.find((k) => !(k in mine) || !(k in exact) || canon(mine[k]) !== canon(exact[k])) || null;
}

// A tile index in tlog-tiles form: groups of three digits, all but the last
// prefixed with x.
function tileIndex(n) {
  const groups = [];
  do {
    groups.unshift(n % 1000);
    n = Math.floor(n / 1000);
  } while (n > 0);
  return groups.map((g, i) => `${i < groups.length - 1 ? 'x' : ''}${String(g).padStart(3, '0')}`).join('/');
}

// The entries of one bundle of the log (C2SP tlog-tiles: each entry as a
// two-byte length and its bytes).
async function logBundle(n, width) {
  let body;
  try {
    body = await api.logTile(`entries/${tileIndex(n)}${width === 256 ? '' : `.p/${width}`}`);
  } catch (e) {
    throw new Unverified(`the log did not serve its entry bundle (${e.status}: ${e.detail})`);
  }
  const out = [];
  for (let i = 0; i < body.length;) {
    if (i + 2 > body.length) throw new Unverified('the entry bundle is cut short');
    const len = (body[i] << 8) | body[i + 1];
    if (i + 2 + len > body.length) throw new Unverified('the entry bundle is cut short');
    out.push(body.slice(i + 2, i + 2 + len));
    i += 2 + len;
  }
  return out;
}

// Verifies one listed entry against a checkpoint whose signature verified:
// answers {state: 'ok'|'bad'|'later', size, reason, exact}. The leaf is the
// entry's bytes recomputed from what the list shows; its index is seq − 1,
// never the server's word. When that leaf is not in the tree, the page
// reads the log's exact bytes of the entry: if those are in the tree and
// say what the list says (a number the list cannot write back
// byte for byte, say 1.0), the entry is verified from them; otherwise the
// reason names what disagrees.
async function verifyEntry(item, cp, bundles) {
  const size = cp.size;
  if (item.seq > size) return { state: 'later', size };
  const index = item.seq - 1;
  let leaf = null;
  let why = null;
  try {
    leaf = await leafHash(entryBytes(item));
  } catch (e) {
    if (!(e instanceof Unverified)) throw e;
    why = e.message;
  }
  const doc = await api.auditProof(item.seq, size);
  const proof = (doc.hashes || []).map((h) => unbase64(h, 'a proof hash'));
  if (proof.some((h) => h.length !== 32)) return { state: 'bad', size, reason: 'its proof holds a hash that is not 32 bytes' };
  if (leaf && (await verifyInclusion(index, size, leaf, proof, cp.root))) return { state: 'ok', size };

  const tile = Math.floor(index / 256);
  const width = Math.min(256, size - tile * 256);
  const key = `${tile}/${width}`;
  if (!bundles.has(key)) bundles.set(key, logBundle(tile, width));
  let exactBytes;
  try {
    exactBytes = (await bundles.get(key))[index % 256];
  } catch (e) {
    bundles.delete(key);
    if (!(e instanceof Unverified)) throw e;
    return { state: 'bad', size, reason: `the entry as listed is not in the signed tree, and ${e.message}` };
  }
  if (!exactBytes) return { state: 'bad', size, reason: 'the entry as listed is not in the signed tree, and the log serves no bytes for it' };
  if (!(await verifyInclusion(index, size, await leafHash(exactBytes), proof, cp.root))) {
    return { state: 'bad', size, reason: "neither the entry as listed nor the log's own bytes of it lead to the signed root: the entry or its proof was changed" };
  }
  let exact;
  try {
    exact = JSON.parse(fromUtf8.decode(exactBytes));
  } catch {
    return { state: 'bad', size, reason: "the log's signed bytes of this entry are not JSON" };
  }
  try {
    exact.at = typeof exact.at === 'number' ? exact.at : NaN;
    const field = firstDifference(item, exact);
    if (field) return { state: 'bad', size, reason: `the list's ${field} differs from the log's signed bytes of this entry`, signed: exact };
  } catch (e) {
    if (!(e instanceof Unverified)) throw e;
    return { state: 'bad', size, reason: why || e.message };
  }
  return { state: 'ok', size, exact: true };
}

// Runs fn over items, at most n at a time.
async function pool(items, n, fn) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
}

// Reads the key and the latest checkpoint and opens one with the other
// (the key the person entered, when they did, else the server's). prev is
// the log read before on this page: a newer checkpoint must be consistent
// with it (RFC 9162 consistency proof), so the log only grew.
async function readLog(pinned, prev) {
  let keyText;
  let note;
  try {
    [keyText, note] = await Promise.all([api.auditKey(), api.checkpoint()]);
  } catch (e) {
    if (e.status === 403) return { status: 'refused', error: e };
    if (e.status === 503) return { status: 'none', error: e };
    return { status: 'error', error: e };
  }
  const log = { status: 'ready', serverKey: String(keyText).trim(), note, pinned: pinned || null, at: new Date() };
  try {
    log.serverKeyHash = (await openKey(log.serverKey)).hashHex;
  } catch (e) {
    if (!(e instanceof Unverified)) throw e;
    log.serverKeyHash = null;
    log.serverKeyProblem = e.message;
  }
  try {
    log.key = await openKey(pinned || log.serverKey);
    log.cp = await openCheckpoint(String(note), log.key);
  } catch (e) {
    if (!(e instanceof Unverified)) throw e;
    log.reason = e.message;
    return log;
  }
  if (log.cp.signed && prev && prev.cp && prev.cp.signed && prev.key.text === log.key.text) {
    log.consistency = await consistent(prev.cp, log.cp);
  }
  return log;
}

// Whether the checkpoint now extends the one read before.
async function consistent(old, now) {
  const from = old.size;
  if (now.size < from) return { ok: false, from, reason: `the log shrank from ${from} to ${now.size} entries` };
  if (now.size === from) {
    return sameBytes(old.root, now.root)
      ? { ok: true, from }
      : { ok: false, from, reason: `two checkpoints of ${from} entries have different roots` };
  }
  if (from === 0) return { ok: true, from };
  try {
    const doc = await api.consistency(from, now.size);
    const proof = (doc.hashes || []).map((h) => unbase64(h, 'a proof hash'));
    return (await verifyConsistency(from, now.size, old.root, now.root, proof))
      ? { ok: true, from }
      : { ok: false, from, reason: 'the consistency proof does not verify: the log was rewritten, not only grown' };
  } catch (e) {
    return { ok: false, from, reason: e.message || String(e) };
  }
}

// ---------------------------------------------------------------------------
// The change of an entry, as a diff.

const show = (v) => (v === undefined ? '' : JSON.stringify(v));

// An RFC 6901 pointer as the page shows it: the whole object for "".
const where = (path) => (path === '' ? '(the whole object)' : path);

// One line of a diff: marker, word, path, old value, new value. The
// spaces between the parts are text, so the line reads (and copies) as
// words: + added owner "x".
function Line({ kind, word, path, value, old }) {
  const mark = { add: '+', remove: '−', replace: '~' }[kind];
  return html`<li class=${`diff-line diff-${kind}`}><span class="diff-mark" aria-hidden="true">${mark}</span>${' '}<span class="diff-word">${word}</span>${path !== undefined ? html` <code class="diff-path">${path}</code>` : ''}${old !== undefined ? html` <code class="diff-old">${show(old)}</code>` : ''}${old !== undefined && value !== undefined ? html`<span class="diff-arrow"> → </span>` : ''}${value !== undefined ? html` <code class="diff-value">${show(value)}</code>` : ''}</li>`;
}

// The fields of a created (or deleted) object, one line each.
function fieldsOf(obj, kind, word) {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
    return [html`<${Line} kind=${kind} word=${word} path=${where('')} value=${kind === 'add' ? obj : undefined} />`];
  }
  return Object.keys(obj).sort(byteOrder).map((k) => html`<${Line} key=${k} kind=${kind} word=${word} path=${k}
    value=${kind === 'add' ? obj[k] : undefined} old=${kind === 'remove' ? obj[k] : undefined} />`);
}

// One JSON Patch operation as a line. The patch carries no old values, so
// a replacement shows the new value only.
function opLine(op, i) {
  const path = op.path || '';
  switch (op.op) {
    case 'add':
      return path.endsWith('/-')
        ? html`<${Line} key=${i} kind="add" word="appended to" path=${path.slice(0, -2)} value=${op.value} />`
        : html`<${Line} key=${i} kind="add" word="added" path=${where(path)} value=${op.value} />`;
    case 'remove':
      return html`<${Line} key=${i} kind="remove" word="removed" path=${where(path)} />`;
    case 'replace':
      return html`<${Line} key=${i} kind="replace" word="set" path=${where(path)} value=${op.value} />`;
    default:
      return html`<${Line} key=${i} kind="replace" word=${op.op} path=${where(path)} value=${op.value} />`;
  }
}

// An entry's change as a readable diff: a creation lists the object's
// fields as added lines, a deletion says so, an update one line per JSON
// Patch operation. Entries written before changes were patches carry the
// whole object before and after: those are compared key by key. Each line
// has a marker and a word, so nothing rests on colour.
export function ChangeList({ change, before = null, after = null }) {
  let lines;
  let label;
  if (Array.isArray(change)) {
    if (change.length === 0) return html`<p class="diff-none">No field changed.</p>`;
    const root = change.length === 1 && change[0].path === '' ? change[0] : null;
    if (root && root.op === 'add') {
      label = 'Created with';
      lines = fieldsOf(root.value, 'add', 'added');
    } else if (root && root.op === 'replace' && root.value === null) {
      label = 'Deleted';
      lines = [html`<${Line} kind="remove" word="deleted" path=${where('')} />`];
    } else {
      label = 'Changed';
      lines = change.map(opLine);
    }
  } else if (change === null || change === undefined) {
    if (before === null && after === null) return html`<p class="diff-none">No change recorded.</p>`;
    if (before === null) {
      label = 'Created with';
      lines = fieldsOf(after, 'add', 'added');
    } else if (after === null) {
      label = 'Deleted; it held';
      lines = fieldsOf(before, 'remove', 'removed');
    } else {
      label = 'Changed';
      const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort(byteOrder);
      lines = keys.flatMap((k) => {
        if (!(k in after)) return [html`<${Line} key=${k} kind="remove" word="removed" path=${k} old=${before[k]} />`];
        if (!(k in before)) return [html`<${Line} key=${k} kind="add" word="added" path=${k} value=${after[k]} />`];
        if (canon(before[k]) === canon(after[k])) return [];
        return [html`<${Line} key=${k} kind="replace" word="changed" path=${k} old=${before[k]} value=${after[k]} />`];
      });
      if (!lines.length) return html`<p class="diff-none">No field changed.</p>`;
    }
  } else {
    return html`<pre class="diff-raw">${JSON.stringify(change, null, 2)}</pre>`;
  }
  return html`<div class="diff">
    <p class="diff-label">${label}:</p>
    <ul class="diff-lines">${lines}</ul>
  </div>`;
}

// ---------------------------------------------------------------------------
// The page.

const auditLink = (q) => `/audit?${new URLSearchParams(q)}`;

// The filter form; applying it moves to /audit?… so the link carries it.
function Filters({ q }) {
  const [form, setForm] = useState({ ...q, from: toLocal(q.from), to: toLocal(q.to) });
  const set = (k) => (e) => setForm({ ...form, [k]: e.currentTarget.value });
  const submit = (e) => {
    e.preventDefault();
    const out = new URLSearchParams();
    for (const k of FILTERS) {
      const v = k === 'from' || k === 'to' ? toUtc(form[k]) : String(form[k] || '').trim();
      if (v) out.set(k, v);
    }
    navigate(`/audit${out.toString() ? `?${out}` : ''}`);
  };
  return html`<form class="filters audit-filters" role="search" aria-label="Filter audit entries" onSubmit=${submit}>
    <label>Actor <input name="actor" value=${form.actor || ''} onInput=${set('actor')} placeholder="token name" /></label>
    <label>Action <input name="action" list="audit-actions" value=${form.action || ''} onInput=${set('action')} placeholder="e.g. deployment.create" /></label>
    <datalist id="audit-actions">${api.STREAM_EVENTS.map((a) => html`<option key=${a} value=${a} />`)}</datalist>
    <label>Object type <input name="object_type" list="audit-types" value=${form.object_type || ''} onInput=${set('object_type')} /></label>
    <datalist id="audit-types">${OBJECT_TYPES.map((a) => html`<option key=${a} value=${a} />`)}</datalist>
    <label>Object id <input name="object_id" value=${form.object_id || ''} onInput=${set('object_id')} /></label>
    <label>From <input type="datetime-local" value=${form.from || ''} onInput=${set('from')} /></label>
    <label>Before <input type="datetime-local" value=${form.to || ''} onInput=${set('to')} /></label>
    <label>After entry number <input type="number" min="0" inputmode="numeric" value=${form.after || ''} onInput=${set('after')} /></label>
    <div class="buttons">
      <button type="submit">Apply filters</button>
      ${Object.keys(q).length ? html`<a class="clear" href="/audit">Clear filters</a>` : ''}
    </div>
  </form>`;
}

// The filters in force, in words.
function FilterSummary({ q }) {
  const names = { actor: 'actor', action: 'action', object_type: 'object type', object_id: 'object id' };
  const parts = [];
  for (const k of Object.keys(names)) if (q[k]) parts.push(html`${names[k]} is <code>${q[k]}</code>`);
  if (q.from) parts.push(html`at or after <${Time} at=${q.from} />`);
  if (q.to) parts.push(html`before <${Time} at=${q.to} />`);
  if (q.after) parts.push(html`after entry ${q.after}`);
  if (!parts.length) return html`<p class="meta">All entries, oldest first.</p>`;
  return html`<p class="meta">Entries where ${parts.map((p, i) => html`${i ? ' and ' : ''}${p}`)}, oldest first.</p>`;
}

// Where an entry's object can be opened in the dashboard.
function objectPage(e) {
  if (e.object_type === 'release') return `/releases/${encodeURIComponent(e.object_id)}`;
  if (e.object_type === 'deployment') return `/deployments/${encodeURIComponent(e.object_id)}`;
  return null;
}

// What the page can say about one entry's place in the signed log.
function Verdict({ result, log }) {
  if (!log || log.status !== 'ready') return null;
  if (log.reason || !log.cp || !log.cp.signed) {
    return html`<p class="verdict verdict-bad"><span aria-hidden="true">✕ </span>not verified: the checkpoint did not verify against the key</p>`;
  }
  if (!result || result.state === 'checking') return html`<p class="verdict verdict-wait"><span aria-hidden="true">… </span>checking in your browser</p>`;
  if (result.state === 'ok') {
    return html`<p class="verdict verdict-ok"><span aria-hidden="true">✓ </span>verified in your browser (in checkpoint of size ${result.size})${result.exact ? ' from the log\u2019s exact bytes of it' : ''}</p>`;
  }
  if (result.state === 'later') {
    return html`<p class="verdict verdict-wait"><span aria-hidden="true">◷ </span>not yet in a checkpoint (the latest signed one holds ${result.size} entries)</p>`;
  }
  return html`<p class="verdict verdict-bad"><span aria-hidden="true">✕ </span>not verified: ${result.reason}</p>`;
}

// One entry: what, when, who, about what (each a link to the entries
// that share it), its place in the signed log, and its change.
function Entry({ e, result, log }) {
  const page = objectPage(e);
  // An import marks every entry it writes "import:<source>"; the entry's
  // time is the import's, the object's own times are its original ones.
  const imported = e.via && e.via.startsWith('import:') ? e.via.slice('import:'.length) : null;
  const id = `entry-${e.seq}`;
  return html`<li><article class="audit-entry" aria-labelledby=${id}>
    <h3 id=${id}>Entry ${e.seq}: <code>${e.action}</code>${imported ? html` <span class="tag imported">imported from ${imported}</span>` : ''}</h3>
    <p class="meta">
      <${Time} at=${e.at} />${' · by '}<a href=${auditLink({ actor: e.actor })} title=${`entries by ${e.actor}`}>${e.actor}</a>${' · about '}<a href=${auditLink({ object_type: e.object_type, object_id: e.object_id })} title="this object's history">${e.object_type} ${e.object_id}</a>
      ${page ? html` (<a href=${page}>open</a>)` : ''}
      ${e.via && !imported ? html` · allowed by <code>${e.via}</code>` : ''}
      ${e.request_id ? html` · request <code>${e.request_id}</code>` : ''}
    </p>
    <${Verdict} result=${result} log=${log} />
    <${ChangeList} change=${e.change} before=${e.before} after=${e.after} />
    ${result && result.signed ? html`<details class="signed-entry">
      <summary>What the log's signed bytes hold for entry ${e.seq}</summary>
      <p class="meta"><code>${result.signed.action}</code> by ${result.signed.actor} about ${result.signed.object_type} ${result.signed.object_id}</p>
      <${ChangeList} change=${result.signed.change} before=${result.signed.before ?? null} after=${result.signed.after ?? null} />
    </details>` : ''}
  </article></li>`;
}

// The person's own copy of the key, to check the server's against and to
// verify with: pinning without storing anything.
function PinForm({ pinned, onPin }) {
  const [text, setText] = useState(pinned || '');
  const submit = (e) => {
    e.preventDefault();
    onPin(text.trim() || null);
  };
  return html`<form class="action pin" onSubmit=${submit}>
    <label>The verifier key you were given
      <input class="pin-input" value=${text} onInput=${(e) => setText(e.currentTarget.value)} placeholder="origin+hash+key" spellcheck="false" autocomplete="off" />
    </label>
    <button type="submit" class="secondary">Verify with this key</button>
    ${pinned ? html`<button type="button" class="secondary" onClick=${() => { setText(''); onPin(null); }}>Use the server's key</button>` : ''}
  </form>`;
}

// The signed checkpoint: what it says and whether its signature verified
// here, the key it was checked against, and how the entries shown fared.
function LogPanel({ log, pinned, onPin, onRead, reading, counts }) {
  const head = html`<h2 id="h-log">Signed checkpoint</h2>`;
  if (!log) return html`<section class="log-panel" aria-labelledby="h-log">${head}<${Loading} what="Reading the signed log" /></section>`;
  if (log.status === 'refused') {
    return html`<section class="log-panel" aria-labelledby="h-log">${head}
      <p class="not-allowed"><span aria-hidden="true">🔒 </span>The entries below are shown without verification: the server
        does not let this token read the signed log (${log.error.detail}).</p>
    </section>`;
  }
  if (log.status === 'none' || log.status === 'error') {
    return html`<section class="log-panel" aria-labelledby="h-log">${head}
      <p>${log.status === 'none' ? 'No checkpoint has been signed yet, so the entries below are shown without verification.' : 'The signed log could not be read, so the entries below are shown without verification.'}</p>
      <${Problem} error=${log.error} />
      <button type="button" class="secondary" onClick=${onRead} disabled=${reading}>Read the latest checkpoint again</button>
    </section>`;
  }
  const cp = log.cp;
  const signed = cp && cp.signed && !log.reason;
  const key = log.key;
  const pinMatch = pinned && log.serverKey ? pinned.trim() === log.serverKey : null;
  return html`<section class=${`log-panel ${signed ? 'log-ok' : 'log-bad'}`} aria-labelledby="h-log">${head}
    <p class=${`verdict ${signed ? 'verdict-ok' : 'verdict-bad'}`}>
      ${signed
        ? html`<span aria-hidden="true">✓ </span>Its signature verified in your browser (WebCrypto Ed25519) against ${pinned ? 'the key you entered' : 'the key below'}.`
        : html`<span aria-hidden="true">✕ </span>Not verified: ${log.reason || (cp && cp.reason)}. No entry on this page can be verified against it.`}
    </p>
    ${log.consistency ? html`<p class=${`verdict ${log.consistency.ok ? 'verdict-ok' : 'verdict-bad'}`}>
      ${log.consistency.ok
        ? html`<span aria-hidden="true">✓ </span>Consistent with the checkpoint of size ${log.consistency.from} this page read before: the log only grew.`
        : html`<span aria-hidden="true">✕ </span>Not consistent with the checkpoint of size ${log.consistency.from} this page read before: ${log.consistency.reason}.`}
    </p>` : ''}
    ${counts ? html`<p class="verify-count" role="status">${`Verified in your browser: ${counts.ok} of ${counts.within} displayed ${counts.within === 1 ? 'entry' : 'entries'} within the checkpoint`}${counts.bad ? html`; <strong>${counts.bad} failed</strong>` : ''}${counts.wait ? `; ${counts.wait} being checked` : ''}${counts.later ? `; ${counts.later} not yet in a checkpoint` : ''}.</p>` : ''}
    ${cp ? html`<dl class="fields">
      <div class="field"><dt>Origin</dt><dd><code>${cp.origin}</code></dd></div>
      <div class="field"><dt>Tree size</dt><dd>${cp.size} entries</dd></div>
      <div class="field field-wide"><dt>Root hash (base64)</dt><dd><code>${cp.rootText}</code></dd></div>
      <div class="field"><dt>Read at</dt><dd><time datetime=${log.at.toISOString()}>${log.at.toLocaleTimeString()}</time></dd></div>
    </dl>` : ''}
    <h3>Verifier key</h3>
    <p class="hint">Compare this with the key you were given by someone you trust (or enter yours below and the checkpoint is verified with it):
      a checkpoint signed by any other key is not this log.</p>
    <dl class="fields">
      <div class="field field-wide"><dt>The server's key</dt><dd><code class="key-text">${log.serverKey}</code></dd></div>
      <div class="field"><dt>Its key hash, computed in your browser</dt><dd><code class="key-hash">${log.serverKeyHash || log.serverKeyProblem}</code></dd></div>
      ${pinned ? html`<div class="field"><dt>The key you entered</dt><dd>${pinMatch
        ? html`<span class="verdict-ok"><span aria-hidden="true">✓ </span>is the server's key</span>`
        : html`<span class="verdict-bad"><span aria-hidden="true">✕ </span>is not the server's key${key ? html` (hash <code>${key.hashHex}</code>)` : ''}</span>`}</dd></div>` : ''}
    </dl>
    <${PinForm} pinned=${pinned} onPin=${onPin} />
    <button type="button" class="secondary" onClick=${onRead} disabled=${reading}>${reading ? 'Reading…' : 'Read the latest checkpoint again'}</button>
  </section>`;
}

// The page: a role without audit.read is told so; the others browse.
export function Audit({ session, search }) {
  const head = html`<h1 tabindex="-1">Audit log</h1>`;
  if (!can(session, 'audit.read')) {
    return html`${head}<${NotAllowed} session=${session} action="audit.read">Reading the audit log<//>`;
  }
  return html`${head}<${Browser} search=${search} />`;
}

// The filters, the signed checkpoint and the entries, with the checks that
// tie each displayed entry to the checkpoint.
function Browser({ search }) {
  const q = queryOf(search);
  const filter = Object.fromEntries(FILTERS.filter((k) => q[k]).map((k) => [k, q[k]]));

  // The entries: the first page on each change of the filters, then more.
  const [more, setMore] = useState({ items: [], cursor: undefined, error: null, busy: false });
  const { data, error, loading } = useLoad(async () => {
    setMore({ items: [], cursor: undefined, error: null, busy: false });
    return api.audit({ ...filter, limit: PAGE });
  }, [search]);
  const next = async () => {
    setMore({ ...more, busy: true });
    try {
      const page = await api.audit({ ...filter, limit: PAGE, cursor: more.cursor ?? data.next_cursor });
      setMore({ items: [...more.items, ...page.items], cursor: page.next_cursor, error: null, busy: false });
    } catch (e) {
      setMore({ ...more, error: e, busy: false });
    }
  };
  const items = data ? [...data.items, ...more.items] : [];
  const cursor = more.cursor === undefined ? data && data.next_cursor : more.cursor;

  // The signed log, read once on arrival, again on request, and every
  // POLL_MS while displayed entries wait for a checkpoint.
  const [log, setLog] = useState(null);
  const [pinned, setPinned] = useState(null);
  const [reading, setReading] = useState(false);
  const logRef = useRef(null);
  const read = async (pin = pinned) => {
    setReading(true);
    let now;
    try {
      now = await readLog(pin, logRef.current);
    } catch (e) {
      now = { status: 'error', error: e };
    }
    logRef.current = now;
    setLog(now);
    setReading(false);
  };
  useEffect(() => {
    read(null);
  }, []);
  const pin = (text) => {
    setPinned(text);
    read(text);
  };

  // Each displayed entry's verdict, by seq. A verdict stands for the key
  // it was reached with and the entry exactly as listed (a list read again
  // is checked again); an entry not yet in a checkpoint is checked again
  // when a larger one arrives.
  const [, setResults] = useState({});
  const resultsRef = useRef({});
  const bundles = useRef({ size: -1, map: new Map() });
  const keyId = log && log.key ? log.key.text : null;
  const current = (e) => {
    const r = resultsRef.current[e.seq];
    return r && r.keyId === keyId && r.item === e ? r : null;
  };
  useEffect(() => {
    if (!log || log.status !== 'ready' || !log.cp || !log.cp.signed || log.reason) return;
    const cp = log.cp;
    if (bundles.current.size !== cp.size) bundles.current = { size: cp.size, map: new Map() };
    const map = bundles.current.map;
    const todo = items.filter((e) => {
      const r = current(e);
      return !r || (r.state === 'later' && e.seq <= cp.size);
    });
    if (!todo.length) return;
    const put = (e, r) => {
      resultsRef.current = { ...resultsRef.current, [e.seq]: { ...r, keyId, item: e } };
      setResults(resultsRef.current);
    };
    for (const e of todo) put(e, { state: 'checking' });
    pool(todo, PARALLEL, async (e) => {
      let r;
      try {
        r = await verifyEntry(e, cp, map);
      } catch (err) {
        r = { state: 'bad', size: cp.size, reason: err instanceof Unverified ? err.message : `its proof could not be read (${err.message || err})` };
      }
      if (current(e)) put(e, r);
    });
  }, [items.length, data, log]);

  const shown = items.map(current);
  let counts = null;
  if (log && log.status === 'ready' && log.cp && log.cp.signed && !log.reason) {
    counts = { ok: 0, bad: 0, wait: 0, later: 0, within: 0 };
    for (const r of shown) {
      if (r && r.state === 'later') counts.later++;
      else {
        counts.within++;
        if (!r || r.state === 'checking') counts.wait++;
        else counts[r.state]++;
      }
    }
  }

  // While entries on the page wait for a checkpoint, read it again now
  // and then: the daemon signs about once a second while the log grows.
  const polls = useRef(0);
  const waiting = counts ? counts.later : 0;
  useEffect(() => {
    if (!waiting || reading || polls.current >= POLLS) return undefined;
    const t = setTimeout(() => {
      polls.current++;
      read();
    }, POLL_MS);
    return () => clearTimeout(t);
  }, [waiting, reading, log]);

  return html`
    <p class="subtitle">Every write shiplog accepted, with what it changed. This page checks the signed log itself, in your browser:
      the checkpoint's signature, and that each entry shown is in the signed tree (<a href="https://www.rfc-editor.org/rfc/rfc9162" rel="noopener noreferrer">RFC 9162</a>).</p>
    <${Filters} key=${search} q=${q} />
    <${LogPanel} log=${log} pinned=${pinned} onPin=${pin} onRead=${() => { polls.current = 0; read(); }} reading=${reading} counts=${counts} />
    <section aria-labelledby="h-entries">
      <h2 id="h-entries">Entries</h2>
      <${FilterSummary} q=${q} />
      ${error ? html`<${Problem} error=${error} />` : !data || loading ? html`<${Loading} what="Loading entries" />` : items.length === 0
        ? html`<p>No entries match.</p>`
        : html`<p class="meta count">${items.length} ${items.length === 1 ? 'entry' : 'entries'} shown${cursor ? '; there are more' : ''}.</p>
          <ol class="audit-entries">${items.map((e, i) => html`<${Entry} key=${e.seq} e=${e} result=${shown[i]} log=${log} />`)}</ol>`}
      <${Problem} error=${more.error} />
      ${cursor ? html`<button type="button" onClick=${next} disabled=${more.busy}>${more.busy ? 'Loading…' : 'Show more entries'}</button>` : ''}
    </section>`;
}
