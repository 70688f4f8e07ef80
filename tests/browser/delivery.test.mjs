// delivery.test.mjs - the Delivery view: the DORA measures the server
// computes for a service, shown as the period's table (against the period
// before, with the trend and the level) and one chart a measure, each with
// its figures as a table; and the same at 375 px.
import * as seed from './seed.mjs';

export const tests = [
  {
    name: 'a service with a rollback shows its change failure and rework rates as the server computes them',
    fn: async (t) => {
      const prod = t.uniq('prod');
      await t.must(201, 'POST', '/v1/environments', { name: prod, rank: 900, production: true });
      const svc = (await seed.service(t)).name;
      const r1 = await seed.release(t, svc, '1.0.0');
      const r2 = await seed.release(t, svc, '1.1.0');
      await seed.deploy(t, r1, prod);
      const d2 = await seed.deploy(t, r2, prod);
      const rb = await t.must(201, 'POST', `/v1/deployments/${d2.id}/rollback`, { reason: 'error rate' });
      await t.must(201, 'POST', `/v1/deployments/${rb.id}/events`, { status: 'succeeded' });
      // Two changes, one rolled back: CFR 1/2; rework: the rollback, 1 of 3.
      const m = await t.must(200, 'GET', `/v1/metrics/dora?service=${svc}&bucket=day`);
      t.eq([m.overall.deployments, m.overall.change_failure_rate, m.overall.level.change_failure_rate],
        [2, 0.5, 'low'], 'the server\'s figures');

      const page = await t.page(undefined, { path: `/delivery?service=${svc}&bucket=day` });
      await page.getByRole('heading', { name: 'Delivery', level: 1 }).waitFor();
      const table = page.getByRole('table', { name: /against the period before/ });
      const row = (name) => table.getByRole('row').filter({ has: page.getByRole('rowheader', { name, exact: true }) });
      await row('Production deployments').waitFor();
      t.eq((await row('Production deployments').getByRole('cell').first().textContent()).trim(), '2', 'deployments');
      const cfr = row('Change failure rate').getByRole('cell');
      t.eq((await cfr.nth(0).textContent()).trim(), '50.0 %', 'CFR');
      t.eq((await cfr.nth(3).textContent()).trim(), 'low', 'its level, in words');
      t.eq((await row('Rework rate').getByRole('cell').first().textContent()).trim(), '33.3 %', 'rework');
      t.eq((await row('Rework rate').getByRole('cell').nth(3).textContent()).trim(), 'no level', 'rework has no levels');
      // No start refused: the server's rate 0, shown as such, no reasons.
      t.eq(m.overall.gate_refusal_rate, 0, 'the server\'s refusal rate');
      t.eq((await row('Gate refusal rate (starts refused)').getByRole('cell').first().textContent()).trim(), '0.0 %', 'refusal rate');
      t.eq((await row('Refusals by failing check').getByRole('cell').first().textContent()).trim(), '—', 'no reasons');
      for (const h of ['Deployment frequency (a day)', 'Change lead time (median)', 'Change failure rate',
        'Failed deployment recovery time (median)', 'Rework rate']) {
        await page.getByRole('heading', { name: h, level: 2 }).waitFor();
      }
      t.eq(await page.locator('.delivery-measure .uplot').count(), 5, 'a chart a measure');
      await page.getByText(`Production environments: `, { exact: false }).filter({ hasText: prod }).waitFor();
      await page.setViewportSize({ width: 375, height: 800 });
      await t.shot(page, 'delivery-375');
    },
  },
  {
    name: 'a bad time zone is the server\'s problem, naming the parameter',
    fn: async (t) => {
      const page = await t.page(undefined, { path: '/delivery?tz=Mars%2FOlympus' });
      const alert = page.getByRole('alert');
      await alert.waitFor();
      await alert.getByText('tz', { exact: true }).waitFor();
    },
  },
];
