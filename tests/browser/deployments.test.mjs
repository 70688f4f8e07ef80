// deployments.test.mjs - the deployment list with its filters and chart,
// one deployment's page, and rolling back from it.
import * as seed from './seed.mjs';

export const tests = [
  {
    name: 'the list filtered by service and status shows exactly those deployments, and the link carries the filters',
    fn: async (t) => {
      const env = await seed.environments(t);
      const svc = await seed.service(t);
      const r1 = await seed.release(t, svc.name, '1.0.0');
      const r2 = await seed.release(t, svc.name, '1.1.0');
      const ok1 = await seed.deploy(t, r1, env.dev, 'succeeded', { pipeline_url: 'https://ci.example/job/1' });
      const bad = await seed.deploy(t, r2, env.dev, 'failed');
      const ok2 = await seed.deploy(t, r1, env.staging);
      const page = await t.page(t.adminToken, { path: '/deployments' });
      const form = page.getByRole('search', { name: 'Filter deployments' });
      await form.getByLabel('Service').fill(svc.name);
      await form.getByRole('button', { name: 'Apply filters' }).click();
      await page.waitForURL((u) => u.search.includes(`service=${svc.name}`));
      const rows = page.getByRole('table').filter({ hasText: 'Pipeline' }).getByRole('row');
      await rows.filter({ hasText: `#${ok2.id}` }).waitFor();
      const ids = async () => (await rows.getByRole('rowheader').allTextContents()).map((s) => s.trim());
      t.eq(await ids(), [`#${ok2.id}`, `#${bad.id}`, `#${ok1.id}`], 'the service\'s deployments, newest first');
      await form.getByLabel('Status').selectOption('failed');
      await form.getByRole('button', { name: 'Apply filters' }).click();
      await page.waitForURL((u) => u.search.includes('status=failed'));
      await rows.filter({ hasText: `#${ok1.id}` }).waitFor({ state: 'detached' });
      t.eq(await ids(), [`#${bad.id}`], 'only the failed one');
      // A link with the filters opens the same list afresh.
      const again = await t.page(t.adminToken, { path: `/deployments?service=${svc.name}&environment=${env.staging}` });
      const rows2 = again.getByRole('table').filter({ hasText: 'Pipeline' }).getByRole('row');
      await rows2.filter({ hasText: `#${ok2.id}` }).waitFor();
      t.eq(await rows2.getByRole('rowheader').count(), 1, 'one deployment to staging');
      // The chart's table counts today's deployments per environment.
      await again.getByText('The same as a table').click();
      const today = again.getByRole('table').filter({ hasText: 'Day' }).getByRole('row').last();
      const cells = await today.getByRole('cell').allTextContents();
      t.eq(cells.map(Number).reduce((a, b) => a + b, 0), 1, 'one deployment counted today');
      await t.shot(page, 'deployments');
    },
  },
  {
    name: 'a deployment page shows its timeline, and rolling back starts the previous version there',
    fn: async (t) => {
      const env = await seed.environments(t);
      const svc = await seed.service(t);
      const r1 = await seed.release(t, svc.name, '4.0.0');
      const r2 = await seed.release(t, svc.name, '4.1.0');
      await seed.deploy(t, r1, env.production);
      const dep = await seed.deploy(t, r2, env.production, 'in_progress');
      await t.must(201, 'POST', `/v1/deployments/${dep.id}/events`, { message: 'error rate climbing' });
      await t.must(201, 'POST', `/v1/deployments/${dep.id}/events`, { status: 'failed' });
      const page = await t.page(t.adminToken, { path: `/deployments/${dep.id}` });
      const timeline = page.getByRole('region', { name: 'Timeline' });
      await timeline.getByText('error rate climbing').waitFor();
      t.eq(await timeline.getByRole('listitem').count(), 3, 'three events');
      await page.getByLabel('Reason for the rollback').fill('errors after 4.1.0');
      await page.getByRole('button', { name: 'Roll back' }).click();
      await page.waitForURL((u) => u.pathname !== `/deployments/${dep.id}`);
      const made = Number(new URL(page.url()).pathname.split('/').pop());
      const doc = await t.must(200, 'GET', `/v1/deployments/${made}`);
      t.eq([doc.rollback_of, doc.version, doc.environment], [dep.id, '4.0.0', env.production], 'the rollback the server started');
      await page.getByRole('heading', { level: 1, name: `Deployment ${made}` }).waitFor();
      await page.getByRole('link', { name: `deployment ${dep.id}`, exact: true }).waitFor();
      const old = await t.must(200, 'GET', `/v1/deployments/${dep.id}`);
      t.eq(old.status, 'rolled_back', 'the failed one is rolled back');
    },
  },
];
