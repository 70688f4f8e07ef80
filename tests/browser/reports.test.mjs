// reports.test.mjs - the Reports view: a production change seeded through
// the API shows in the change report with its approver, change request
// and audit entries as the server holds them; the exceptions report
// proves segregation with zero findings; the CSV download link serves the
// same rows; a developer is told why there is nothing to read.
import * as seed from './seed.mjs';

// One production environment of its own (so other tests' data stays
// out), a policy asking for an approval, and one approved change. The
// daemon is shared: done() gives the environment back its default (not
// marked), so which environments count as production elsewhere is as
// before.
async function world(t) {
  const env = t.uniq('prod');
  await t.must(201, 'POST', '/v1/environments', { name: env, rank: 950, production: true });
  await t.must(200, 'PUT', `/v1/environments/${env}/policy`, {
    approvals: [{ group: 'qa', count: 1 }],
    segregation: { approver_may_not_deploy: true },
  });
  const svc = await seed.service(t);
  const rel = await seed.release(t, svc.name, '1.0.0');
  const approver = await t.mint('approver', { groups: ['qa'] });
  await t.must(201, 'POST', `/v1/releases/${rel.id}/approvals`, { environment: env, decision: 'approve' }, approver.token);
  const dep = await t.must(201, 'POST', '/v1/deployments', { release: rel.id, environment: env, status: 'in_progress' });
  const done = () => t.must(200, 'PATCH', `/v1/environments/${env}`, { production: null });
  return { env, svc: svc.name, rel, dep, approver, done };
}

const hourAgo = () => new Date(Date.now() - 3600e3).toISOString().replace(/\.\d+Z$/, 'Z');
const inAnHour = () => new Date(Date.now() + 3600e3).toISOString().replace(/\.\d+Z$/, 'Z');

export const tests = [
  {
    name: 'the change report shows a production change with its approver and audit entries, and its CSV download serves the same row',
    fn: async (t) => {
      const w = await world(t);
      const q = new URLSearchParams({ kind: 'change', from: hourAgo(), to: inAnHour(), environment: w.env });
      const page = await t.page(t.adminToken, { path: `/reports?${q}` });
      await page.getByRole('heading', { name: 'Reports', level: 1 }).waitFor();
      const table = page.getByRole('table', { name: /Production changes/ });
      const row = table.getByRole('row').filter({ has: page.getByRole('rowheader', { name: `#${w.dep.id}`, exact: true }) });
      await row.waitFor();
      await row.getByText(`${w.approver.name} (qa, approve)`).waitFor();
      await row.getByText('✓ gates passed').waitFor();
      // The audit seqs shown are the log's own for this deployment.
      const log = await t.must(200, 'GET', `/v1/audit?object_type=deployment&object_id=${w.dep.id}`);
      const seqs = await row.locator('td.seqs').textContent();
      for (const e of log.items) t.check(seqs.split(' ').includes(String(e.seq)), `seq ${e.seq} in ${seqs}`);
      t.eq(await table.getByRole('row').count(), 2, 'a header and the one change');

      const link = page.getByRole('link', { name: 'Download CSV' });
      const href = await link.getAttribute('href');
      t.check(href.startsWith('/v1/reports/change?') && href.includes('format=csv'), href);
      const csv = await page.evaluate(async (u) => (await fetch(u, { credentials: 'same-origin' })).text(), href);
      const lines = csv.trim().split('\r\n');
      t.eq(lines.length, 2, 'header and one row');
      t.check(lines[1].startsWith(`"${w.dep.id}","${w.svc}","1.0.0"`), lines[1]);
      await t.shot(page, 'reports-change');
      await w.done();
    },
  },
  {
    name: 'the exceptions report lists the segregation checks with zero findings, chosen through the form',
    fn: async (t) => {
      const w = await world(t);
      const page = await t.page(t.adminToken, { path: '/reports' });
      await page.getByText('Pick a report and a period.').waitFor();
      const form = page.getByRole('search', { name: 'Choose a report' });
      await form.getByLabel('Report').selectOption('exceptions');
      const local = (iso) => {
        const d = new Date(iso);
        const p = (n) => String(n).padStart(2, '0');
        return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
      };
      await form.getByLabel('From').fill(local(hourAgo()));
      await form.getByLabel('Before').fill(local(inAnHour()));
      await form.getByLabel('Environment').fill(w.env);
      await form.getByRole('button', { name: 'Show report' }).click();
      const sod = page.getByRole('table', { name: 'Segregation checks' });
      const approverRow = sod.getByRole('row').filter({ has: page.getByRole('rowheader', { name: 'sod_approver_deployed' }) });
      await approverRow.getByText('✓ 0').waitFor();
      const server = await t.must(200, 'GET', `/v1/reports/exceptions?from=${hourAgo()}&to=${inAnHour()}&environment=${w.env}`);
      t.eq(server.segregation.map((s) => [s.check, s.findings]), [['sod_approver_deployed', 0], ['sod_author_deployed', 0]], 'the server holds zero findings');
      await page.getByText(`Exceptions (0 in 1 changes)`).waitFor();
      await t.shot(page, 'reports-exceptions');
      await w.done();
    },
  },
  {
    name: 'a developer is told the role does not hold audit.read',
    fn: async (t) => {
      const dev = await t.mint('developer');
      const page = await t.page(dev.token, { path: '/reports?kind=access' });
      await page.getByText('Reading reports: the role developer does not hold the permission').waitFor();
      t.eq(await page.getByRole('table').count(), 0, 'no report');
    },
  },
];
