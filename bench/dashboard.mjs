#!/usr/bin/env node
// bench/dashboard.mjs - the dashboard's figures (run it as bench/dashboard).
//
//   bench/dashboard [--services 2000] [--environments 6] [--teams 40] [--runs 5]
//                   [--concurrency 16] [--keep] [--no-build] [--no-record] [--no-tick]
//                   [--build-dir DIR]
//
// Starts the release daemon (build/release/shiplogd, or DIR/shiplogd) on
// a fresh SQLite store, seeds SERVICES services x ENVIRONMENTS
// environments through the HTTP API (every service runs a release in every
// environment; some drift, a few deployments under way or failed), then
// drives Debian's chromium with playwright-core from web/node_modules and
// measures, RUNS times each:
//   - render: from the navigation start of / (a fresh browser context
//     holding the session cookie, so nothing is cached) until (a) the
//     first screen is complete: every service row within the 1280 x 900
//     window has every cell filled, painted; (b) every service's row is
//     in the table with every cell filled and the summary no longer says
//     "loading the matrix…", painted; then both again after a reload (the
//     bundle from the browser's cache);
//   - live update: a deployment started through the API, until its cell
//     shows it, painted; a MutationObserver counts the table rows the
//     update touched (goal: 1, that service's row);
//   - filter: each key of a team's name typed in the Filter box, until the
//     next frame and until every row it keeps is painted; then cleared
//     (every row back);
//   - the longest main-thread task of each phase (PerformanceObserver
//     'longtask', which reports tasks of 50 ms or more);
// once, in the last run, the clock tick that ages the "since" times once a
// minute (--no-tick skips the wait); and the bundle's gzipped size
// (DIR/web/dist, counted as web/build.mjs counts it). Prints one table
// and, unless --no-record, puts it at the top of bench/RESULTS.md as a
// dated section.
// Not a test: nothing here asserts time.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(ROOT);
const CHROMIUM = process.env.SHIPLOG_CHROMIUM || '/usr/bin/chromium';
// The flags a browser needs here: no sandbox as root, and none of the
// background connections a closed network refuses.
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
// The issue's goals.
const GOAL_RENDER_MS = 1000;
const GOAL_BUNDLE_GZ = 150 * 1024;

// ---- options ----

const opt = { services: 2000, environments: 6, teams: 40, runs: 5, concurrency: 16, keep: false, build: true, record: true, tick: true, dir: 'build/release' };
const USAGE = readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(3, 6)
  .map((l) => l.replace(/^\/\/ ?/, '')).join('\n');
{
  const argv = process.argv.slice(2);
  const num = (name, v, min, max) => {
    const n = Number(v);
    if (!/^\d+$/.test(v || '') || n < min || n > max) die(`${name} takes a whole number from ${min} to ${max}`, 2);
    return n;
  };
  while (argv.length) {
    const a = argv.shift();
    switch (a) {
      case '--services': opt.services = num(a, argv.shift(), 10, 100000); break;
      case '--environments': opt.environments = num(a, argv.shift(), 2, 8); break;
      case '--teams': opt.teams = num(a, argv.shift(), 1, 1000); break;
      case '--runs': opt.runs = num(a, argv.shift(), 1, 100); break;
      case '--concurrency': opt.concurrency = num(a, argv.shift(), 1, 256); break;
      case '--keep': opt.keep = true; break;
      case '--no-build': opt.build = false; break;
      case '--no-record': opt.record = false; break;
      case '--no-tick': opt.tick = false; break;
      case '--build-dir': opt.dir = argv.shift() || die('--build-dir DIR', 2); break;
      case '-h': case '--help': console.log(USAGE); process.exit(0); break;
      default: die(`unknown argument ${a}\n${USAGE}`, 2);
    }
  }
}

const DAEMON = `${opt.dir}/shiplogd`;
const DIST = `${opt.dir}/web/dist`;

function log(msg) {
  process.stderr.write(`dashboard: ${msg}\n`);
}

function die(msg, code = 1) {
  process.stderr.write(`bench/dashboard: ${msg}\n`);
  process.exit(code);
}

// ---- build ----

