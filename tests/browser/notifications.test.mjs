// notifications.test.mjs - the Notifications view: subscriptions as the
// server holds them (never a secret), the outbox with a notification the
// dispatcher delivered to a local receiver, Replay sending it again with
// the same key, and what a role without token.admin is shown.
import { createServer } from 'node:http';
import { createHmac } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as seed from './seed.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const AXE = join(root, 'web', 'node_modules', 'axe-core', 'axe.min.js');

const SECRET = 'a-subscription-secret-0123456789';

// A local webhook receiver that takes everything: {url, got: [{key,
// signature, body}], close()}.
async function receiver() {
  const got = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      got.push({ key: req.headers['x-shiplog-delivery'], signature: req.headers['x-shiplog-signature'], body });
      res.writeHead(200).end();
    });
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return { url: `http://127.0.0.1:${server.address().port}/hook`, got, close: () => server.close() };
}

// Polls the outbox until the subscription's notification has status.
async function until(t, sub, status) {
  for (let i = 0; i < 300; i++) {
    const { items } = await t.must(200, 'GET', `/v1/notifications?subscription=${sub}`);
    if (items.length && items[0].status === status) return items[0];
    await new Promise((ok) => setTimeout(ok, 100));
  }
  throw new Error(`no ${status} notification for ${sub}`);
}

// A subscription to failed deployments of env, sent to url, and one
// such failure: the notification as the outbox lists it once sent.
async function failed(t, url) {
  const svc = await seed.service(t);
  const env = await seed.environments(t);
  const sub = t.uniq('sub');
  await t.must(201, 'PUT', `/v1/subscriptions/${sub}`, {
    events: ['deployment.failed'],
    environments: [env.dev],
    channel: { type: 'webhook', url, secret: SECRET },
  });
  const rel = await seed.release(t, svc.name, '1.0.0');
  await seed.deploy(t, rel, env.dev, 'failed');
  return { sub, env, svc, note: await until(t, sub, 'sent') };
}

export const tests = [
  {
    name: 'an admin sees the subscription and the delivered notification, and Replay sends it again with the same key',
    fn: async (t) => {
      const rcv = await receiver();
      try {
        const { sub, env, note } = await failed(t, rcv.url);
        t.eq(rcv.got.length, 1, 'delivered once');
        t.eq(rcv.got[0].key, note.key, 'the key');
        t.eq(rcv.got[0].signature, `sha256=${createHmac('sha256', SECRET).update(rcv.got[0].body).digest('hex')}`, 'signed');

        const page = await t.page(t.adminToken, { path: '/notifications' });
        await page.getByRole('heading', { name: 'Notifications', level: 1 }).waitFor();
        const subs = page.getByRole('table', { name: 'Subscriptions' });
        const srow = subs.getByRole('row').filter({ has: page.getByRole('rowheader', { name: sub, exact: true }) });
        await srow.waitFor();
        await srow.getByText(env.dev, { exact: true }).waitFor();
        await srow.getByText(rcv.url, { exact: true }).waitFor();
        t.check(!(await page.content()).includes(SECRET), 'never the secret');

        const outbox = page.getByRole('table', { name: /Notifications, newest first/ });
        const row = outbox.getByRole('row').filter({ has: page.getByRole('rowheader', { name: `#${note.id}`, exact: true }) });
        await row.waitFor();
        await row.getByText(/^. sent$/).waitFor();
        await row.getByText(note.summary, { exact: true }).waitFor();
        await t.shot(page, 'notifications');
        await row.getByRole('button', { name: `Replay notification #${note.id}` }).click();
        await page.getByRole('status').filter({ hasText: `Notification #${note.id} is pending again; it keeps its key ${note.key}.` }).waitFor();
        await until(t, sub, 'sent');
        t.eq(rcv.got.length, 2, 'sent again');
        t.eq(rcv.got[1].key, note.key, 'with the same key');
        const audit = await t.must(200, 'GET', `/v1/audit?action=notification.replay&object_id=${note.id}`);
        t.eq(audit.items.length, 1, 'the replay is audited');

        await page.getByLabel('Show').selectOption('sent');
        await row.waitFor();
        const statuses = await outbox.locator('tbody tr td:nth-child(2)').allTextContents();
        t.check(statuses.length > 0 && statuses.every((s) => s.includes('sent')), `only sent: ${statuses}`);
      } finally {
        rcv.close();
      }
    },
  },
  {
    name: 'a developer sees subscriptions and the outbox but no Replay button, and is told why',
    fn: async (t) => {
      const rcv = await receiver();
      try {
        const { note } = await failed(t, rcv.url);
        const dev = await t.mint('developer');
        const page = await t.page(dev.token, { path: '/notifications' });
        await page.getByRole('rowheader', { name: `#${note.id}`, exact: true }).waitFor();
        await page.getByText('Replaying notifications: the role developer does not hold the permission').waitFor();
        t.eq(await page.getByRole('button', { name: /Replay/ }).count(), 0, 'no Replay buttons');
      } finally {
        rcv.close();
      }
    },
  },
  {
    name: 'the Notifications view meets WCAG 2.1 AA as axe checks it, light and dark',
    fn: async (t) => {
      const rcv = await receiver();
      try {
        const { note } = await failed(t, rcv.url);
        const problems = [];
        for (const colorScheme of ['light', 'dark']) {
          // axe is injected, which the page's own policy forbids: this
          // context bypasses it.
          const page = await t.page(t.adminToken, { bypassCSP: true, colorScheme, path: '/notifications' });
          await page.getByRole('button', { name: `Replay notification #${note.id}` }).waitFor();
          await page.addScriptTag({ path: AXE });
          const found = await page.evaluate(async () => {
            const r = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
            return r.violations.map((v) => `${v.id}: ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
          });
          problems.push(...found.map((f) => `${colorScheme}: ${f}`));
        }
        t.eq(problems, [], 'axe violations');
      } finally {
        rcv.close();
      }
    },
  },
];
