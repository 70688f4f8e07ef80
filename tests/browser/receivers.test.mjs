// receivers.test.mjs - inbound webhook receivers: creating one through the
// form, a signed GitHub delivery arriving live as unmatched and applied
// once replayed, and what a role without token.admin is shown.
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as seed from './seed.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
// GitHub's published payloads, beside the repository, never copied in.
const FIXTURES = resolve(root, '..', 'shared', 'fixtures', 'webhooks');
const SECRET = 'a-receiver-secret-0123456789';
const AXE = join(root, 'web', 'node_modules', 'axe-core', 'axe.min.js');
const COMMIT = 'f95f852bd8fca8fcc58a9a2d6c842781e32a215e';

// Delivers the fixture (a file's name, or the bytes) to the receiver as GitHub does: its bytes, signed
// with HMAC-SHA256 of the secret. {status, body}.
async function github(t, receiver, event, fixture, secret = SECRET) {
  const body = Buffer.isBuffer(fixture) ? fixture : readFileSync(resolve(FIXTURES, 'github', fixture));
  const sig = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
  const res = await fetch(`${t.url}/hooks/${receiver}`, {
    method: 'POST',
    headers: {
      'X-GitHub-Event': event,
      'X-GitHub-Delivery': crypto.randomUUID(),
      'X-Hub-Signature-256': sig,
      'Content-Type': 'application/json',
      'User-Agent': 'GitHub-Hookshot/test',
    },
    body,
  });
  return { status: res.status, body: await res.json() };
}

// A receiver made through the API, mapping GitHub's repository onto svc
// and its "production" onto env.
async function receiver(t, svc, env) {
  const name = t.uniq('gh');
  await t.must(201, 'PUT', `/v1/receivers/${name}`, {
    source: 'github',
    secret: SECRET,
    services: { 'Codertocat/Hello-World': svc },
    environments: { production: env },
  });
  return name;
}