// The release build is shared with the other benchmarks: make rebuilds
// only what is older than its sources, and nothing is cleaned. Another
// DIR is a release build of its own (make's BUILD).
const MAKE_ARGS = ['MODE=release', ...(opt.dir === 'build/release' ? [] : [`BUILD=${opt.dir}`])];
if (opt.build) {
  log(`building (release, ${opt.dir})`);
  const r = spawnSync('make', ['-s', ...MAKE_ARGS, opt.dir === 'build/release' ? 'all' : DAEMON, `-j${cpus().length}`], { stdio: ['ignore', 2, 2] });
  if (r.status !== 0) die('make MODE=release failed');
} else if (!existsSync(DAEMON)) {
  die(`${DAEMON} is missing: run make MODE=release all, or drop --no-build`);
} else if (spawnSync('make', ['-q', ...MAKE_ARGS, DAEMON]).status !== 0) {
  log(`warning: ${DAEMON} is older than its sources (web/ included); these are the figures of the dashboard it embeds`);
}
let playwright;
try {
  playwright = createRequire(join(ROOT, 'web', 'package.json'))('playwright-core');
} catch {
  die('playwright-core is missing: cd web && npm ci');
}
if (!existsSync(CHROMIUM)) die(`${CHROMIUM} is missing (Debian package chromium)`);

// ---- the daemon ----

const TMP = mkdtempSync('/tmp/shiplog-dashbench.');
const TOKEN = `slt_${randomBytes(32).toString('hex')}`;
let daemon = null;
let browser = null;

// Stops what this run started and removes its directory.
async function cleanup() {
  if (browser) await browser.close().catch(() => {});
  browser = null;
  if (daemon && daemon.exitCode === null) {
    const gone = new Promise((r) => daemon.once('exit', r));
    daemon.kill('SIGTERM');
    await gone;
  }
  daemon = null;
  if (opt.keep) log(`kept ${TMP}`);
  else rmSync(TMP, { recursive: true, force: true });
}
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => cleanup().finally(() => process.exit(130)));
}

function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function startDaemon() {
  const port = await freePort();
  const out = openSync(join(TMP, 'daemon.log'), 'a');
  daemon = spawn(DAEMON, ['--listen', `127.0.0.1:${port}`, '--db', join(TMP, 'shiplog.db')], {
    env: { ...process.env, SHIPLOG_BOOTSTRAP_TOKEN: TOKEN },
    stdio: ['ignore', out, out],
  });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    if (daemon.exitCode !== null) break;
    try {
      if ((await fetch(`${base}/healthz`)).ok) return base;
    } catch {
      // not listening yet
    }
    await sleep(50);
  }
  throw new Error(`${DAEMON} did not answer; see ${join(TMP, 'daemon.log')} (--keep keeps it)`);
}

let BASE = '';
let requests = 0;

