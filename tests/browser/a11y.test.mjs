// a11y.test.mjs - every view checked by axe-core against WCAG 2.1 A and
// AA (labels, names, contrast, landmarks, …) in both themes, and the page
// used from the keyboard alone. axe is injected into the page, which the
// page's own policy forbids: these contexts bypass it (and only these).
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as seed from './seed.mjs';

const AXE = join(resolve(dirname(fileURLToPath(import.meta.url)), '..', '..'), 'web', 'node_modules', 'axe-core', 'axe.min.js');

// The violations axe finds on what the page shows now, as sentences.
async function violations(page) {
  await page.addScriptTag({ path: AXE });
  const found = await page.evaluate(async () => {
    const r = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return r.violations.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
  });
  return found;
}

async function views(t) {
  const group = t.uniq('cab');
  const env = await seed.environments(t, { policy: { approvals: [{ group, count: 1 }], checklists: [{ release_types: ['minor'], items: ['backup validated'] }] } });
  const svc = await seed.service(t);
  const r1 = await seed.release(t, svc.name, '1.0.0');
  const r2 = await seed.release(t, svc.name, '1.1.0');
  await seed.deploy(t, r1, env.dev);
  await seed.deploy(t, r1, env.staging);
  const failed = await seed.deploy(t, r2, env.dev, 'failed');
  await seed.deploy(t, r2, env.staging, 'in_progress', { strategy: 'canary' });
  await t.must(201, 'POST', '/v1/windows', {
    name: t.uniq('freeze'), kind: 'freeze', environment: env.production, timezone: 'Europe/Berlin',
    start: new Date(Date.now() - 3600e3).toISOString().slice(0, 19), end: new Date(Date.now() + 86400e3).toISOString().slice(0, 19),
  });
  await t.must(200, 'PUT', `/v1/environments/${env.production}/policy`, { approvals: [{ group, count: 2 }] });
  return {
    group,
    paths: [
      ['matrix', '/', 'Environments'],
      ['release', `/releases/${svc.name}@1.1.0`, `${svc.name} 1.1.0`],
      ['deployments', `/deployments?service=${svc.name}`, 'Deployments'],
      ['deployment', `/deployments/${failed.id}`, `Deployment ${failed.id}`],
      ['approvals', '/approvals', 'Approvals'],
      ['calendar', '/calendar', 'Calendar'],
      ['calendar week', '/calendar?view=week', 'Calendar'],
      ['policies', `/policies?environment=${env.production}&from=1&to=2`, 'Policies'],
      ['audit', `/audit?object_type=release`, 'Audit log'],
    ],
  };
}

export const tests = [
  {
    name: 'every view meets WCAG 2.1 AA as axe checks it, in the light and the dark theme',
    fn: async (t) => {
      const { group, paths } = await views(t);
      const approver = await t.mint('admin', { groups: [group] });
      const problems = [];
      for (const colorScheme of ['light', 'dark']) {
        const page = await t.page(approver.token, { bypassCSP: true, colorScheme });
        for (const [name, path, heading] of paths) {
          await page.goto(t.url + path);
          await page.getByRole('heading', { level: 1, name: heading }).waitFor();
          await page.getByRole('status').filter({ hasText: /Loading|loading/ }).waitFor({ state: 'detached' }).catch(() => {});
          await page.waitForTimeout(300);
          for (const v of await violations(page)) problems.push(`${name} (${colorScheme}): ${v}`);
        }
      }
      const signin = await t.blankPage({ bypassCSP: true });
      await signin.goto(t.url + '/');
      await signin.getByLabel('Token').waitFor();
      for (const v of await violations(signin)) problems.push(`sign-in: ${v}`);
      t.check(problems.length === 0, `${problems.length} violations:\n    ${problems.join('\n    ')}`);
    },
  },
  {
    name: 'the keyboard alone signs in, skips to the content, moves between views and shows where focus is',
    fn: async (t) => {
      const page = await t.blankPage();
      await page.goto(t.url + '/');
      await page.getByLabel('Token').focus();
      await page.keyboard.type(t.adminToken);
      await page.keyboard.press('Enter');
      await page.getByRole('button', { name: 'Sign out' }).waitFor();
      await page.getByRole('heading', { level: 1, name: 'Environments' }).waitFor();
      await page.locator('body').focus();
      await page.keyboard.press('Tab');
      const first = await page.evaluate(() => document.activeElement.textContent);
      t.eq(first, 'Skip to content', 'the first stop');
      // Focus is drawn: the outline of the focused link is not none.
      const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
      t.check(outline !== 'none', `the focused link shows an outline (${outline})`);
      await page.keyboard.press('Tab');
      await page.keyboard.press('Tab');
      await page.keyboard.press('Tab');
      t.eq(await page.evaluate(() => document.activeElement.textContent), 'Deployments', 'the nav after the brand and Environments');
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { level: 1, name: 'Deployments' }).waitFor();
      t.eq(await page.evaluate(() => document.activeElement.tagName + ' ' + document.activeElement.textContent), 'H1 Deployments', 'focus moves to the new page\'s heading');
    },
  },
];
