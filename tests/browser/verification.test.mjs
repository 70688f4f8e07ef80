// verification.test.mjs - a deployment's verification on its page: each
// criterion with its threshold, last value and verdict in words, the
// outcome, and for a failure the rollback recommendation, as the server
// recorded them. The probes ask a small HTTP server of this test's own;
// the daemon's worker runs at its default pace (a few seconds).
import { createServer } from 'node:http';
import * as seed from './seed.mjs';

// A local server: /ok answers 200 "ok", /down 503.
async function probed() {
  const srv = createServer((req, res) => {
    const ok = req.url.startsWith('/ok');
    res.writeHead(ok ? 200 : 503, { 'Content-Type': 'text/plain' });
    res.end(ok ? 'ok' : 'down');
  });
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  return srv;
}

async function env(t) {
  const name = t.uniq('verify');
  await t.must(201, 'POST', '/v1/environments', { name, rank: 900 });
  return name;
}

const policy = (url) => ({
  stabilisation_seconds: 0,
  interval_seconds: 1,
  probes: [{ name: 'health', url, expect_status: 200, max_latency_ms: 1000, body_contains: 'ok' }],
});

// The verification once it has ended, from the API.
const ended = (t, id) => t.until(async () => {
  const r = await t.api('GET', `/v1/deployments/${id}/verification`);
  return r.status === 200 && r.body.state !== 'running' && r.body;
}, `the verification of deployment ${id}`, 60000);

export const tests = [
  {
    name: 'a verified deployment shows each criterion, its threshold, its last value and pass in words',
    fn: async (t) => {
      const srv = await probed();
      try {
        const svc = await seed.service(t);
        const e = await env(t);
        await t.must(201, 'PUT', `/v1/environments/${e}/verification`,
          policy(`http://127.0.0.1:${srv.address().port}/ok/{service}`));
        const dep = await seed.deploy(t, await seed.release(t, svc.name, '1.0.0'), e);
        const v = await ended(t, dep.id);
        t.eq(v.state, 'verified', 'the server verified it');
        const page = await t.page(t.adminToken, { path: `/deployments/${dep.id}` });
        const section = page.getByRole('region', { name: 'Verification' });
        await section.getByText('✔ Verified', { exact: true }).waitFor();
        const row = section.getByRole('row', { name: /health/ });
        const cells = await row.getByRole('cell').allTextContents();
        t.eq(cells[0], '200 within 1000 ms, body contains "ok"', 'threshold');
        t.eq(cells[1], `${v.criteria[0].value} ms (HTTP 200)`, 'the last value the server holds');
        t.eq(cells[2].trim(), '✓ pass', 'the verdict in words, with its icon');
        t.eq(cells[3], v.criteria[0].reason, 'why');
        await section.getByText(v.outcome.reason).waitFor();
        t.eq(await section.getByText('Recommended:').count(), 0, 'nothing to recommend');
        await page.getByRole('heading', { name: 'Timeline' }).waitFor();
        await t.shot(page, 'verification-verified');
      } finally {
        srv.close();
      }
    },
  },
  {
    name: 'a failed verification shows the failing criterion, its reason and the recommended rollback, at 375 px too',
    fn: async (t) => {
      const srv = await probed();
      try {
        const svc = await seed.service(t);
        const e = await env(t);
        const before = await seed.deploy(t, await seed.release(t, svc.name, '1.0.0'), e);
        await t.must(201, 'PUT', `/v1/environments/${e}/verification`,
          policy(`http://127.0.0.1:${srv.address().port}/down`));
        const dep = await seed.deploy(t, await seed.release(t, svc.name, '1.1.0'), e);
        const v = await ended(t, dep.id);
        t.eq(v.state, 'failed', 'the server failed it');
        t.eq(v.recommendation.deployment_id, before.id, 'the server recommends the one before');
        const page = await t.page(t.adminToken, { path: `/deployments/${dep.id}`, viewport: { width: 375, height: 800 } });
        const section = page.getByRole('region', { name: 'Verification' });
        await section.getByText('✕ Verification failed', { exact: true }).waitFor();
        const row = section.getByRole('row', { name: /health/ });
        const cells = await row.getByRole('cell').allTextContents();
        t.eq(cells[2].trim(), '✕ fail', 'fail in words');
        t.eq(cells[3], 'answered 503, expected 200', 'the reason with the value');
        const link = section.getByRole('link', { name: `${svc.name} 1.0.0` });
        t.eq(await link.getAttribute('href'), `/releases/${svc.name}@1.0.0`, 'the release to roll back to');
        t.eq(await section.getByRole('link', { name: `deployment ${before.id}` }).count(), 1, 'where it ran');
        await t.shot(page, 'verification-failed-375');
      } finally {
        srv.close();
      }
    },
  },
];
