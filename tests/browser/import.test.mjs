// import.test.mjs - history brought in through POST /v1/import shows as
// such: the audit view marks each entry the import wrote "imported from
// <source>", and the deployments list shows the original times.

// Imports JSON Lines records as the admin; the answer.
async function importJsonl(t, source, records) {
  const res = await fetch(`${t.url}/v1/import?source=${source}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${t.adminToken}`, 'Content-Type': 'application/x-ndjson' },
    body: records.map((r) => JSON.stringify(r)).join('\n'),
  });
  const body = await res.json();
  if (res.status !== 201) throw new Error(`import: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

export const tests = [
  {
    name: 'entries an import wrote are marked imported from its source, and its deployments show their original times',
    fn: async (t) => {
      const svc = t.uniq('hist');
      const env = t.uniq('hist-env');
      const source = t.uniq('legacy');
      const answer = await importJsonl(t, source, [
        { kind: 'service', id: 's', name: svc, owner: 'team-past', created_at: '2019-04-01T08:00:00Z' },
        { kind: 'environment', id: 'e', name: env, rank: 30 },
        { kind: 'release', id: 'r', service: 's', version: '4.2.0', type: 'major' },
        {
          kind: 'deployment', id: 'd', release: 'r', environment: env, status: 'succeeded',
          deployer: 'grace', started_at: '2019-04-02T09:30:00Z', finished_at: '2019-04-02T09:42:00Z',
        },
      ]);
      const dep = answer.items.find((i) => i.kind === 'deployment').object;

      // The audit view: the service's creation, marked as imported.
      const entries = await t.must(200, 'GET', `/v1/audit?object_type=service&object_id=${svc}`);
      t.eq(entries.items.map((e) => [e.action, e.via]), [['service.create', `import:${source}`]], 'the server says imported');
      const seq = entries.items[0].seq;
      const page = await t.page(t.adminToken, { path: `/audit?object_type=service&object_id=${svc}` });
      const entry = page.getByRole('article', { name: new RegExp(`^Entry ${seq}: service\\.create`) });
      await entry.waitFor();
      await entry.getByText(`imported from ${source}`, { exact: true }).waitFor();
      t.eq(await entry.getByText('allowed by').count(), 0, 'an import is not shown as a grant');

      // The deployments list: the original start, as the server holds it.
      const got = await t.must(200, 'GET', `/v1/deployments/${dep}`);
      t.eq([got.started_at, got.finished_at], ['2019-04-02T09:30:00Z', '2019-04-02T09:42:00Z'], 'original times');
      const list = await t.page(t.adminToken, { path: `/deployments?service=${svc}` });
      const row = list.getByRole('table').filter({ hasText: 'Pipeline' }).getByRole('row').filter({ hasText: `#${dep}` });
      await row.waitFor();
      t.eq(await row.locator('time').first().getAttribute('datetime'), '2019-04-02T09:30:00Z', 'the list shows when it started');
      t.check((await row.textContent()).includes('grace'), 'the deployer imported');
    },
  },
];
