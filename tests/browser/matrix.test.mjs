// matrix.test.mjs - the environment matrix: what runs where, drift,
// freezes, and live updates without a reload.
import * as seed from './seed.mjs';

// The matrix cell of service svc in environment env.
async function cell(page, svc, env) {
  const headers = await page.getByRole('columnheader').allTextContents();
  const col = headers.findIndex((h) => h.trim().split(/\s/)[0] === env);
  if (col < 0) throw new Error(`no column ${env} in ${JSON.stringify(headers)}`);
  const row = page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: new RegExp(`^${svc}\\b`) }) });
  return row.getByRole('cell').nth(col - 1);
}

export const tests = [
  {
    name: 'each cell shows the version running there, drift from the environment below, and a failure',
    fn: async (t) => {
      const env = await seed.environments(t);
      const svc = await seed.service(t, { tags: { unit: 'payments' } });
      const r140 = await seed.release(t, svc.name, '1.4.0');
      const r150 = await seed.release(t, svc.name, '1.5.0');
      const r151 = await seed.release(t, svc.name, '1.5.1', { type: 'patch' });
      await seed.deploy(t, r140, env.dev);
      await seed.deploy(t, r150, env.dev);
      await seed.deploy(t, r150, env.staging);
      await seed.deploy(t, r140, env.production);
      await seed.deploy(t, r151, env.staging, 'failed');
      const page = await t.page();
      await page.getByRole('searchbox', { name: 'Filter' }).fill(svc.name);
      const prod = await cell(page, svc.name, env.production);
      await prod.getByRole('link', { name: '1.4.0' }).waitFor();
      t.check((await prod.textContent()).includes(`drift: ${env.staging} runs 1.5.0`), `drift in production: ${await prod.textContent()}`);
      const staging = await cell(page, svc.name, env.staging);
      const text = await staging.textContent();
      t.check(text.includes('1.5.0') && text.includes('failed') && text.includes('1.5.1'), `staging runs 1.5.0 with 1.5.1 failed: ${text}`);
      const dev = await cell(page, svc.name, env.dev);
      t.check(!(await dev.textContent()).includes('drift'), 'dev has nothing below it');
      // The link opens the release page.
      await prod.getByRole('link', { name: '1.4.0' }).click();
      await page.getByRole('heading', { level: 1, name: `${svc.name} 1.4.0` }).waitFor();
    },
  },
  {
    name: 'a deployment started through the API appears in its cell without a reload, and only that row repaints',
    fn: async (t) => {
      const env = await seed.environments(t);
      const svc = await seed.service(t);
      const other = await seed.service(t, { owner: svc.owner });
      const r1 = await seed.release(t, svc.name, '2.0.0');
      const r2 = await seed.release(t, svc.name, '2.1.0');
      const o1 = await seed.release(t, other.name, '0.9.0');
      await seed.deploy(t, r1, env.production);
      await seed.deploy(t, o1, env.production);
      const page = await t.page();
      await page.getByRole('searchbox', { name: 'Filter' }).fill(svc.owner);
      const c = await cell(page, svc.name, env.production);
      await c.getByRole('link', { name: '2.0.0' }).waitFor();
      await page.getByRole('status').filter({ hasText: /^\W*Live$/ }).waitFor();
      // Mark the page (a reload would lose the mark) and watch the table:
      // every change to the document must fall inside this service's row.
      await page.evaluate(() => {
        window.__same_page = true;
        window.__touched = new Set();
        const table = document.querySelector('table');
        new MutationObserver((list) => {
          for (const m of list) {
            const el = m.target.nodeType === 1 ? m.target : m.target.parentElement;
            const row = el.closest('tr');
            const head = row && row.querySelector('th[scope=row] a');
            window.__touched.add(head ? head.textContent : `outside a service row: ${m.type} ${el.outerHTML.slice(0, 120)}`);
          }
        }).observe(table, { subtree: true, childList: true, characterData: true, attributes: true });
      });
      const mine = await c.elementHandle();
      const dep = await seed.deploy(t, r2, env.production, 'in_progress');
      await c.getByText('in progress').waitFor({ timeout: 5000 });
      t.check((await c.textContent()).includes('2.1.0'), 'the new version shows as under way');
      await seed.deploy(t, r2, env.dev);
      await t.must(201, 'POST', `/v1/deployments/${dep.id}/events`, { status: 'succeeded' });
      await c.getByRole('link', { name: '2.1.0' }).waitFor({ timeout: 5000 });
      t.eq(await page.evaluate(() => window.__same_page), true, 'the page was not reloaded');
      t.eq(await page.evaluate(() => [...window.__touched]), [svc.name], 'the rows the updates changed');
      t.eq(await mine.evaluate((el) => el.isConnected), true, 'the cell was updated in place');
      await t.shot(page, 'matrix');
    },
  },
  {
    name: 'a freeze in force shows a banner and marks its environment frozen',
    fn: async (t) => {
      const env = await seed.environments(t);
      const svc = await seed.service(t);
      await seed.deploy(t, await seed.release(t, svc.name, '1.0.0'), env.production);
      const now = Date.now();
      const name = t.uniq('year-end-freeze');
      await t.must(201, 'POST', '/v1/windows', {
        name, kind: 'freeze', environment: env.production,
        start: new Date(now - 3600e3).toISOString().slice(0, 19),
        end: new Date(now + 3 * 86400e3).toISOString().slice(0, 19),
        timezone: 'UTC',
        reason: 'year-end trading',
      });
      const page = await t.page();
      const banner = page.getByRole('region', { name: 'Freezes in force' });
      await banner.getByText(name).waitFor();
      const text = await banner.textContent();
      t.check(text.includes(`Freeze in ${env.production}`) && text.includes('year-end trading') && text.includes('UTC'), text);
      // Each team's table has its own column headers: every one says so.
      const heads = await page.getByRole('columnheader').filter({ hasText: env.production }).allTextContents();
      t.check(heads.length > 0 && heads.every((h) => h.includes('frozen')), `the column says frozen: ${JSON.stringify(heads)}`);
    },
  },
  {
    name: 'filters by tag and tier keep only the matching services',
    fn: async (t) => {
      await seed.environments(t);
      const unit = t.uniq('unit');
      const a = await seed.service(t, { tier: 1, tags: { unit } });
      const b = await seed.service(t, { tier: 3, tags: { unit } });
      const page = await t.page();
      await page.getByLabel('Tag').selectOption(`unit=${unit}`);
      await page.getByRole('rowheader', { name: new RegExp(`^${a.name}\\b`) }).waitFor();
      await page.getByRole('rowheader', { name: new RegExp(`^${b.name}\\b`) }).waitFor();
      await page.getByLabel('Tier').selectOption('1');
      await page.getByRole('rowheader', { name: new RegExp(`^${b.name}\\b`) }).waitFor({ state: 'detached' });
      t.eq(await page.getByRole('rowheader', { name: new RegExp(`^svc-`) }).count(), 1, 'one service left');
    },
  },
];
