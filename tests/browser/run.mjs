#!/usr/bin/env node
// run.mjs - the dashboard's browser tests: Debian's chromium driven by
// playwright-core against a running shiplogd.
//
//   SHIPLOG_URL=http://127.0.0.1:PORT SHIPLOG_ADMIN_TOKEN=… \
//     node tests/browser/run.mjs [PATTERN]
//
// Runs the tests of every tests/browser/*.test.mjs (each exports
// `tests`, a list of {name, fn}) whose file or test name contains PATTERN,
// one after another with one browser, and prints "ok   name" or
// "FAIL name" with the reason, then "N passed, N failed". tests/api/
// test_dashboard.py starts the daemon (on either backend) and runs this.
//
// Each fn gets a context t (see makeContext). A test fails when it
// throws, when it runs past its time, or when a page it opened raised an
// uncaught error. Screenshots go to SHIPLOG_SHOTS (default
// build/screenshots).
import { createRequire } from 'node:module';
import { mkdirSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const require = createRequire(join(root, 'web', 'package.json'));
const { chromium } = require('playwright-core');

const BASE = process.env.SHIPLOG_URL;
const ADMIN = process.env.SHIPLOG_ADMIN_TOKEN;
const SHOTS = resolve(process.env.SHIPLOG_SHOTS || join(root, 'build', 'screenshots'));
const PATTERN = process.argv[2] || process.env.SHIPLOG_TEST || '';
const TIMEOUT_MS = Number(process.env.SHIPLOG_BROWSER_TIMEOUT_MS || 90000);
const CHROMIUM = process.env.SHIPLOG_CHROMIUM || '/usr/bin/chromium';
// The flags a browser needs here: no sandbox as root, and none of the
// background connections a closed network refuses.
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

if (!BASE || !ADMIN) {
  console.error('usage: SHIPLOG_URL=… SHIPLOG_ADMIN_TOKEN=… node tests/browser/run.mjs [PATTERN]');
  process.exit(2);
}

class Failure extends Error {}

let seq = 0;
const tag = (process.pid & 0xffff).toString(16);

// The context a test receives.
function makeContext(browser, name) {
  const contexts = [];
  const errors = [];
  const t = {
    url: BASE,
    adminToken: ADMIN,
    errors,
    uniq: (prefix) => `${prefix}-${tag}-${++seq}`,
    eq(got, want, what = '') {
      const g = JSON.stringify(got);
      const w = JSON.stringify(want);
      if (g !== w) throw new Failure(`${what}: got ${g}, want ${w}`);
    },
    check(cond, msg = 'check failed') {
      if (!cond) throw new Failure(msg);
    },
    // One API request; {status, body, headers}. body is parsed JSON when
    // the answer is JSON, else text.
    async api(method, path, body, token = ADMIN, headers = {}) {
      const h = { Authorization: `Bearer ${token}`, ...headers };
      if (body !== undefined) h['Content-Type'] = 'application/json';
      const res = await fetch(BASE + path, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
      const type = res.headers.get('content-type') || '';
      const text = await res.text();
      return { status: res.status, headers: res.headers, body: type.includes('json') && text ? JSON.parse(text) : text };
    },
    // api() that must answer want; its body.
    async must(want, method, path, body, token) {
      const r = await t.api(method, path, body, token);
      if (r.status !== want) throw new Failure(`${method} ${path}: got ${r.status}, want ${want}: ${JSON.stringify(r.body)}`);
      return r.body;
    },
    async mint(role, extra = {}) {
      return t.must(201, 'POST', '/v1/tokens', { name: t.uniq(`person-${role.replace('_', '-')}`), role, ...extra });
    },
    // A new browser context (its own cookies) with one page; options go
    // to browser.newContext (viewport, colorScheme, timezoneId, …).
    async blankPage(options = {}) {
      const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...options });
      contexts.push(ctx);
      const page = await ctx.newPage();
      page.on('pageerror', (e) => errors.push(`${name}: uncaught in the page: ${e.message}`));
      return page;
    },
    // A page signed in through the real sign-in form as token.
    async page(token = ADMIN, options = {}) {
      const page = await t.blankPage(options);
      await page.goto(BASE + (options.path || '/'));
      await page.getByLabel('Token').fill(token);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('button', { name: 'Sign out' }).waitFor();
      return page;
    },
    // A screenshot of the whole page (or, with {fullPage: false}, of
    // what the window shows).
    async shot(page, file, { fullPage = true } = {}) {
      mkdirSync(SHOTS, { recursive: true });
      await page.screenshot({ path: join(SHOTS, `${file}.png`), fullPage });
    },
    // Waits until fn() answers something true (polling); its answer.
    async until(fn, what = 'condition', ms = 10000) {
      const end = Date.now() + ms;
      let last;
      for (;;) {
        last = await fn();
        if (last) return last;
        if (Date.now() > end) throw new Failure(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
  };
  // On a failure, every page the test had open is saved as
  // failed-<n>-<i>.png next to the screenshots, to see what it showed.
  const keep = async (n) => {
    mkdirSync(SHOTS, { recursive: true });
    let i = 0;
    for (const c of contexts) {
      for (const p of c.pages()) {
        await p.screenshot({ path: join(SHOTS, `failed-${n}-${++i}.png`), fullPage: true }).catch(() => {});
      }
    }
  };
  return { t, keep, close: () => Promise.all(contexts.map((c) => c.close().catch(() => {}))) };
}

async function withTimeout(promise, ms) {
  let timer;
  const limit = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Failure(`ran past ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([promise, limit]);
  } finally {
    clearTimeout(timer);
  }
}

const files = readdirSync(here).filter((f) => f.endsWith('.test.mjs')).sort();
const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
let passed = 0;
let failed = 0;
try {
  for (const f of files) {
    const { tests } = await import(pathToFileURL(join(here, f)).href);
    for (const { name, fn } of tests) {
      const full = `${f.replace('.test.mjs', '')}: ${name}`;
      if (PATTERN && !full.includes(PATTERN)) continue;
      const { t, keep, close } = makeContext(browser, full);
      try {
        await withTimeout(fn(t), TIMEOUT_MS);
        if (t.errors.length) throw new Failure(t.errors.join('\n'));
        passed++;
        console.log(`ok   ${full}`);
      } catch (e) {
        failed++;
        console.log(`FAIL ${full}`);
        console.log(`  ${e instanceof Failure ? e.message : e.stack || e}`);
        await keep(passed + failed);
      } finally {
        await close();
      }
    }
  }
} finally {
  await browser.close();
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
