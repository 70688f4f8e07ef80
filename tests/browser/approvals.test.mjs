// approvals.test.mjs - the approvals inbox: what waits for my groups,
// approving from the page, the gate changing, and segregation of duties
// explained in the server's words.
import * as seed from './seed.mjs';

export const tests = [
  {
    name: 'an approver approves from the inbox and sees the gate turn to allowed',
    fn: async (t) => {
      const group = t.uniq('cab');
      const env = await seed.environments(t, { policy: { approvals: [{ group, count: 1 }] } });
      const svc = await seed.service(t);
      const rel = await seed.release(t, svc.name, '5.0.0', { type: 'major' });
      await seed.deploy(t, rel, env.staging);
      const approver = await t.mint('approver', { groups: [group] });
      const page = await t.page(approver.token, { path: '/approvals' });
      const card = page.getByRole('article', { name: `${svc.name} 5.0.0 to ${env.production}` });
      await card.waitFor();
      t.check((await card.textContent()).includes('0 of 1 approvals'), await card.textContent());
      // The approver's own gate also says they may not deploy; what their
      // decision changes is the approvals check.
      const before = card.getByRole('region').getByRole('listitem').filter({ hasText: 'approvals' });
      t.check((await before.textContent()).includes('approvals failed'), `before: ${await before.textContent()}`);
      await t.shot(page, 'approvals');
      await card.getByLabel(/Comment on/).fill('CAB 2026-12-07: go');
      await card.getByRole('button', { name: 'Approve' }).click();
      const after = page.getByRole('region', { name: new RegExp(`in ${env.production} after your decision`) });
      await after.waitFor();
      const check = after.getByRole('listitem').filter({ hasText: 'approvals' });
      t.check((await check.textContent()).includes(`approvals passed approved: 1 of 1 from ${group} (${approver.name})`), `after: ${await check.textContent()}`);
      const deployer = await t.must(200, 'POST', '/v1/gates/check', { release: rel.id, environment: env.production });
      t.eq(deployer.allowed, true, 'the gate now allows an admin to deploy');
      const held = await t.must(200, 'GET', `/v1/releases/${rel.id}/approvals`);
      t.eq(held.items.map((a) => [a.approver, a.decision, a.comment, a.environment]),
        [[approver.name, 'approve', 'CAB 2026-12-07: go', env.production]], 'what the server recorded');
      await card.waitFor({ state: 'detached' });
    },
  },
  {
    name: 'segregation of duties: the author cannot approve, and the page says why in the server\'s words',
    fn: async (t) => {
      const group = t.uniq('cab');
      const env = await seed.environments(t, {
        policy: { approvals: [{ group, count: 1 }], segregation: { author_may_not_approve: true } },
      });
      const svc = await seed.service(t);
      const author = await t.mint('release_manager', { groups: [group] });
      const rel = await t.must(201, 'POST', '/v1/releases', { service: svc.name, version: '1.0.0', type: 'minor' }, author.token);
      const page = await t.page(author.token, { path: '/approvals' });
      const card = page.getByRole('article', { name: `${svc.name} 1.0.0 to ${env.production}` });
      await card.getByRole('button', { name: 'Approve' }).click();
      const alert = card.getByRole('alert');
      await alert.waitFor();
      const refusal = await t.api('POST', `/v1/releases/${rel.id}/approvals`, { environment: env.production, decision: 'approve' }, author.token);
      t.eq(refusal.status, 403, 'the server refuses the author');
      t.check((await alert.textContent()).includes(refusal.body.detail), `the page shows: ${await alert.textContent()}`);
      const held = await t.must(200, 'GET', `/v1/releases/${rel.id}/approvals`);
      t.eq(held.items.length, 0, 'nothing recorded');
    },
  },
  {
    name: 'a role that may not approve or deploy sees no write buttons, and says why',
    fn: async (t) => {
      const env = await seed.environments(t, { policy: { approvals: [{ group: 'cab', count: 1 }] } });
      const svc = await seed.service(t);
      const rel = await seed.release(t, svc.name, '1.0.0');
      const dep = await seed.deploy(t, rel, env.dev);
      const dev = await t.mint('auditor');
      const page = await t.page(dev.token, { path: '/approvals' });
      await page.getByText('does not hold the permission').waitFor();
      t.eq(await page.getByRole('button', { name: 'Approve' }).count(), 0, 'no approve button in the inbox');
      await page.goto(`${t.url}/releases/${rel.id}`);
      await page.getByRole('region', { name: `Gate for ${env.production}` }).waitFor();
      t.eq(await page.getByRole('button', { name: /Approve|Reject|Mark/ }).count(), 0, 'no decision buttons on the release');
      await page.goto(`${t.url}/deployments/${dep.id}`);
      await page.getByRole('heading', { name: 'Rollback' }).waitFor();
      t.eq(await page.getByRole('button', { name: 'Roll back' }).count(), 0, 'no rollback button');
      t.check(await page.getByText('does not hold the permission deploy').isVisible(), 'the reason is shown');
    },
  },
];
