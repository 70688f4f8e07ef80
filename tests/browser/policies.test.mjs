// policies.test.mjs - the policies view: the policy read as sentences,
// the comparison of two versions, editing the JSON (saved, and refused in
// the server's words), live updates, and what a role without policy.write
// sees. Each test makes its own environment, so the versions it counts
// are its own.

// A new environment of a unique name, created through the API; its name.
async function environment(t) {
  const name = t.uniq('pol');
  await t.must(201, 'POST', '/v1/environments', { name, rank: 700 });
  return name;
}

const putPolicy = (t, env, doc) => t.must(200, 'PUT', `/v1/environments/${env}/policy`, doc);
const getPolicy = (t, env) => t.must(200, 'GET', `/v1/environments/${env}/policy`);

// The page of env's policy, signed in as token, reached as a person
// would: the Policies link, then the environment picker.
async function open(t, env, { token, options } = {}) {
  const page = await t.page(token, options);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Policies' }).click();
  await page.getByLabel('Environment', { exact: true }).selectOption(env);
  await page.getByRole('button', { name: 'Show its policy' }).click();
  await page.getByRole('heading', { level: 2, name: `The policy for ${env}` }).waitFor();
  t.check(page.url().endsWith(`/policies?environment=${env}`), `the link names the environment: ${page.url()}`);
  return page;
}

// The section that reads the current policy as sentences.
const current = (page, env) => page.getByRole('region', { name: `The policy for ${env}` });

// The text of the row of a table whose first cell names field.
async function rowText(page, table, field) {
  const row = table.getByRole('row').filter({ has: page.getByRole('rowheader', { name: field, exact: true }) });
  return (await row.textContent()).replace(/\s+/g, ' ');
}