// One API request as the admin; the parsed answer. A 503 (the store was
// busy) is tried again, a few times.
async function api(method, path, body) {
  for (let attempt = 0; ; attempt++) {
    requests++;
    const res = await fetch(BASE + path, {
      method,
      headers: { Authorization: `Bearer ${TOKEN}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    if (res.ok) return text ? JSON.parse(text) : null;
    if (res.status === 503 && attempt < 5) {
      await sleep(100 * (attempt + 1));
      continue;
    }
    throw new Error(`${method} ${path} ${body ? JSON.stringify(body) : ''}: ${res.status} ${text.slice(0, 400)}`);
  }
}

// ---- the data ----

// A small deterministic generator, so every run seeds the same store.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TEAM_WORDS = ['payments', 'identity', 'search', 'checkout', 'catalog', 'billing', 'ledger', 'fraud',
  'growth', 'mobile', 'platform', 'storage', 'network', 'messaging', 'notify', 'pricing', 'inventory',
  'shipping', 'returns', 'support', 'analytics', 'ml', 'data', 'ads', 'media', 'video', 'maps', 'travel',
  'partners', 'risk', 'compliance', 'security', 'infra', 'observability', 'release', 'docs', 'web',
  'loyalty', 'reviews', 'accounts'];
const PARTS = ['api', 'worker', 'gateway', 'sync', 'store', 'index', 'cron', 'web', 'proxy', 'events',
  'reports', 'cache', 'admin', 'feed', 'auth', 'export'];
const LANGS = ['go', 'java', 'python', 'rust', 'node'];
const ENV_NAMES = ['dev', 'test', 'qa', 'staging', 'preprod', 'uat', 'perf'];

function teamName(i) {
  const w = TEAM_WORDS[i % TEAM_WORDS.length];
  return i < TEAM_WORDS.length ? `team-${w}` : `team-${w}-${Math.floor(i / TEAM_WORDS.length) + 1}`;
}

// What each service is and what runs where: most run one release
// everywhere, about a third run a newer one below preprod (drift), a tenth
// the newer one everywhere; 2% have a deployment of a third release under
// way in production, 1% one that failed in preprod.
function plan() {
  const rand = rng(20261207);
  const envs = [...ENV_NAMES.slice(0, opt.environments - 1), 'production']
    .map((name, i) => ({ name, rank: (i + 1) * 10, protected: name === 'production' }));
  const services = [];
  for (let i = 0; i < opt.services; i++) {
    const team = i % opt.teams;
    const owner = teamName(team);
    const name = `${owner.slice(5)}-${PARTS[Math.floor(i / opt.teams) % PARTS.length]}-${String(i).padStart(4, '0')}`;
    const minor = 1 + (i % 9);
    const v = (k) => `1.${minor + k}.0`;
    const r = rand();
    const kind = r < 0.6 ? 'same' : r < 0.9 ? 'drift' : 'ahead';
    const x = rand();
    const extra = x < 0.02 ? 'in_progress' : x < 0.03 ? 'failed' : null;
    const tier = 1 + Math.floor(rand() * 4);
    const releases = [];
    if (kind !== 'ahead') releases.push(v(0));
    releases.push(v(1));
    if (extra) releases.push(v(2));
    const running = envs.map((e, k) => (kind === 'same' ? v(0) : kind === 'ahead' ? v(1) : k < envs.length - 2 ? v(1) : v(0)));
    services.push({
      name, owner, tier,
      tags: { unit: `unit-${team % 8}`, lang: LANGS[i % LANGS.length], tier: `t${tier}` },
      releases, running, extra, next: minor + 3,
    });
  }
  return { envs, services };
}

// Writes one service: the service, its releases, a deployment in every
// environment (started, then succeeded), and its extra deployment.
async function seedService(s, envs) {
  await api('POST', '/v1/services', { name: s.name, owner: s.owner, tier: s.tier, tags: s.tags });
  for (const version of s.releases) {
    await api('POST', '/v1/releases', { service: s.name, version, type: 'minor', commit: randomBytes(20).toString('hex') });
  }
  for (const [k, e] of envs.entries()) {
    const dep = await api('POST', '/v1/deployments', { release: `${s.name}@${s.running[k]}`, environment: e.name, status: 'in_progress' });
    await api('POST', `/v1/deployments/${dep.id}/events`, { status: 'succeeded' });
  }
  if (s.extra) {
    const env = s.extra === 'in_progress' ? envs[envs.length - 1] : envs[envs.length - 2];
    const dep = await api('POST', '/v1/deployments', { release: `${s.name}@${s.releases[s.releases.length - 1]}`, environment: env.name, status: 'in_progress' });
    if (s.extra === 'failed') await api('POST', `/v1/deployments/${dep.id}/events`, { status: 'failed' });
  }
}

async function seed({ envs, services }) {
  for (const e of envs) await api('POST', '/v1/environments', e);
  const start = performance.now();
  let next = 0;
  let done = 0;
  const step = Math.max(1, Math.round(services.length / 10));
  const worker = async () => {
    while (next < services.length) {
      await seedService(services[next++], envs);
      if (++done % step === 0 || done === services.length) {
        const s = (performance.now() - start) / 1000;
        log(`seeded ${done}/${services.length} services, ${requests} requests, ${(requests / s).toFixed(0)} requests/s`);
      }
    }
  };
  await Promise.all(Array.from({ length: opt.concurrency }, worker));
  return { seconds: (performance.now() - start) / 1000, requests };
}

// Every row of GET /v1/status, page after page, as the dashboard reads it
// (500 a page); how long that takes from here is the network floor of the
// render figure.
async function readStatus() {
  const start = performance.now();
  let rows = 0;
  let pages = 0;
  let bytes = 0;
  let cursor = null;
  do {
    const q = `/v1/status?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const res = await fetch(BASE + q, { headers: { Authorization: `Bearer ${TOKEN}` } });
    const text = await res.text();
    if (!res.ok) throw new Error(`GET ${q}: ${res.status} ${text.slice(0, 200)}`);
    const page = JSON.parse(text);
    bytes += text.length;
    rows += page.items.length;
    pages++;
    cursor = page.next_cursor;
  } while (cursor);
  return { ms: performance.now() - start, rows, pages, bytes };
}

// ---- in the page ----

// Installed in every page before its scripts run: long tasks, the stream's
// deployment events as they arrive, and two moments of the matrix, each
// painted (a MutationObserver on the document):
//   - screen: every service row that starts within the window (1280 x
//     900) has all its cells filled, and the rows reach the window's
//     bottom (or every row is there);
//   - all: the summary no longer says "loading the matrix…" and every
//     service's row is in the table with every cell filled.
function pageProbe({ rows, envs }) {
  const b = { longtasks: [], events: [], tableAt: null, screenAt: null, domAt: null, paintAt: null };
  window.__bench = b;
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) b.longtasks.push([e.startTime, e.duration]);
    }).observe({ type: 'longtask', buffered: true });
  } catch {
    b.longtasks = null;
  }
  // Time-stamps each deployment event the page's EventSource delivers,
  // before the page's own listener sees it.
  const add = EventSource.prototype.addEventListener;
  EventSource.prototype.addEventListener = function (type, fn, o) {
    if (typeof fn === 'function' && type.startsWith('deployment.')) {
      const inner = fn;
      fn = function (e) {
        b.events.push({ type, at: Date.now(), now: performance.now() });
        return inner.call(this, e);
      };
    }
    return add.call(this, type, fn, o);
  };
  // Calls fn with performance.now() after the next frame is painted.
  window.__afterPaint = (fn) => requestAnimationFrame(() => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => fn(performance.now());
    ch.port2.postMessage(0);
  });
  const loading = () => document.querySelector('.summary [role=status]') !== null;
  // The matrix is a table per team: every row of every table, in the
  // page's order.
  const screenFull = () => {
    const list = document.querySelectorAll('table.matrix tbody tr');
    let seen = 0;
    for (const tr of list) {
      if (tr.classList.contains('team')) continue;
      const r = tr.getBoundingClientRect();
      if (r.top >= innerHeight) return seen > 0;
      if (tr.querySelectorAll('td.cell').length !== envs) return false;
      seen++;
    }
    return seen === rows && !loading();
  };
  const mo = new MutationObserver(() => {
    if (!document.querySelector('table.matrix')) return;
    if (b.tableAt === null && document.querySelector('table.matrix tbody th[scope=row]')) b.tableAt = performance.now();
    if (b.screenAt === null && b.tableAt !== null && screenFull()) {
      b.screenAt = -1;
      window.__afterPaint((t) => { b.screenAt = t; });
    }
    if (loading()) return;
    if (document.querySelectorAll('table.matrix tbody th[scope=row]').length !== rows) return;
    if (document.querySelectorAll('table.matrix tbody td.cell').length !== rows * envs) return;
    b.domAt = performance.now();
    mo.disconnect();
    window.__afterPaint((t) => { b.paintAt = t; });
  });
  mo.observe(document, { childList: true, subtree: true, characterData: true });
}

