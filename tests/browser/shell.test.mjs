// shell.test.mjs - signing in and out, the page's headers, and what the
// Content-Security-Policy keeps out.

export const tests = [
  {
    name: 'a wrong token is refused in the server\'s words and a right one opens every view',
    fn: async (t) => {
      const page = await t.blankPage();
      await page.goto(t.url + '/');
      await page.getByLabel('Token').fill('not-a-token-at-all-0000');
      await page.getByRole('button', { name: 'Sign in' }).click();
      const alert = page.getByRole('alert');
      await alert.waitFor();
      t.check((await alert.textContent()).includes('401'), 'the refusal names its status');
      await t.shot(page, 'signin');
      await page.getByLabel('Token').fill(t.adminToken);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('button', { name: 'Sign out' }).waitFor();
      const nav = page.getByRole('navigation', { name: 'Main' });
      for (const [link, heading] of [['Deployments', 'Deployments'], ['Approvals', 'Approvals'],
        ['Calendar', 'Calendar'], ['Policies', 'Policies'], ['Audit log', 'Audit log'], ['Environments', 'Environments']]) {
        await nav.getByRole('link', { name: link }).click();
        await page.getByRole('heading', { level: 1, name: heading }).waitFor();
        t.eq(await nav.getByRole('link', { name: link }).getAttribute('aria-current'), 'page', `${link} is the current page`);
      }
    },
  },
  {
    name: 'signing out revokes the session: its cookie is refused afterwards',
    fn: async (t) => {
      const tok = await t.mint('developer');
      const page = await t.page(tok.token);
      const cookies = await page.context().cookies();
      const session = cookies.find((c) => c.name === 'shiplog_session');
      t.check(session && session.httpOnly && session.sameSite === 'Strict', 'an HttpOnly SameSite=Strict cookie');
      const before = await fetch(t.url + '/v1/session', { headers: { Cookie: `shiplog_session=${session.value}` } });
      t.eq(before.status, 200, 'the cookie opens the session');
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByLabel('Token').waitFor();
      const after = await fetch(t.url + '/v1/session', { headers: { Cookie: `shiplog_session=${session.value}` } });
      t.eq(after.status, 401, 'the old cookie after signing out');
      await page.reload();
      await page.getByLabel('Token').waitFor();
    },
  },
  {
    name: 'a session that ends server-side sends the page back to sign-in',
    fn: async (t) => {
      const tok = await t.mint('developer');
      const page = await t.page(tok.token);
      await t.must(204, 'DELETE', `/v1/tokens/${tok.id}`);
      // The live stream ends with the token; the page asks for its
      // session, hears 401, and shows the sign-in form by itself.
      await page.getByLabel('Token').waitFor({ timeout: 10000 });
      t.eq(await page.getByRole('button', { name: 'Sign out' }).count(), 0, 'nothing of the signed-in page is left');
    },
  },
  {
    name: 'a service named with markup renders as text and no injected script runs',
    fn: async (t) => {
      const name = t.uniq('xss');
      const owner = `<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>`;
      await t.must(201, 'POST', '/v1/services', { name, owner, tier: 3 });
      await t.must(201, 'POST', '/v1/environments', { name: t.uniq('env'), rank: 5 });
      const page = await t.page();
      await page.getByRole('searchbox', { name: 'Filter' }).fill(name);
      // The owner is the caption of its team's table.
      const group = page.getByRole('table').filter({ hasText: name });
      await group.waitFor();
      t.check((await group.textContent()).includes(owner), 'the owner shows as the text it is');
      t.eq(await page.evaluate(() => window.__pwned), undefined, 'nothing injected ran');
      t.eq(await page.locator('img[src="x"]').count(), 0, 'no element was made from the markup');
    },
  },
  {
    name: 'the page carries a strict policy and an inline script is blocked by it',
    fn: async (t) => {
      const res = await fetch(t.url + '/releases/anything@1.0.0');
      t.eq(res.status, 200, 'a deep link answers the page');
      const csp = res.headers.get('content-security-policy') || '';
      t.check(/script-src 'self'(;|$)/.test(csp) && !csp.includes('unsafe'), `CSP: ${csp}`);
      t.eq(res.headers.get('x-content-type-options'), 'nosniff', 'nosniff');
      t.eq(res.headers.get('referrer-policy'), 'no-referrer', 'referrer policy');
      const page = await t.page();
      const violations = [];
      page.on('console', (m) => m.text().includes('Content Security Policy') && violations.push(m.text()));
      const ran = await page.evaluate(() => new Promise((done) => {
        window.__inline = 0;
        document.addEventListener('securitypolicyviolation', () => done(window.__inline), { once: true });
        const s = document.createElement('script');
        s.textContent = 'window.__inline = 1';
        document.body.appendChild(s);
      }));
      t.eq(ran, 0, 'the inline script did not run');
    },
  },
  {
    name: 'light and dark themes and a narrow screen keep the navigation usable',
    fn: async (t) => {
      const page = await t.page(t.adminToken, { viewport: { width: 375, height: 800 }, colorScheme: 'dark' });
      await page.getByRole('heading', { level: 1, name: 'Environments' }).waitFor();
      const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      t.eq(bg, 'rgb(15, 20, 27)', 'the dark background');
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      t.check(width <= 375, `the page fits 375 px (scroll width ${width})`);
      await t.shot(page, 'matrix-narrow-dark');
      await page.getByRole('button', { name: /Theme/ }).click();
      const light = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      t.eq(light, 'rgb(255, 255, 255)', 'the light theme picked by hand');
    },
  },
];