export const tests = [
  {
    name: 'the current policy reads as sentences with the exact approval counts and groups',
    fn: async (t) => {
      const env = await environment(t);
      const made = await putPolicy(t, env, {
        approvals: [{ group: 'cab', count: 2 }, { group: 'security', count: 1 }],
        approval_valid_hours: 72,
        segregation: { author_may_not_approve: true },
        windows_mode: 'maintenance_only',
      });
      t.eq(made.version, 1, 'the first version');
      const page = await open(t, env);
      await current(page, env).getByText(`Deployments to ${env} need 2 approvals from group cab and 1 from group security.`, { exact: true }).waitFor();
      await current(page, env).getByText(`The person who created a release may not approve it for ${env}.`).waitFor();
      await current(page, env).getByText(`Approvals and rejections for ${env} expire 72 hours (3 days) after they are given.`).waitFor();
      await current(page, env).getByText(`Deployments to ${env} may run only inside a maintenance window`).waitFor();
      // Rules left off are said too: every field has its sentence.
      await current(page, env).getByText(`A person who approved a release for ${env} may also deploy it there.`).waitFor();
      t.check(await page.getByText('Version 1, saved').isVisible(), 'the version number is shown');
      // The raw document is one click away, and it is the server's.
      await page.getByText('The policy as JSON (version 1)').click();
      const json = JSON.parse(await page.locator('details pre').textContent());
      t.eq(json, (await getPolicy(t, env)).policy, 'the JSON shown is the policy the API serves');
      await t.shot(page, 'policies-current');
    },
  },
  {
    name: 'an environment without a policy says it runs on the defaults, version 0',
    fn: async (t) => {
      const env = await environment(t);
      const page = await open(t, env);
      await page.getByText(`Version 0: no policy has been saved for ${env}, so the defaults apply.`).waitFor();
      await current(page, env).getByText(`Deployments to ${env} need no approvals.`).waitFor();
      await page.getByText(`No policy has been saved for ${env} yet`).waitFor();
    },
  },
  {
    name: 'choosing versions 1 and 2 shows the changed field with its sentence before and after',
    fn: async (t) => {
      const env = await environment(t);
      await putPolicy(t, env, { approvals: [{ group: 'cab', count: 2 }] });
      await putPolicy(t, env, { approvals: [{ group: 'cab', count: 3 }] });
      await putPolicy(t, env, { approvals: [{ group: 'cab', count: 3 }], promotion: true });
      const page = await open(t, env);
      // By default the newest two: 2 → 3 changed promotion only.
      await page.getByRole('heading', { name: 'Version 2 → version 3' }).waitFor();
      await page.getByText('1 field changed: promotion.').waitFor();
      await page.getByLabel('Compare from version 1', { exact: true }).check();
      await page.getByLabel('Compare to version 2', { exact: true }).check();
      await page.getByRole('button', { name: 'Compare the chosen versions' }).click();
      await page.getByRole('heading', { name: 'Version 1 → version 2' }).waitFor();
      t.check(page.url().includes('from=1') && page.url().includes('to=2'), `the link names the versions: ${page.url()}`);
      await page.getByText('1 field changed: approvals.').waitFor();
      const table = page.getByRole('table', { name: /version 1 and version 2/ });
      const row = await rowText(page, table, 'approvals');
      t.check(row.includes('changed'), `the approvals row says it changed: ${row}`);
      t.check(row.includes(`Deployments to ${env} need 2 approvals from group cab.`), `before: ${row}`);
      t.check(row.includes(`Deployments to ${env} need 3 approvals from group cab.`), `after: ${row}`);
      t.eq(await table.getByRole('row').count(), 2, 'the header and the one changed row');
      // The unchanged fields, when asked for, say "same".
      await page.getByLabel('Show the unchanged fields too').check();
      const same = await rowText(page, table, 'promotion');
      t.check(same.includes('same') && !same.includes('changed'), `promotion is the same in 1 and 2: ${same}`);
      await t.shot(page, 'policies-diff');
    },
  },
  {
    name: 'an admin edits the JSON and saves: the API serves the new version with the edited value',
    fn: async (t) => {
      const env = await environment(t);
      await putPolicy(t, env, { approvals: [{ group: 'qa', count: 1 }] });
      const page = await open(t, env);
      const box = page.getByLabel(`Policy JSON for ${env}`);
      const doc = JSON.parse(await box.inputValue());
      t.eq(doc.approvals, [{ count: 1, group: 'qa' }], 'the editor starts from the current policy');
      doc.approvals = [{ group: 'qa', count: 4 }];
      doc.soak_minutes = 90;
      await box.fill(JSON.stringify(doc, null, 2));
      await page.getByRole('button', { name: 'Save the policy' }).click();
      await page.getByText(`Version 2 of the ${env} policy was saved by`).waitFor();
      const got = await getPolicy(t, env);
      t.eq(got.version, 2, 'the API serves a new version');
      t.eq(got.policy.approvals, [{ count: 4, group: 'qa' }], 'with the edited approvals');
      t.eq(got.policy.soak_minutes, 90, 'and the edited soak time');
      await current(page, env).getByText(`Deployments to ${env} need 4 approvals from group qa.`).waitFor();
      await page.getByText('Version 2, saved').waitFor();
    },
  },
  {
    name: 'a policy the server refuses shows its problem and every bad field, and no version is made',
    fn: async (t) => {
      const env = await environment(t);
      await putPolicy(t, env, { approval_valid_hours: 24 });
      const page = await open(t, env);
      const box = page.getByLabel(`Policy JSON for ${env}`);
      await box.fill('{"windows_mode": "sometimes", "approvals": [{"group": "cab"}]}');
      await page.getByRole('button', { name: 'Save the policy' }).click();
      const alert = page.getByRole('alert');
      await alert.waitFor();
      const text = (await alert.textContent()).replace(/\s+/g, ' ');
      t.check(text.includes('422'), `the status: ${text}`);
      t.check(text.includes('windows_mode must be one of: normal, maintenance_only'), `the refused field: ${text}`);
      t.check(text.includes('approvals[0].count is required'), `the other refused field: ${text}`);
      t.eq(await box.getAttribute('aria-invalid'), 'true', 'the text box is marked invalid');
      await t.shot(page, 'policies-refused');
      // Text that is not JSON is not sent at all.
      await box.fill('{"approvals": [');
      await page.getByRole('button', { name: 'Save the policy' }).click();
      await page.getByRole('alert').filter({ hasText: 'Not valid JSON' }).waitFor();
      const got = await getPolicy(t, env);
      t.eq(got.version, 1, 'the API still serves version 1');
      t.eq(got.policy.approval_valid_hours, 24, 'unchanged');
      t.eq((await t.must(200, 'GET', `/v1/environments/${env}/policy/versions`)).items.length, 1, 'one version only');
    },
  },
  {
    name: 'a policy saved elsewhere appears on an open page without a reload',
    fn: async (t) => {
      const env = await environment(t);
      await putPolicy(t, env, { approvals: [{ group: 'cab', count: 1 }] });
      const page = await open(t, env);
      await page.getByText('Live').first().waitFor();
      await putPolicy(t, env, { approvals: [{ group: 'cab', count: 5 }] });
      await current(page, env).getByText(`Deployments to ${env} need 5 approvals from group cab.`).waitFor();
      await page.getByRole('heading', { name: 'Version 1 → version 2' }).waitFor();
      t.check(await page.getByText('Version 2, saved').isVisible(), 'the new version number');
    },
  },
  {
    name: 'a developer reads the policy but gets no Save button, and is told why',
    fn: async (t) => {
      const env = await environment(t);
      await putPolicy(t, env, { approvals: [{ group: 'cab', count: 2 }] });
      const dev = await t.mint('developer');
      const page = await open(t, env, { token: dev.token, options: { viewport: { width: 375, height: 800 } } });
      await current(page, env).getByText(`Deployments to ${env} need 2 approvals from group cab.`).waitFor();
      const note = page.getByText(/does not hold the permission/);
      await note.waitFor();
      const said = (await note.textContent()).replace(/\s+/g, ' ');
      t.check(said.includes('developer') && said.includes('policy.write'), `names the role and permission: ${said}`);
      t.eq(await page.getByRole('button', { name: 'Save the policy' }).count(), 0, 'no Save button');
      t.eq(await page.getByRole('textbox', { name: /Policy JSON/ }).count(), 0, 'no editor');
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      t.check(width <= 375, `the page fits 375 px (scroll width ${width})`);
      await t.shot(page, 'policies-developer-375');
    },
  },
  {
    name: 'a link naming the environment and two versions opens that comparison',
    fn: async (t) => {
      const env = await environment(t);
      await putPolicy(t, env, { soak_minutes: 30 });
      await putPolicy(t, env, { soak_minutes: 120 });
      await putPolicy(t, env, { soak_minutes: 120, promotion: true });
      const page = await t.page();
      const res = await page.goto(`${t.url}/policies?environment=${env}&from=1&to=2`);
      t.eq(res.status(), 200, 'the server answers a deep link with a query string with the page');
      await page.getByRole('heading', { level: 2, name: `The policy for ${env}` }).waitFor();
      await page.getByRole('heading', { name: 'Version 1 → version 2' }).waitFor();
      const row = await rowText(page, page.getByRole('table', { name: /version 1 and version 2/ }), 'soak_minutes');
      t.check(row.includes('30 minutes') && row.includes('120 minutes (2 h)'), `soak before and after: ${row}`);
    },
  },
];