// What the page measured of its load: the figures, and where the time
// went (the API requests from Resource Timing, the long tasks).
async function loadFigures(page) {
  await page.waitForFunction(() => window.__bench && window.__bench.paintAt !== null && window.__bench.screenAt > 0, null, { timeout: 120000, polling: 100 });
  return page.evaluate(() => {
    const b = window.__bench;
    const res = performance.getEntriesByType('resource');
    const span = (part) => {
      const list = res.filter((r) => r.name.includes(part));
      if (!list.length) return null;
      return {
        n: list.length,
        start: Math.min(...list.map((r) => r.startTime)),
        end: Math.max(...list.map((r) => r.responseEnd)),
        bytes: list.reduce((s, r) => s + r.encodedBodySize, 0),
      };
    };
    const assets = res.filter((r) => r.name.includes('/assets/'));
    const tasks = (b.longtasks || []).filter(([s]) => s <= b.paintAt);
    return {
      paint: b.paintAt,
      screen: b.screenAt,
      dom: b.domAt,
      table: b.tableAt,
      services: span('/v1/services'),
      status: span('/v1/status'),
      assetBytes: assets.reduce((s, r) => s + r.encodedBodySize, 0),
      assetsCached: assets.every((r) => r.transferSize === 0),
      longest: b.longtasks ? Math.max(0, ...tasks.map(([, d]) => d)) : null,
      longSum: b.longtasks ? tasks.reduce((s, [, d]) => s + d, 0) : null,
    };
  });
}

