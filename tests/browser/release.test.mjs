// release.test.mjs - the release page: its record, the gate per
// environment with every check and its reason, approvals, checklist and
// deployments.
import * as seed from './seed.mjs';

export const tests = [
  {
    name: 'the release page shows its record, artifacts, and per environment the gate with every check and why',
    fn: async (t) => {
      const env = await seed.environments(t, {
        policy: { approvals: [{ group: 'cab', count: 2 }], checklists: [{ release_types: ['minor'], items: ['backup validated'] }] },
      });
      const svc = await seed.service(t);
      const digest = 'ab'.repeat(32);
      const rel = await seed.release(t, svc.name, '3.2.0', {
        commit: '0123456789abcdef0123456789abcdef01234567',
        notes: 'Faster settlement batches.',
        known_issues: 'Reports lag by a minute.',
        artifacts: [{ name: 'image', uri: 'oci://registry.example/pay:3.2.0', sha256: digest }],
        rollback: { target_version: '3.1.0', criteria: 'error rate over 2%', procedure: 'redeploy 3.1.0' },
      });
      await seed.deploy(t, rel, env.dev);
      const page = await t.page(t.adminToken, { path: `/releases/${svc.name}@3.2.0` });
      await page.getByRole('heading', { level: 1, name: `${svc.name} 3.2.0` }).waitFor();
      t.check(await page.getByRole('region', { name: 'Artifacts' }).getByText(digest).isVisible(), 'the artifact digest');
      t.check(await page.getByRole('region', { name: 'Notes' }).getByText('Faster settlement batches.').isVisible(), 'the notes');
      t.check(await page.getByRole('region', { name: 'Rollback plan' }).getByText('error rate over 2%').isVisible(), 'the rollback criteria');
      const prodGate = page.getByRole('region', { name: `Gate for ${env.production}` });
      await prodGate.waitFor();
      const verdict = await t.must(200, 'POST', '/v1/gates/check', { release: rel.id, environment: env.production });
      t.eq(verdict.allowed, false, 'the server refuses production');
      t.check((await prodGate.textContent()).includes('Not allowed'), 'the page says not allowed');
      // Every check the server made is there, with its verdict in words
      // and the server's reason.
      const items = prodGate.getByRole('listitem');
      t.eq(await items.count(), verdict.checks.length, 'one line per check');
      for (const [i, c] of verdict.checks.entries()) {
        const text = await items.nth(i).textContent();
        t.check(text.includes(`${c.name} ${c.passed ? 'passed' : 'failed'}`) && text.includes(c.detail), `check ${c.name}: ${text} vs ${c.detail}`);
      }
      const devGate = page.getByRole('region', { name: `Gate for ${env.dev}` });
      t.check((await devGate.textContent()).includes('Allowed'), 'dev allows it');
      t.check((await page.getByRole('region', { name: `${env.production} protected`, exact: true }).textContent()).includes('Required: 2 from cab'), 'what production requires');
      await t.shot(page, 'release');
    },
  },
  {
    name: 'completing a checklist item on the page records it with its evidence and the gate check turns',
    fn: async (t) => {
      const env = await seed.environments(t, { policy: { checklists: [{ release_types: ['minor'], items: ['rollback rehearsed'] }] } });
      const svc = await seed.service(t);
      const rel = await seed.release(t, svc.name, '1.1.0');
      const page = await t.page(t.adminToken, { path: `/releases/${rel.id}` });
      const region = page.getByRole('region', { name: env.production });
      await region.getByRole('heading', { name: 'Checklist' }).waitFor();
      await region.getByLabel('Evidence link for rollback rehearsed').fill('https://runbooks.example/rehearsal/42');
      await region.getByRole('button', { name: 'Mark “rollback rehearsed” done' }).click();
      await region.getByText('rollback rehearsed: done by admin').waitFor();
      const list = await t.must(200, 'GET', `/v1/releases/${rel.id}/checklist?environment=${env.production}`);
      t.eq(list.items[0].done.evidence, 'https://runbooks.example/rehearsal/42', 'the evidence the server holds');
      const check = region.getByRole('region', { name: `Gate for ${env.production}` }).getByRole('listitem').filter({ hasText: 'checklist' });
      t.check((await check.textContent()).includes('checklist passed'), await check.textContent());
    },
  },
  {
    name: 'the timeline draws each deployment in its environment\'s lane with the canary\'s traffic steps',
    fn: async (t) => {
      const env = await seed.environments(t);
      const svc = await seed.service(t);
      const rel = await seed.release(t, svc.name, '7.0.0', { type: 'major' });
      await seed.deploy(t, rel, env.dev);
      await seed.deploy(t, rel, env.staging, 'failed');
      const canary = await seed.deploy(t, rel, env.production, 'in_progress', { strategy: 'canary' });
      for (const percent of [10, 50, 100]) {
        await t.must(201, 'POST', `/v1/deployments/${canary.id}/events`, { traffic_percent: percent, message: `step ${percent}` });
      }
      const page = await t.page(t.adminToken, { path: `/releases/${svc.name}@7.0.0` });
      const drawing = page.getByRole('img', { name: /^Deployments over time/ });
      await drawing.waitFor();
      const label = await drawing.getAttribute('aria-label');
      t.check(label.includes(`${env.dev}: 7.0.0 succeeded`) && label.includes(`${env.staging}: 7.0.0 failed`)
        && label.includes(`${env.production}: 7.0.0 in progress`), label);
      const lanes = await drawing.locator('text.rtl-env').allTextContents();
      t.eq(lanes, [env.dev, env.staging, env.production], 'one lane per environment, in promotion order');
      t.eq(await drawing.locator('text.rtl-pct').allTextContents(), ['10%', '50%', '100%'], 'the traffic steps');
      t.eq(await drawing.locator('rect').count(), 3, 'one bar per deployment');
      await t.shot(page, 'release-timeline');
    },
  },
];
