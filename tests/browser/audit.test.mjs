// audit.test.mjs - the audit browser: filters that show exactly the
// entries the server holds, each change as a diff of the value written,
// paging, the checkpoint and every displayed entry verified in the browser
// (and refused when the list or the checkpoint is tampered with on the
// way), and what a developer and a scoped auditor see.
import { createHash, generateKeyPairSync } from 'node:crypto';

// The names the filter form gives its fields.
const LABELS = {
  actor: 'Actor', action: 'Action', object_type: 'Object type', object_id: 'Object id', after: 'After entry number',
};

// Every entry the API lists for query (all pages), as the admin.
async function entries(t, query) {
  const out = [];
  let cursor = null;
  do {
    const q = new URLSearchParams({ ...query, limit: '500', ...(cursor ? { cursor } : {}) });
    const page = await t.must(200, 'GET', `/v1/audit?${q}`);
    out.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor);
  return out;
}

// The latest checkpoint's tree size.
async function signedSize(t) {
  const r = await t.must(200, 'GET', '/v1/log/checkpoint');
  return Number(String(r).split('\n')[1]);
}

// Waits until the daemon has signed a checkpoint holding entry seq.
const signed = (t, seq) => t.until(async () => (await signedSize(t)) >= seq, `a checkpoint holding entry ${seq}`, 15000);

// Opens the audit page from the navigation, as a person would.
async function openAudit(t, token) {
  const page = await t.page(token);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit log' }).click();
  await page.getByRole('heading', { level: 1, name: 'Audit log' }).waitFor();
  return page;
}

// Fills the filter form with filters (emptying the others) and applies it.
async function filter(page, filters) {
  for (const [k, label] of Object.entries(LABELS)) {
    await page.getByLabel(label, { exact: true }).fill(filters[k] === undefined ? '' : String(filters[k]));
  }
  // Times go in as the person's wall time (datetime-local).
  await page.getByLabel('From', { exact: true }).fill(filters.from || '');
  await page.getByLabel('Before', { exact: true }).fill(filters.to || '');
  await page.getByRole('button', { name: 'Apply filters' }).click();
}

// The entry numbers the page shows, once they are the expected ones.
async function shownSeqs(t, page, want) {
  const entriesRegion = page.getByRole('region', { name: 'Entries' });
  let got = [];
  try {
    await t.until(async () => {
      if (await entriesRegion.getByText('Loading entries').count()) return false;
      const heads = await entriesRegion.getByRole('heading', { level: 3 }).allTextContents();
      got = heads.map((h) => Number(/^Entry (\d+):/.exec(h)[1]));
      return JSON.stringify(got) === JSON.stringify(want);
    }, 'the entries', 10000);
  } catch {
    // Fall through: eq says what differs.
  }
  t.eq(got, want, 'entries shown');
  return got;
}

// The page's verification summary, once nothing is being checked or waits
// for a checkpoint: {ok, within, failed}.
async function verdicts(t, page) {
  const line = page.getByText(/^Verified in your browser:/);
  const text = await t.until(async () => {
    if (!(await line.count())) return null;
    const s = await line.textContent();
    return /being checked|not yet in a checkpoint/.test(s) ? null : s;
  }, 'every displayed entry checked', 20000);
  const m = /Verified in your browser: (\d+) of (\d+) displayed/.exec(text);
  const failed = /(\d+) failed/.exec(text);
  return { ok: Number(m[1]), within: Number(m[2]), failed: failed ? Number(failed[1]) : 0, text };
}

// A token that may create services, and n services it created.
async function servicesBy(t, n) {
  const who = await t.mint('release_manager');
  const made = [];
  for (let i = 0; i < n; i++) {
    const name = t.uniq('aud-svc');
    const owner = t.uniq('owner');
    await t.must(201, 'POST', '/v1/services', { name, owner, tier: 2 }, who.token);
    made.push({ name, owner });
  }
  return { who, made };
}