// Watches the matrix (the element holding every team's table) for one
// live update: every mutation's row (or a note when one falls outside any
// row), and the moment the cell of svc in column col shows version,
// painted.
function watchLive({ svc, col, version }) {
  const w = { rows: new Set(), outside: 0, domAt: null, paintAt: null, wall: null, since: performance.now() };
  window.__live = w;
  const tables = document.querySelectorAll('table.matrix');
  let table = tables[0];
  while (!table.contains(tables[tables.length - 1])) table = table.parentElement;
  const cellOf = () => {
    for (const a of table.querySelectorAll('table.matrix tbody th[scope=row] a')) {
      if (a.textContent === svc) return a.closest('tr').children[col];
    }
    return null;
  };
  new MutationObserver((list) => {
    for (const m of list) {
      const el = m.target.nodeType === 1 ? m.target : m.target.parentElement;
      const tr = el.closest('tr');
      const head = tr && tr.querySelector('th[scope=row] a');
      w.rows.add(head ? head.textContent : tr ? `a row without a service: ${tr.textContent.slice(0, 40)}` : `outside any row: ${el.tagName}`);
    }
    if (w.domAt === null) {
      const c = cellOf();
      if (c && c.textContent.includes(version)) {
        w.domAt = performance.now();
        window.__afterPaint((t) => {
          w.paintAt = t;
          w.wall = Date.now();
        });
      }
    }
  }).observe(table, { subtree: true, childList: true, characterData: true, attributes: true });
  new MutationObserver((list) => {
    for (const m of list) if (!table.contains(m.target)) w.outside++;
  }).observe(document.body, { subtree: true, childList: true, characterData: true });
}

// Times each input of the Filter box from the event's time stamp (when
// the key was pressed): until the next frame is painted (first), and
// until the summary no longer says "loading the matrix…", painted (all).
function watchFilter() {
  const f = { marks: [] };
  window.__filter = f;
  const box = document.querySelector('form.filters input[type=search]');
  const count = () => document.querySelectorAll('table.matrix tbody th[scope=row]').length;
  box.addEventListener('input', (e) => {
    const t0 = e.timeStamp;
    const m = { value: e.target.value, first: null, all: null, rows: null };
    const wait = () => window.__afterPaint((t) => {
      if (m.first === null) m.first = t - t0;
      if (document.querySelector('.summary [role=status]')) {
        wait();
        return;
      }
      m.all = t - t0;
      m.rows = count();
      f.marks.push(m);
    });
    wait();
  });
}

// ---- figures ----

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const ms = (x) => (x === null || x === undefined ? '-' : `${Math.round(x)} ms`);

// The gzipped size of the built dashboard, counted as web/build.mjs counts
// it: the page and every asset, gzip level 9.
function bundleSize() {
  if (!existsSync(join(DIST, 'index.html'))) return null;
  let gz = gzipSync(readFileSync(join(DIST, 'index.html')), { level: 9 }).length;
  let raw = 0;
  for (const f of readdirSync(join(DIST, 'assets'))) {
    const bytes = readFileSync(join(DIST, 'assets', f));
    raw += bytes.length;
    gz += gzipSync(bytes, { level: 9 }).length;
  }
  return { gz, raw };
}

// Which services the matrix keeps for a filter text (the rule of
// web/src/views/matrix.js: the name or the team holds it).
const kept = (services, text) => {
  const needle = text.trim().toLowerCase();
  return services.filter((s) => !needle || s.name.includes(needle) || s.owner.toLowerCase().includes(needle)).length;
};

