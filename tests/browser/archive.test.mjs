// archive.test.mjs - an archived deployment's page says it is archived,
// naming the archive the server names, instead of "not found".

// Imports a deployment finished in 1990 (long past any retention
// period) and one after it that runs there now; their ids.
async function history(t) {
  const svc = t.uniq('old');
  const env = t.uniq('env');
  const lines = [
    { kind: 'service', id: svc, name: svc, owner: 'team' },
    { kind: 'environment', id: env, name: env, rank: 10 },
    { kind: 'release', id: 'r1', service: svc, version: '1.0.0', type: 'minor', created_at: '1990-01-01T10:00:00Z' },
    { kind: 'release', id: 'r2', service: svc, version: '1.1.0', type: 'minor', created_at: '1990-02-01T10:00:00Z' },
    { kind: 'deployment', id: 'd1', release: 'r1', environment: env, status: 'succeeded',
      started_at: '1990-01-02T10:00:00Z', finished_at: '1990-01-02T10:05:00Z' },
    { kind: 'deployment', id: 'd2', release: 'r2', environment: env, status: 'succeeded',
      started_at: '1990-02-02T10:00:00Z', finished_at: '1990-02-02T10:05:00Z' },
  ];
  const res = await fetch(`${t.url}/v1/import?source=${t.uniq('src')}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${t.adminToken}`, 'Content-Type': 'application/x-ndjson' },
    body: lines.map((l) => JSON.stringify(l)).join('\n') + '\n',
  });
  t.eq(res.status, 201, 'imported');
  const doc = await res.json();
  return doc.items.filter((i) => i.kind === 'deployment').map((i) => i.object);
}

export const tests = [
  {
    name: 'an archived deployment\'s page says it is archived and names the archive',
    fn: async (t) => {
      const [old, current] = await history(t);
      const res = await fetch(`${t.url}/v1/archive`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${t.adminToken}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ before: '1991-01-01T00:00:00Z' }),
      });
      t.eq(res.status, 201, 'archived');
      const header = JSON.parse((await res.text()).split('\n')[0]);
      const gone = await t.api('GET', `/v1/deployments/${old}`);
      t.eq([gone.status, gone.body.archive], [410, header.archive], 'the API says gone, naming the archive');

      const page = await t.page(t.adminToken, { path: `/deployments/${old}` });
      await page.getByRole('heading', { name: `Deployment ${old}`, level: 1 }).waitFor();
      const note = page.getByText(`this deployment was moved to archive ${header.archive}`);
      await note.waitFor();
      const alert = page.getByRole('alert');
      t.check((await alert.textContent()).includes('Gone (410)'), `the problem: ${await alert.textContent()}`);
      t.check((await alert.textContent()).includes(`archive ${header.archive}`), 'the problem names the archive');

      // The one that runs there now stays, and its page is the usual one.
      const live = await t.page(t.adminToken, { path: `/deployments/${current}` });
      await live.getByRole('heading', { name: `Deployment ${current}`, level: 1 }).waitFor();
      await live.getByText('Strategy').waitFor();
      t.check((await live.getByText('Archived').count()) === 0, 'not said to be archived');
      await t.shot(page, 'archived-deployment');
    },
  },
];
