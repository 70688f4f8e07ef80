// incidents.test.mjs - incidents in the dashboard: the list filtered by
// service, an incident's suspected deployments with what each changed, a
// release manager confirming one as the cause (the API then holds the
// deployment as a change failure) and resolving the incident, what a
// developer is shown instead of the confirm button, and a known incident
// on its release's page.
import * as seed from './seed.mjs';

// An incident in env about svc, started now (after every deployment the
// test made before it).
async function incident(t, env, svc, extra = {}) {
  return t.must(201, 'POST', '/v1/incidents', {
    key: t.uniq('inc'), severity: 'critical', environment: env, services: [svc],
    summary: 'checkout answers 502', ...extra,
  });
}

export const tests = [
  {
    name: 'a release manager confirms a suspected deployment as the cause and resolves the incident',
    fn: async (t) => {
      const env = await seed.environments(t);
      const svc = (await seed.service(t)).name;
      const r1 = await seed.release(t, svc, '1.0.0', { commit: '1'.repeat(40) });
      const r2 = await seed.release(t, svc, '1.1.0', { commit: '2'.repeat(40), notes: 'new connection pool' });
      const d1 = await seed.deploy(t, r1, env.production);
      const d2 = await seed.deploy(t, r2, env.production);
      const inc = await incident(t, env.production, svc);
      const rm = await t.mint('release_manager');
      const page = await t.page(rm.token, { path: `/incidents/${inc.key}` });
      await page.getByRole('heading', { name: `Incident ${inc.key}`, level: 1 }).waitFor();

      const table = page.getByRole('table', { name: 'Suspected deployments, newest first per service' });
      const rows = table.getByRole('row');
      await rows.nth(1).waitFor();
      t.eq(await rows.count(), 3, 'a header and two suspects');
      t.eq((await rows.nth(1).getByRole('rowheader').textContent()).trim(), `#${d2.id}`, 'newest first');
      t.eq((await rows.nth(2).getByRole('rowheader').textContent()).trim(), `#${d1.id}`, 'then the one before');
      await rows.nth(1).getByText('new connection pool').waitFor();
      await rows.nth(1).getByRole('link', { name: `${svc} 1.0.0` }).waitFor(); // what it replaced

      const form = page.getByRole('form', { name: `Confirm deployment #${d2.id} as the cause` });
      await form.getByLabel('Comment').fill('pool too small');
      await form.getByRole('button', { name: 'Confirm as cause' }).click();
      await page.getByRole('status').filter({ hasText: `Deployment #${d2.id} confirmed as the cause` }).waitFor();
      const dep = await t.must(200, 'GET', `/v1/deployments/${d2.id}`);
      t.eq([dep.change_failure, dep.caused_incidents], [true, [inc.key]], 'the deployment is a change failure');
      const got = await t.must(200, 'GET', `/v1/incidents/${inc.key}`);
      t.eq(got.causes.map((c) => [c.deployment_id, c.comment, c.confirmed_by]), [[d2.id, 'pool too small', rm.name]], 'the cause');
      await page.getByRole('button', { name: `Withdraw deployment #${d2.id} as the cause` }).waitFor();

      await page.getByRole('button', { name: 'Resolve now' }).click();
      await page.getByRole('status').filter({ hasText: `Incident ${inc.key} resolved` }).waitFor();
      const after = await t.must(200, 'GET', `/v1/incidents/${inc.key}`);
      t.eq(after.status, 'resolved', 'resolved');
      t.check(after.resolution_seconds >= 0, 'resolution time recorded');
      await page.getByRole('button', { name: 'Reopen' }).waitFor();
      await page.setViewportSize({ width: 375, height: 800 });
      await t.shot(page, 'incident-375');
    },
  },
  {
    name: 'a developer finds the incident by service and is told why they may not confirm a cause',
    fn: async (t) => {
      const env = await seed.environments(t);
      const svc = (await seed.service(t)).name;
      const d = await seed.deploy(t, await seed.release(t, svc, '3.0.0'), env.staging);
      const inc = await incident(t, env.staging, svc, { severity: 'minor' });
      const dev = await t.mint('developer');
      const page = await t.page(dev.token, { path: `/incidents?service=${svc}` });
      await page.getByRole('heading', { name: 'Incidents', level: 1 }).waitFor();
      const table = page.getByRole('table', { name: 'Incidents, newest first' });
      const row = table.getByRole('row').filter({ has: page.getByRole('rowheader', { name: inc.key, exact: true }) });
      await row.waitFor();
      t.eq(await table.getByRole('row').count(), 2, 'only this service\'s incident');
      await row.getByText('minor').waitFor();
      await row.getByText('open').waitFor();
      await row.getByRole('link', { name: inc.key }).click();
      await page.getByRole('heading', { name: `Incident ${inc.key}`, level: 1 }).waitFor();
      await page.getByRole('rowheader', { name: `#${d.id}` }).waitFor();
      await page.getByText('does not hold the permission incident.cause').waitFor();
      t.eq(await page.getByRole('button', { name: 'Confirm as cause' }).count(), 0, 'no confirm button');
      // A developer may resolve (incident.write).
      await page.getByRole('button', { name: 'Resolve now' }).waitFor();
      const dep = await t.must(200, 'GET', `/v1/deployments/${d.id}`);
      t.eq(dep.change_failure, undefined, 'untouched');
    },
  },
  {
    name: 'a known incident is shown on its release page',
    fn: async (t) => {
      const env = await seed.environments(t);
      const svc = (await seed.service(t)).name;
      const rel = await seed.release(t, svc, '5.1.0');
      const inc = await incident(t, env.production, svc, { summary: 'exports time out' });
      await t.must(201, 'POST', `/v1/releases/${rel.id}/known-issues`, { incident: inc.key });
      const page = await t.page(t.adminToken, { path: `/releases/${svc}@5.1.0` });
      await page.getByRole('heading', { name: 'Known incidents' }).waitFor();
      const table = page.getByRole('table', { name: 'Incidents that are known issues of this release' });
      const row = table.getByRole('row').filter({ has: page.getByRole('rowheader', { name: inc.key, exact: true }) });
      await row.getByText('exports time out').waitFor();
      t.eq(await table.getByRole('row').count(), 2, 'one incident');
    },
  },
];