export const tests = [
  {
    name: 'an admin creates a receiver through the form, and the API serves it with the mappings typed and never the secret',
    fn: async (t) => {
      const svc = await seed.service(t);
      const env = await seed.environments(t);
      const name = t.uniq('gh');
      const page = await t.page(t.adminToken, { path: '/receivers' });
      await page.getByRole('heading', { name: 'Receivers', level: 1 }).waitFor();
      const form = page.getByRole('form', { name: 'Create or replace a receiver' });
      await form.getByLabel('Name').fill(name);
      await form.getByLabel('Source').selectOption('github');
      await form.getByLabel('Secret').fill(SECRET);
      await form.getByLabel('Services').fill(`Codertocat/Hello-World=${svc.name}\n\nOcto/Other = ${svc.name}`);
      await form.getByLabel('Environments').fill(`production=${env.production}\nstaging=${env.staging}`);
      await form.getByLabel('Events (separated by commas').fill('deployment, deployment_status');
      await form.getByLabel('Create releases').check();
      await form.getByRole('button', { name: 'Save receiver' }).click();
      await page.getByRole('status').filter({ hasText: `Receiver ${name} created` }).waitFor();

      const got = await t.must(200, 'GET', `/v1/receivers/${name}`);
      t.eq(got.source, 'github', 'source');
      t.eq(got.services, { 'Codertocat/Hello-World': svc.name, 'Octo/Other': svc.name }, 'services as typed');
      t.eq(got.environments, { production: env.production, staging: env.staging }, 'environments as typed');
      t.eq(got.events, ['deployment', 'deployment_status'], 'events');
      t.eq(got.create_releases, true, 'create releases');
      t.check(!JSON.stringify(got).includes(SECRET) && !('secret' in got), 'the secret is never answered');

      // The list shows it with the absolute URL and the fingerprint.
      const row = page.getByRole('row').filter({ has: page.getByRole('rowheader', { name, exact: true }) });
      await row.waitFor();
      await row.getByText(`${t.url}/hooks/${name}`, { exact: true }).waitFor();
      await row.getByText(got.secret_fingerprint, { exact: true }).waitFor();
      t.check(!(await page.content()).includes(SECRET), 'no secret in the page');

      // Edit fills the form with its settings but the secret, and saving
      // replaces it.
      await row.getByRole('button', { name: `Edit receiver ${name}` }).click();
      const edit = page.getByRole('form', { name: `Replace receiver ${name}` });
      t.eq(await edit.getByLabel('Services').inputValue(), `Codertocat/Hello-World=${svc.name}\nOcto/Other=${svc.name}`, 'the services as lines');
      t.eq(await edit.getByLabel('Secret').inputValue(), '', 'no secret filled in');
      await edit.getByLabel('Secret').fill(`${SECRET}-2`);
      await edit.getByLabel('Environments').fill(`production=${env.dev}`);
      await edit.getByRole('button', { name: 'Save receiver' }).click();
      await page.getByRole('status').filter({ hasText: `Receiver ${name} replaced (revision 2)` }).waitFor();
      const again = await t.must(200, 'GET', `/v1/receivers/${name}`);
      t.eq([again.revision, again.environments, again.services['Octo/Other']], [2, { production: env.dev }, svc.name], 'replaced');
      t.check(again.secret_fingerprint !== got.secret_fingerprint, 'a new secret');

      // A bad one is refused in the server's words, naming the field.
      await form.getByLabel('Name').fill(t.uniq('bad'));
      await form.getByLabel('Secret').fill('short');
      await form.getByRole('button', { name: 'Save receiver' }).click();
      const alert = form.getByRole('alert');
      await alert.waitFor();
      t.check((await alert.textContent()).includes('secret'), `the refusal names the secret: ${await alert.textContent()}`);
      await t.shot(page, 'receivers');
    },
  },
  {
    name: 'a signed GitHub deployment_status arrives live as unmatched, and replayed once the release exists it is applied and deploys',
    fn: async (t) => {
      const svc = await seed.service(t);
      const env = await seed.environments(t);
      const name = await receiver(t, svc.name, env.dev);
      const page = await t.page(t.adminToken, { path: `/receivers/${name}` });
      await page.getByText('No deliveries yet.').waitFor();
      await page.getByText(/● Live/).waitFor();
      const sender = page.getByRole('region', { name: 'At the sender' });
      await sender.getByText(`${t.url}/hooks/${name}`, { exact: true }).waitFor();

      const first = await github(t, name, 'deployment_status', 'deployment_status.json');
      t.eq([first.status, first.body.outcome], [200, 'unmatched'], 'the delivery');
      const table = page.getByRole('table', { name: /Deliveries of/ });
      const row1 = table.getByRole('row').filter({ has: page.getByRole('rowheader', { name: `#${first.body.id}`, exact: true }) });
      await row1.waitFor();
      await row1.getByText('unmatched').waitFor();
      await row1.getByText(first.body.reason, { exact: true }).waitFor();
      t.check(first.body.reason.includes(`no release of ${svc.name} has commit ${COMMIT}`), first.body.reason);
      await t.shot(page, 'receiver-unmatched');

      await seed.release(t, svc.name, '2.0.0', { commit: COMMIT });
      await row1.getByRole('button', { name: `Replay delivery #${first.body.id}` }).click();
      const said = page.getByRole('status').filter({ hasText: `Replay of #${first.body.id}` });
      await said.getByText('applied').waitFor();
      const all = await t.must(200, 'GET', `/v1/receivers/${name}/deliveries`);
      t.eq(all.items.map((d) => [d.outcome, d.replay_of]), [['applied', first.body.id], ['unmatched', null]], 'newest first');
      const replay = all.items[0];
      const row2 = table.getByRole('row').filter({ has: page.getByRole('rowheader', { name: new RegExp(`^#${replay.id}\\b`) }) });
      await row2.getByText('applied').waitFor();
      await row2.getByText(`replay of #${first.body.id}`).waitFor();
      const link = row2.getByRole('link', { name: `deployment #${replay.deployment}` });
      t.eq(await link.getAttribute('href'), `/deployments/${replay.deployment}`, 'links the deployment');
      t.eq(await table.getByRole('row').count(), 3, 'a header and two deliveries');
      const dep = await t.must(200, 'GET', `/v1/deployments/${replay.deployment}`);
      t.eq([dep.service, dep.version, dep.environment, dep.status], [svc.name, '2.0.0', env.dev, 'succeeded'], 'the deployment the replay recorded');
      await t.shot(page, 'receiver-applied');
      await link.click();
      await page.getByRole('heading', { name: `Deployment ${replay.deployment}`, level: 1 }).waitFor();
    },
  },
  {
    name: 'a developer sees the receivers and deliveries but no form and no Replay buttons',
    fn: async (t) => {
      const svc = await seed.service(t);
      const name = await receiver(t, svc.name, t.uniq('prod'));
      const sent = await github(t, name, 'deployment_status', 'deployment_status.json');
      t.eq(sent.body.outcome, 'unmatched', 'a delivery to show');
      const dev = await t.mint('developer');
      const page = await t.page(dev.token, { path: '/receivers' });
      await page.getByRole('rowheader', { name, exact: true }).waitFor();
      await page.getByText('Configuring receivers: the role developer does not hold the permission').waitFor();
      t.eq(await page.getByRole('button', { name: 'Save receiver' }).count(), 0, 'no form');
      t.eq(await page.getByLabel('Secret').count(), 0, 'no secret field');
      await page.getByRole('link', { name, exact: true }).click();
      await page.getByRole('heading', { name: `Receiver ${name}`, level: 1 }).waitFor();
      await page.getByRole('rowheader', { name: `#${sent.body.id}`, exact: true }).waitFor();
      await page.getByText('Replaying deliveries: the role developer does not hold the permission').waitFor();
      t.eq(await page.getByRole('button', { name: /Replay/ }).count(), 0, 'no Replay buttons');
      await t.shot(page, 'receiver-developer');
    },
  },
  {
    name: 'the receivers list and a receiver with deliveries meet WCAG 2.1 AA as axe checks them, light and dark',
    fn: async (t) => {
      const svc = await seed.service(t);
      const env = await seed.environments(t);
      const name = await receiver(t, svc.name, env.dev);
      await github(t, name, 'deployment_status', 'deployment_status.json');
      await github(t, name, 'ping', 'signature-test-vector.body.txt');
      const problems = [];
      for (const colorScheme of ['light', 'dark']) {
        // axe is injected, which the page's own policy forbids: this
        // context bypasses it.
        const page = await t.page(t.adminToken, { bypassCSP: true, colorScheme, path: '/receivers' });
        for (const [path, ready] of [['/receivers', 'Save receiver'], [`/receivers/${name}`, `Replay delivery #`]]) {
          await page.goto(t.url + path);
          await page.getByRole('button', { name: ready }).first().waitFor();
          await page.addScriptTag({ path: AXE });
          const found = await page.evaluate(async () => {
            const r = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
            return r.violations.map((v) => `${v.id}: ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
          });
          problems.push(...found.map((f) => `${path} (${colorScheme}): ${f}`));
        }
      }
      t.eq(problems, [], 'axe violations');
    },
  },
  {
    name: 'deliveries come 50 a page, newest first, and Show more reads the rest',
    fn: async (t) => {
      const svc = await seed.service(t);
      const name = await receiver(t, svc.name, t.uniq('prod'));
      const ids = [];
      for (let i = 0; i < 52; i++) ids.push((await github(t, name, 'ping', Buffer.from(`{"zen": "ping ${i}"}`))).body.id);
      const page = await t.page(t.adminToken, { path: `/receivers/${name}` });
      const table = page.getByRole('table', { name: /Deliveries of/ });
      const heads = () => table.getByRole('rowheader').allTextContents();
      await table.getByRole('rowheader', { name: `#${ids[51]}`, exact: true }).waitFor();
      t.eq(await heads(), ids.slice(2).reverse().map((id) => `#${id}`), 'the newest 50');
      await page.getByRole('button', { name: 'Show more deliveries' }).click();
      await table.getByRole('rowheader', { name: `#${ids[0]}`, exact: true }).waitFor();
      t.eq(await heads(), ids.slice().reverse().map((id) => `#${id}`), 'all 52, newest first');
      t.eq(await page.getByRole('button', { name: 'Show more deliveries' }).count(), 0, 'nothing more');
      await table.getByRole('row').filter({ hasText: `#${ids[0]}` }).getByText('ignored').waitFor();
    },
  },
];