export const tests = [
  {
    name: 'filters by actor, action and object show exactly the matching entries, each change as a diff of the value written',
    fn: async (t) => {
      const { who, made } = await servicesBy(t, 2);
      const newOwner = t.uniq('new-owner');
      await t.must(200, 'PATCH', `/v1/services/${made[0].name}`, { owner: newOwner }, who.token);
      // Another actor's entry of the same action, which the filter leaves out.
      await t.must(201, 'POST', '/v1/services', { name: t.uniq('aud-other'), owner: 'someone-else' });

      const page = await openAudit(t);
      const creates = await entries(t, { actor: who.name, action: 'service.create' });
      t.eq(creates.length, 2, 'service.create entries by the token');
      await filter(page, { actor: who.name, action: 'service.create' });
      await shownSeqs(t, page, creates.map((e) => e.seq));
      const url = new URL(page.url());
      t.eq([url.pathname, url.searchParams.get('actor'), url.searchParams.get('action')], ['/audit', who.name, 'service.create'], 'the filters are in the link');

      // A creation lists the object's fields as added lines.
      const first = page.getByRole('article', { name: `Entry ${creates[0].seq}: service.create` });
      await first.getByText('Created with:').waitFor();
      const ownerLine = first.getByRole('listitem').filter({ hasText: `"${made[0].owner}"` });
      t.eq((await ownerLine.textContent()).replace(/\s+/g, ' ').trim(), `+ added owner "${made[0].owner}"`, 'the owner written');

      // A time range: the page sends the minutes a person picks as RFC 3339,
      // and shows what the API answers for the same range.
      const minute = Math.floor(new Date(creates[0].at).getTime() / 60000) * 60000;
      const wall = (ms) => page.evaluate((x) => {
        const d = new Date(x);
        const pad = (n) => String(n).padStart(2, '0');
        return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
      }, ms);
      const ranged = await entries(t, { actor: who.name, from: new Date(minute).toISOString(), to: new Date(minute + 120000).toISOString() });
      t.check(ranged.length >= 1, 'the first creation is in its own minute');
      await filter(page, { actor: who.name, from: await wall(minute), to: await wall(minute + 120000) });
      await shownSeqs(t, page, ranged.map((e) => e.seq));
      const before = await entries(t, { actor: who.name, to: new Date(minute).toISOString() });
      t.eq(before.length, 0, 'nothing by the token before its first write');
      await filter(page, { actor: who.name, to: await wall(minute) });
      await page.getByText('No entries match.').waitFor();

      // An update says what was set.
      const updates = await entries(t, { actor: who.name, action: 'service.update' });
      t.eq(updates.length, 1, 'service.update entries by the token');
      await filter(page, { actor: who.name, action: 'service.update' });
      await shownSeqs(t, page, [updates[0].seq]);
      const upd = page.getByRole('article', { name: `Entry ${updates[0].seq}: service.update` });
      const set = upd.getByRole('listitem').filter({ hasText: '/owner' });
      t.eq((await set.textContent()).replace(/\s+/g, ' ').trim(), `~ set /owner "${newOwner}"`, 'the owner set');

      // The object link opens that object's history: its creation and update.
      await upd.getByRole('link', { name: `service ${made[0].name}` }).click();
      const history = await entries(t, { object_type: 'service', object_id: made[0].name });
      t.eq(history.map((e) => e.action), ['service.create', 'service.update'], 'the history in the API');
      await shownSeqs(t, page, history.map((e) => e.seq));
      t.eq(await page.getByLabel('Object id', { exact: true }).inputValue(), made[0].name, 'the form shows the filter');
      await t.shot(page, 'audit-filtered');
    },
  },
  {
    name: 'a page of entries ends with "Show more", which adds the next page in order',
    fn: async (t) => {
      const { who } = await servicesBy(t, 53);
      const all = await entries(t, { actor: who.name });
      t.eq(all.length, 53, 'entries by the token');
      const page = await openAudit(t);
      await filter(page, { actor: who.name });
      await shownSeqs(t, page, all.slice(0, 50).map((e) => e.seq));
      await page.getByRole('button', { name: 'Show more entries' }).click();
      await shownSeqs(t, page, all.map((e) => e.seq));
      t.eq(await page.getByRole('button', { name: 'Show more entries' }).count(), 0, 'no more pages');
    },
  },
  {
    name: 'the checkpoint signature and every displayed entry within it verify in the browser',
    fn: async (t) => {
      const { who, made } = await servicesBy(t, 3);
      await t.must(204, 'DELETE', `/v1/services/${made[2].name}`, undefined, who.token);
      const mine = await entries(t, { actor: who.name });
      t.eq(mine.map((e) => e.action), ['service.create', 'service.create', 'service.create', 'service.delete'], 'the actions');
      await signed(t, mine[mine.length - 1].seq);

      const page = await openAudit(t);
      const panel = page.getByRole('region', { name: 'Signed checkpoint' });
      await panel.getByText('Its signature verified in your browser (WebCrypto Ed25519)').waitFor();
      // The key hash the page computed is the one this test computes.
      const key = String(await t.must(200, 'GET', '/v1/audit/key')).trim();
      const [, name, stated, b64] = /^([^+]+)\+([^+]+)\+(.+)$/.exec(key);
      const hash = createHash('sha256').update(`${name}\n`).update(Buffer.from(b64, 'base64')).digest().subarray(0, 4).toString('hex');
      t.eq(hash, stated, 'the key hash computed here');
      await panel.getByText(hash, { exact: true }).waitFor();
      await panel.getByText(name, { exact: true }).waitFor();

      await filter(page, { actor: who.name });
      await shownSeqs(t, page, mine.map((e) => e.seq));
      const v = await verdicts(t, page);
      t.eq([v.ok, v.within, v.failed], [4, 4, 0], `the page's count (${v.text})`);
      const ok = page.getByRole('region', { name: 'Entries' }).getByText(/^✓ verified in your browser \(in checkpoint of size \d+\)/);
      t.eq(await ok.count(), 4, 'entries marked verified');
      const del = page.getByRole('article', { name: `Entry ${mine[3].seq}: service.delete` });
      await del.getByText('deleted', { exact: true }).waitFor();

      // The latest entries, unfiltered: every one within the checkpoint
      // verifies, whoever wrote it.
      const size = await signedSize(t);
      await filter(page, { after: Math.max(0, size - 30) });
      const tail = await entries(t, { after: String(Math.max(0, size - 30)) });
      await shownSeqs(t, page, tail.slice(0, 50).map((e) => e.seq));
      const w = await verdicts(t, page);
      t.check(w.within >= Math.min(30, size), `at least the signed entries are within the checkpoint (${w.text})`);
      t.eq([w.ok, w.failed], [w.within, 0], `the page's count (${w.text})`);
      await t.shot(page, 'audit-verified');
    },
  },
  {
    name: 'an entry altered on its way from the server, a forged signature and a wrong key are each refused',
    fn: async (t) => {
      const { who, made } = await servicesBy(t, 2);
      const mine = await entries(t, { actor: who.name });
      await signed(t, mine[1].seq);
      const page = await openAudit(t);
      await page.getByRole('region', { name: 'Signed checkpoint' }).getByText('Its signature verified').waitFor();

      // The list says another owner than the one written: the page reads
      // the log's signed bytes and says the list is not what it holds.
      const isList = (u) => u.pathname === '/v1/audit';
      await page.route(isList, async (route) => {
        const res = await route.fetch();
        const body = await res.json();
        for (const e of body.items) {
          if (e.seq === mine[0].seq) e.change[0].value.owner = 'mallory';
        }
        await route.fulfill({ response: res, json: body });
      });
      await filter(page, { actor: who.name });
      await shownSeqs(t, page, mine.map((e) => e.seq));
      const v = await verdicts(t, page);
      t.eq([v.ok, v.within, v.failed], [1, 2, 1], `the page's count (${v.text})`);
      const bad = page.getByRole('article', { name: `Entry ${mine[0].seq}: service.create` });
      await bad.getByText("✕ not verified: the list's change differs from the log's signed bytes of this entry").waitFor();
      await bad.getByText("What the log's signed bytes hold").click();
      await bad.getByRole('group').getByText(`"${made[0].owner}"`).waitFor();
      const good = page.getByRole('article', { name: `Entry ${mine[1].seq}: service.create` });
      await good.getByText(/^✓ verified in your browser/).waitFor();
      t.check(await good.getByText(`"${made[1].owner}"`).count() === 1, 'the untouched entry shows its owner');
      await t.shot(page, 'audit-tampered-entry');
      await page.unroute(isList);

      // A checkpoint whose signature was changed does not verify, and no
      // entry is called verified against it.
      const isCheckpoint = (u) => u.pathname === '/v1/log/checkpoint';
      await page.route(isCheckpoint, async (route) => {
        const res = await route.fetch();
        const text = await res.text();
        const [body, sig] = text.split('\n\n');
        const b64 = sig.trim().split(' ').pop();
        const raw = Buffer.from(b64, 'base64');
        raw[raw.length - 1] ^= 1;
        await route.fulfill({ response: res, body: `${body}\n\n${sig.trim().replace(b64, raw.toString('base64'))}\n` });
      });
      const panel = page.getByRole('region', { name: 'Signed checkpoint' });
      await panel.getByRole('button', { name: 'Read the latest checkpoint again' }).click();
      await panel.getByText('Not verified: its signature by this key does not verify').waitFor();
      await bad.getByText('not verified: the checkpoint did not verify against the key').waitFor();
      t.eq(await page.getByRole('region', { name: 'Entries' }).getByText(/^✓ verified/).count(), 0, 'no entry verified');
      await t.shot(page, 'audit-forged-signature');
      await page.unroute(isCheckpoint);

      // A key the person was given that is not the log's: the checkpoint
      // carries no signature by it. The server's key verifies again.
      const { publicKey } = generateKeyPairSync('ed25519');
      const pub = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
      const key = String(await t.must(200, 'GET', '/v1/audit/key')).trim();
      const name = key.split('+')[0];
      const raw = Buffer.concat([Buffer.of(1), pub]);
      const hash = createHash('sha256').update(`${name}\n`).update(raw).digest().subarray(0, 4).toString('hex');
      await panel.getByLabel('The verifier key you were given').fill(`${name}+${hash}+${raw.toString('base64')}`);
      await panel.getByRole('button', { name: 'Verify with this key' }).click();
      await panel.getByText('Not verified: it carries no signature by this key').waitFor();
      await panel.getByText(`is not the server's key (hash ${hash})`).waitFor();
      await panel.getByLabel('The verifier key you were given').fill(key);
      await panel.getByRole('button', { name: 'Verify with this key' }).click();
      await panel.getByText('Its signature verified in your browser (WebCrypto Ed25519) against the key you entered').waitFor();
      await panel.getByText("is the server's key").waitFor();
      // The entries as the server lists them, read again, all verify.
      await filter(page, { actor: who.name, action: 'service.create' });
      await shownSeqs(t, page, mine.map((e) => e.seq));
      await page.getByRole('article', { name: `Entry ${mine[0].seq}: service.create` }).getByText(`"${made[0].owner}"`).waitFor();
      const again = await verdicts(t, page);
      t.eq([again.ok, again.within, again.failed], [2, 2, 0], `the page's count with the pinned key (${again.text})`);
    },
  },
  {
    name: 'a developer is told the role lacks audit.read; a scoped auditor sees its entries unverified, with the reason',
    fn: async (t) => {
      const dev = await t.mint('developer');
      const devPage = await openAudit(t, dev.token);
      await devPage.getByText('Reading the audit log: the role developer does not hold the permission audit.read').waitFor();
      t.eq(await devPage.getByLabel('Actor', { exact: true }).count(), 0, 'no filter form for the developer');

      const env = t.uniq('aud-env');
      await t.must(201, 'POST', '/v1/environments', { name: env, rank: 900 });
      const scoped = await t.mint('auditor', { environments: [env] });
      const page = await openAudit(t, scoped.token);
      const panel = page.getByRole('region', { name: 'Signed checkpoint' });
      await panel.getByText('The entries below are shown without verification').waitFor();
      await panel.getByText('reading it takes a token without an environment, service or team scope').waitFor();
      const mine = await entries(t, { object_type: 'environment', object_id: env });
      t.eq(mine.map((e) => e.action), ['environment.create'], 'the environment\'s entries');
      await filter(page, { object_type: 'environment', object_id: env });
      await shownSeqs(t, page, mine.map((e) => e.seq));
      t.eq(await page.getByText(/verified in your browser/).count(), 0, 'nothing claims to be verified');
      await t.shot(page, 'audit-scoped');
    },
  },
];
