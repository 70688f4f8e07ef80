// 00-tour.test.mjs - a small organisation's store, seeded first (the file
// sorts first, so the store holds nothing else yet), walked through every
// view as a newcomer would: each view shows the seeded facts, and its
// screenshot (tour-*.png) is what docs/screenshots/ shows.

// Local wall time for a window's start, a day from now.
function tomorrow() {
  const d = new Date(Date.now() + 86400e3);
  return `${d.toISOString().slice(0, 10)}T16:00:00`;
}

async function seedOrg(t) {
  const must = t.must.bind(t);
  for (const [name, rank, extra] of [['dev', 10, {}], ['staging', 20, {}], ['production', 30, { protected: true, targets: ['eu-west', 'us-east'] }]]) {
    await must(201, 'POST', '/v1/environments', { name, rank, ...extra });
  }
  const services = [
    ['payments', 'team-payments', 1], ['ledger', 'team-payments', 1],
    ['checkout', 'team-storefront', 2], ['search', 'team-storefront', 3], ['notifications', 'team-platform', 3],
  ];
  for (const [name, owner, tier] of services) {
    await must(201, 'POST', '/v1/services', { name, owner, tier, tags: { unit: owner === 'team-platform' ? 'platform' : 'commerce' } });
  }
  const rel = async (service, version, type = 'minor', extra = {}) => must(201, 'POST', '/v1/releases', { service, version, type, ...extra });
  const go = async (r, environment, status = 'succeeded', extra = {}) => {
    const d = await must(201, 'POST', '/v1/deployments', { release: r.id, environment, status: 'in_progress', ...extra });
    if (status !== 'in_progress') await must(201, 'POST', `/v1/deployments/${d.id}/events`, { status });
    return d;
  };
  const pay14 = await rel('payments', '1.4.0', 'minor', { commit: '3f2a9c1e0b', git_tag: 'v1.4.0' });
  const pay15 = await rel('payments', '1.5.0', 'minor', {
    commit: '9b81d04c2a', git_tag: 'v1.5.0', notes: 'Settlement batches run every 5 minutes.',
    artifacts: [{ name: 'image', uri: 'oci://registry.example.com/payments:1.5.0', sha256: 'c0ffee'.repeat(10) + 'c0ff' }],
    rollback: { target_version: '1.4.0', criteria: 'error rate above 1% for 5 minutes', procedure: 'shiplog deploy rollback ID' },
  });
  for (const env of ['dev', 'staging']) await go(pay14, env);
  await go(pay14, 'production', 'succeeded', { target: 'eu-west' });
  await go(pay14, 'production', 'succeeded', { target: 'us-east' });
  await go(pay15, 'dev');
  await go(pay15, 'staging');
  const led = await rel('ledger', '2.1.0');
  for (const env of ['dev', 'staging']) await go(led, env);
  await go(led, 'production', 'succeeded', { target: 'eu-west' });
  // Production is governed from here on.
  await must(200, 'PUT', '/v1/environments/production/policy', {
    approvals: [{ group: 'cab', count: 1 }],
    segregation: { author_may_not_approve: true },
    checklists: [{ release_types: ['major', 'minor'], items: ['backup validated'] }],
  });
  const co = await rel('checkout', '3.0.0', 'major');
  await go(co, 'dev');
  const co31 = await rel('checkout', '3.1.0');
  const canary = await go(co31, 'staging', 'in_progress', { strategy: 'canary' });
  await must(201, 'POST', `/v1/deployments/${canary.id}/events`, { traffic_percent: 25, message: 'canary at 25%' });
  const se = await rel('search', '0.9.0');
  await go(se, 'dev', 'failed');
  const no = await rel('notifications', '5.2.0');
  await go(no, 'dev');
  await go(no, 'staging');
  await must(201, 'POST', '/v1/windows', {
    name: 'Friday change freeze', kind: 'freeze', environment: 'production', timezone: 'Europe/Berlin',
    start: tomorrow(), rrule: 'FREQ=WEEKLY;BYDAY=FR', duration_minutes: 480, reason: 'no production changes before the weekend',
  });
  return { pay15 };
}

export const tests = [
  {
    name: 'a newcomer\'s walk through every view of a small organisation\'s store',
    fn: async (t) => {
      const { pay15 } = await seedOrg(t);
      const approver = await t.mint('approver', { groups: ['cab'] });
      const page = await t.page();
      // Matrix: production runs 1.4.0 in both targets; staging is ahead.
      const row = page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: /^payments\b/ }) });
      const prod = row.getByRole('cell').nth(2);
      await prod.getByText('eu-west').waitFor();
      const text = await prod.textContent();
      t.check(text.includes('us-east') && text.includes('1.4.0') && text.includes('drift: staging runs 1.5.0'), text);
      const canaryCell = page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: /^checkout\b/ }) }).getByRole('cell').nth(1);
      t.check((await canaryCell.textContent()).includes('in progress'), 'the canary is under way');
      await t.shot(page, 'tour-matrix');
      // The release page: production's gate wants the CAB and a checklist.
      await row.getByRole('cell').nth(1).getByRole('link', { name: '1.5.0' }).click();
      const gate = page.getByRole('region', { name: 'Gate for production' });
      await gate.waitFor();
      t.check((await gate.textContent()).includes('missing approvals: 0 of 1 from cab'), await gate.textContent());
      await t.shot(page, 'tour-release', { fullPage: false });
      const nav = page.getByRole('navigation', { name: 'Main' });
      await nav.getByRole('link', { name: 'Deployments' }).click();
      await page.getByRole('table').filter({ hasText: 'Pipeline' }).getByRole('row').filter({ hasText: 'checkout 3.1.0' }).waitFor();
      await t.shot(page, 'tour-deployments');
      await nav.getByRole('link', { name: 'Calendar' }).click();
      await page.getByText('Friday change freeze').first().waitFor();
      await t.shot(page, 'tour-calendar');
      await nav.getByRole('link', { name: 'Policies' }).click();
      await page.getByText('Deployments to production need 1 approval from group cab.').waitFor();
      await t.shot(page, 'tour-policies');
      await nav.getByRole('link', { name: 'Audit log' }).click();
      await page.getByText(/^Verified in your browser: (\d+) of \1 displayed/).waitFor({ timeout: 30000 });
      await t.shot(page, 'tour-audit', { fullPage: false });
      // The approver's inbox holds payments 1.5.0 for production.
      const inbox = await t.page(approver.token, { path: '/approvals' });
      await inbox.getByRole('article', { name: `payments 1.5.0 to production` }).waitFor();
      const pending = (await t.must(200, 'GET', '/v1/approvals/pending', undefined, approver.token)).items;
      t.check(pending.some((p) => p.release_id === pay15.id), 'payments 1.5.0 waits for the CAB');
      t.eq(await inbox.getByRole('article').count(), pending.length, 'one card per pending approval');
      await t.shot(inbox, 'tour-approvals');
    },
  },
];