async function main() {
  const data = plan();
  const rowsWant = data.services.length;
  const cellsWant = data.services.length * data.envs.length;
  BASE = await startDaemon();
  log(`daemon at ${BASE}, store in ${TMP}`);
  log(`seeding ${data.services.length} services x ${data.envs.length} environments, ${opt.concurrency} requests in flight`);
  const seeded = await seed(data);
  const floor = [];
  for (let i = 0; i < 3; i++) floor.push(await readStatus());
  if (floor[0].rows !== cellsWant) throw new Error(`GET /v1/status has ${floor[0].rows} rows, want ${cellsWant}`);
  log(`GET /v1/status: ${floor[0].rows} rows in ${floor[0].pages} pages, ${(floor[0].bytes / 1e6).toFixed(1)} MB, ${ms(median(floor.map((f) => f.ms)))} from node`);

  browser = await playwright.chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  const version = browser.version();
  const errors = [];
  const newPage = async (storageState) => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, storageState });
    await ctx.addInitScript(pageProbe, { rows: rowsWant, envs: data.envs.length });
    const page = await ctx.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    return page;
  };

  // Signs in through the form once; every run's context starts with the
  // session cookie that left.
  const first = await newPage(undefined);
  await first.goto(`${BASE}/`);
  await first.getByLabel('Token').fill(TOKEN);
  await first.getByRole('button', { name: 'Sign in' }).click();
  await first.getByRole('button', { name: 'Sign out' }).waitFor();
  const session = await first.context().storageState();
  await first.context().close();

  const cold = [];
  const warm = [];
  const live = [];
  const keys = [];
  const clears = [];
  let tick = null;
  const livePicks = data.services.filter((s) => !s.extra);
  const prodCol = data.envs.length; // the first cell is the service's name
  for (let run = 0; run < opt.runs; run++) {
    const page = await newPage(session);
    await page.goto(`${BASE}/`, { waitUntil: 'commit' });
    const c = await loadFigures(page);
    cold.push(c);
    await page.reload({ waitUntil: 'commit' });
    const w = await loadFigures(page);
    warm.push(w);
    log(`run ${run + 1}: first screen ${ms(c.screen)}, every row ${ms(c.paint)} (reload ${ms(w.screen)}, ${ms(w.paint)}), /v1/status ${c.status.n} requests ${ms(c.status.start)}..${ms(c.status.end)}, longest task ${ms(c.longest)}`);

    // A live update: a new release of one service started in production.
    await page.getByRole('status').filter({ hasText: /^\W*Live$/ }).waitFor({ timeout: 30000 });
    const s = livePicks[Math.floor(((run + 0.5) * livePicks.length) / opt.runs)];
    const v = `1.${s.next++}.0`;
    await api('POST', '/v1/releases', { service: s.name, version: v, type: 'minor' });
    await page.evaluate(watchLive, { svc: s.name, col: prodCol, version: v });
    const sent = Date.now();
    await api('POST', '/v1/deployments', { release: `${s.name}@${v}`, environment: data.envs[data.envs.length - 1].name, status: 'in_progress' });
    await page.waitForFunction(() => window.__live.paintAt !== null, null, { timeout: 30000, polling: 50 });
    await sleep(1000); // anything else the update paints comes within this
    const l = await page.evaluate(() => {
      const x = window.__live;
      const b = window.__bench;
      const ev = b.events.filter((e) => e.now >= x.since);
      const tasks = (b.longtasks || []).filter(([st]) => st >= x.since);
      return {
        rows: [...x.rows], outside: x.outside, paintNow: x.paintAt, wall: x.wall,
        eventNow: ev.length ? ev[0].now : null, eventWall: ev.length ? ev[0].at : null,
        longest: b.longtasks ? Math.max(0, ...tasks.map(([, d]) => d)) : null,
      };
    });
    live.push({ ...l, total: l.wall - sent, fromEvent: l.eventNow === null ? null : l.paintNow - l.eventNow, stream: l.eventWall === null ? null : l.eventWall - sent, service: s.name });
    log(`run ${run + 1}: live update of ${s.name} painted ${ms(l.wall - sent)} after the POST, rows touched ${JSON.stringify(l.rows)}`);

    // The filter: a team's name typed a key at a time, then cleared.
    const box = page.getByRole('searchbox', { name: 'Filter' });
    await page.evaluate(watchFilter);
    await box.focus();
    const since = await page.evaluate(() => performance.now());
    const team = data.services[(run * 7) % data.services.length].owner.slice(5);
    let typed = '';
    for (const ch of team) {
      typed += ch;
      const n = typed.length;
      await page.keyboard.type(ch);
      await page.waitForFunction((k) => window.__filter.marks.length >= k, n, { timeout: 30000, polling: 20 });
    }
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Backspace');
    await page.waitForFunction((k) => window.__filter.marks.length >= k, team.length + 1, { timeout: 30000, polling: 20 });
    const f = await page.evaluate((t0) => ({
      marks: window.__filter.marks,
      longest: window.__bench.longtasks ? Math.max(0, ...window.__bench.longtasks.filter(([st]) => st >= t0).map(([, d]) => d)) : null,
    }), since);
    for (const m of f.marks) {
      const want = kept(data.services, m.value);
      if (m.rows !== want) throw new Error(`filter "${m.value}": ${m.rows} rows painted, want ${want}`);
    }
    if (f.marks.length !== team.length + 1) throw new Error(`filter: ${f.marks.length} inputs timed, want ${team.length + 1}`);
    keys.push(...f.marks.slice(0, -1).map((m) => ({ ...m, longest: f.longest })));
    clears.push({ ...f.marks[f.marks.length - 1], longest: f.longest });
    const last = f.marks[f.marks.length - 1];
    log(`run ${run + 1}: filter "${team}" per key ${f.marks.slice(0, -1).map((m) => `${Math.round(m.first)}/${Math.round(m.all)}`).join(' ')} ms, cleared ${ms(last.first)}/${ms(last.all)} (first frame/every row)`);

    // The clock: once a minute the page ages its "since" times. Once, in
    // the last run: the rows it repaints and the longest task it takes.
    if (opt.tick && run === opt.runs - 1) {
      log('waiting for the minute\'s clock tick (up to 65 s; --no-tick skips it)');
      await page.evaluate(() => {
        const k = { rows: new Set(), since: performance.now(), firstAt: null };
        window.__tick = k;
        const mo = new MutationObserver((list) => {
          if (k.firstAt === null) k.firstAt = performance.now();
          for (const m of list) {
            const el = m.target.nodeType === 1 ? m.target : m.target.parentElement;
            const tr = el.closest('tr');
            if (tr) k.rows.add(tr);
          }
        });
        // The element holding every team's table.
        const tables = document.querySelectorAll('table.matrix');
        let box = tables[0];
        while (!box.contains(tables[tables.length - 1])) box = box.parentElement;
        mo.observe(box, { subtree: true, childList: true, characterData: true });
      });
      await page.waitForFunction(() => window.__tick.firstAt !== null, null, { timeout: 65000, polling: 500 });
      await sleep(2000);
      tick = await page.evaluate(() => {
        const k = window.__tick;
        const tasks = (window.__bench.longtasks || []).filter(([st, d]) => st + d >= k.firstAt - 5000);
        return { rows: k.rows.size, longest: window.__bench.longtasks ? Math.max(0, ...tasks.map(([, d]) => d)) : null };
      });
      log(`clock tick: ${tick.rows} rows repainted, longest task ${ms(tick.longest)}`);
    }
    await page.context().close();
  }
  if (errors.length) throw new Error(`the page raised: ${errors.join('; ')}`);

  // ---- the table ----
  const bundle = bundleSize();
  const rows = [];
  const row = (figure, med, max, goal, result) => rows.push([figure, med, max, goal, result]);
  const stat = (xs, f = ms) => [f(median(xs)), f(Math.max(...xs))];
  const verdict = (ok) => (ok ? 'PASS' : 'FAIL');
  const label = `${data.services.length} x ${data.envs.length}`;
  const goal = `< ${GOAL_RENDER_MS} ms`;
  const under = (xs) => verdict(median(xs) < GOAL_RENDER_MS);
  row('render, fresh context: the first screen complete (1280 x 900)', ...stat(cold.map((x) => x.screen)), goal, under(cold.map((x) => x.screen)));
  row(`render, fresh context: all ${label} painted (${cellsWant} cells)`, ...stat(cold.map((x) => x.paint)), goal, under(cold.map((x) => x.paint)));
  row('  first service rows shown', ...stat(cold.map((x) => x.table)), '', 'info');
  row(`  /v1/status: ${cold[0].status.n} requests, first start`, ...stat(cold.map((x) => x.status.start)), '', 'info');
  row('  /v1/status: last response end', ...stat(cold.map((x) => x.status.end)), '', 'info');
  row('  last response end -> all painted', ...stat(cold.map((x) => x.paint - x.status.end)), '', 'info');
  row('  longest main-thread task', ...stat(cold.map((x) => x.longest)), '', 'info');
  row('  main-thread tasks >= 50 ms, total', ...stat(cold.map((x) => x.longSum)), '', 'info');
  row('render, reload (bundle cached): the first screen complete', ...stat(warm.map((x) => x.screen)), goal, under(warm.map((x) => x.screen)));
  row(`render, reload (bundle cached): all ${label} painted`, ...stat(warm.map((x) => x.paint)), goal, under(warm.map((x) => x.paint)));
  row(`GET /v1/status, all ${floor[0].pages} pages one after another, from node`, ...stat(floor.map((x) => x.ms)), '', 'info');
  row('live update: POST /v1/deployments -> cell painted', ...stat(live.map((x) => x.total)), '', 'info');
  if (live.every((x) => x.stream !== null)) {
    row('  POST -> stream event in the page', ...stat(live.map((x) => x.stream)), '', 'info');
    row('  stream event -> cell painted (100 ms batching, GET, paint)', ...stat(live.map((x) => x.fromEvent)), '', 'info');
  }
  row('  longest main-thread task', ...stat(live.map((x) => x.longest)), '', 'info');
  const touched = live.map((x) => x.rows.length);
  row('live update: table rows touched', String(median(touched)), String(Math.max(...touched)), '1', verdict(live.every((x) => x.rows.length === 1 && x.rows[0] === x.service)));
  row('  mutations outside the table (summary, announcement)', ...stat(live.map((x) => x.outside), String), '', 'info');
  row(`filter: a key typed -> next frame painted (${keys.length} keys)`, ...stat(keys.map((x) => x.first)), '', 'info');
  row('filter: a key typed -> every row it keeps painted', ...stat(keys.map((x) => x.all)), '', 'info');
  row('filter: cleared -> next frame painted', ...stat(clears.map((x) => x.first)), '', 'info');
  row(`filter: cleared -> all ${rowsWant} rows painted`, ...stat(clears.map((x) => x.all)), '', 'info');
  row('  longest main-thread task while filtering', ...stat(clears.map((x) => x.longest)), '', 'info');
  if (tick) {
    row('clock tick (once a minute): table rows repainted', String(tick.rows), '', '', 'info');
    row('  longest main-thread task', ms(tick.longest), '', '', 'info');
  }
  if (bundle) {
    row('bundle gzipped (page + assets, level 9)', `${(bundle.gz / 1024).toFixed(1)} KB`, '', '< 150 KB', verdict(bundle.gz < GOAL_BUNDLE_GZ));
    row('  bundle uncompressed', `${(bundle.raw / 1024).toFixed(1)} KB`, '', '', 'info');
  }
  const wire = cold.find((x) => !x.assetsCached);
  if (wire) row('  assets as sent by shiplogd (gzip)', `${(wire.assetBytes / 1024).toFixed(1)} KB`, '', '', 'info');
  row(`seed: ${seeded.requests} API requests, ${opt.concurrency} in flight`, `${seeded.seconds.toFixed(1)} s`, '', '', 'info');
  const missed = rows.filter((r) => r[4] === 'FAIL').length;

  const head = ['figure', 'median', 'max', 'goal', 'result'];
  const width = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r) => r.map((c, i) => c.padEnd(width[i])).join('  ').trimEnd();
  const machine = `${cpus().length} CPUs (${cpus()[0].model.trim()}), Chromium ${version}, node ${process.version}`;
  const table = [
    `shiplog dashboard bench: ${label} (${cellsWant} cells, ${opt.teams} teams), ${opt.runs} runs, ${machine}`,
    line(head), line(head.map((h) => '-'.repeat(h.length))), ...rows.map(line),
    `${missed} figure(s) missed their goal`,
  ].join('\n');
  console.log(table);

  if (opt.record) {
    const cmd = ['bench/dashboard', ...process.argv.slice(2)].join(' ');
    const day = new Date().toISOString().slice(0, 10);
    const section = `## The dashboard: the matrix of ${label} in Chromium (${day})\n\n`
      + `\`${cmd}\` on ${machine}; daemon \`${DAEMON}\` on a fresh SQLite store, browser and `
      + 'daemon sharing the machine unpinned. Median and max over the runs; render times from the '
      + 'navigation start of `/`, painted. See [README.md](README.md#the-dashboard-benchdashboard) '
      + 'for what each row means.\n\n'
      + `\`\`\`\n${table}\n\`\`\`\n\n`;
    const path = 'bench/RESULTS.md';
    const text = readFileSync(path, 'utf8');
    const at = text.indexOf('\n## ');
    writeFileSync(path, at < 0 ? `${text}\n${section}` : `${text.slice(0, at + 1)}${section}${text.slice(at + 1)}`);
    log(`recorded in ${path}`);
  }
  return missed;
}

// A missed goal is a figure in the table, as in bench/run; only a run that
// could not measure exits non-zero.
let code = 0;
try {
  await main();
} catch (e) {
  process.stderr.write(`bench/dashboard: ${e.stack || e}\n`);
  code = 1;
} finally {
  await cleanup();
}
process.exit(code);
