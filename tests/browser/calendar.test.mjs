// calendar.test.mjs - the calendar at /calendar: recurring windows on the
// right days of the month, the banner of what is in force now (and its
// live removal), deployments on today's cell (and live additions), the
// week view's times in the window's own zone, and the period controls.
//
// Pages run in a fixed zone and locale (the context's timezoneId and
// locale), so what the page should read can be worked out here.

const VIEWER_ZONE = 'America/Los_Angeles';
const VIEW = { timezoneId: VIEWER_ZONE, locale: 'en-GB' };

const pad = (n) => String(n).padStart(2, '0');
const ymd = (d) => `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
const utcDay = (y, m, d) => new Date(Date.UTC(y, m, d));
const addDays = (d, n) => utcDay(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + n);
// A wall time YYYY-MM-DDTHH:MM:SS of a moment in zone tz.
function wall(at, tz) {
  const p = Object.fromEntries(new Intl.DateTimeFormat('en-CA', {
    timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', second: '2-digit',
  }).formatToParts(at).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}`;
}
// HH:MM of a moment in zone tz, on a 24-hour clock as en-GB reads it.
const hhmm = (at, tz) => wall(at, tz).slice(11, 16);

// The names the page gives its day lists: the browser's own words for
// each calendar day (y, m from 0, d), in its locale.
function dayLabels(page, days) {
  return page.evaluate((list) => list.map(([y, m, d]) => new Intl.DateTimeFormat(undefined, {
    weekday: 'long', day: 'numeric', month: 'long', year: 'numeric',
  }).format(new Date(y, m, d))), days);
}

// A fresh environment, so the page can be filtered to this test's data.
async function freshEnv(t) {
  const env = await t.must(201, 'POST', '/v1/environments', { name: t.uniq('cal-env'), rank: 40 });
  return env.name;
}

// A signed-in page showing /calendar?query, reached by moving inside the
// dashboard as its own links and buttons do (loading such an address
// afresh is the deep-link test's business).
async function openCalendar(t, query, options = {}) {
  const page = await t.page(t.adminToken, { ...VIEW, ...options, path: '/calendar' });
  await page.getByRole('heading', { level: 1, name: 'Calendar' }).waitFor();
  await page.evaluate(async (to) => {
    history.pushState(null, '', to);
    dispatchEvent(new PopStateEvent('popstate'));
    // Time for the page to draw the move (it then shows the new period
    // only once that period's data is in).
    await new Promise((r) => setTimeout(r, 100));
  }, `/calendar?${query}`);
  return page;
}

export const tests = [
  {
    name: 'a weekly freeze shows with its name and time on each Tuesday and Thursday of the month grid and on no other day',
    fn: async (t) => {
      const env = await freshEnv(t);
      const name = t.uniq('tue-thu freeze');
      // The month after next, so every day of its grid is ahead of us.
      const now = new Date();
      const first = utcDay(now.getUTCFullYear(), now.getUTCMonth() + 2, 1);
      // The rule starts on a Tuesday well before the grid's first day.
      let start = utcDay(first.getUTCFullYear(), first.getUTCMonth() - 1, 1);
      while (start.getUTCDay() !== 2) start = addDays(start, 1);
      await t.must(201, 'POST', '/v1/windows', {
        name, kind: 'freeze', environment: env, timezone: VIEWER_ZONE,
        start: `${ymd(start)}T10:00:00`, rrule: 'FREQ=WEEKLY;BYDAY=TU,TH', duration_minutes: 90,
        reason: 'release train maintenance',
      });

      // The grid: Monday on or before the first to Sunday on or after the last.
      const last = utcDay(first.getUTCFullYear(), first.getUTCMonth() + 1, 0);
      const gridStart = addDays(first, -((first.getUTCDay() + 6) % 7));
      const gridEnd = addDays(last, 6 - ((last.getUTCDay() + 6) % 7));
      const days = [];
      for (let d = gridStart; d <= gridEnd; d = addDays(d, 1)) days.push(d);

      const page = await openCalendar(t, `view=month&date=${ymd(first)}&environment=${env}`);
      await page.getByRole('table').waitFor();
      t.eq(await page.getByRole('columnheader').count(), 7, 'seven day columns');
      for (const [i, w] of ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'].entries()) {
        t.eq(await page.getByRole('columnheader').nth(i).getAttribute('scope'), 'col', `${w} heads its column`);
        await page.getByRole('columnheader', { name: w, exact: true }).waitFor();
      }
      t.eq(await page.getByRole('row').count(), 1 + days.length / 7, 'one header row and a row per week');
      const labels = await dayLabels(page, days.map((d) => [d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()]));
      await page.getByRole('list', { name: labels[0], exact: true }).waitFor({ state: 'attached' });
      let shown = 0;
      for (let i = 0; i < days.length; i++) {
        const text = await page.getByRole('list', { name: labels[i], exact: true }).innerText();
        const want = days[i].getUTCDay() === 2 || days[i].getUTCDay() === 4;
        t.eq(text.includes(name), want, `the freeze on ${labels[i]}`);
        if (want) {
          t.check(text.includes('Freeze') && text.includes('10:00–11:30'), `${labels[i]} reads the kind and 10:00–11:30: ${text}`);
          shown++;
        }
      }
      t.check(shown >= 8, `a month grid holds at least 8 Tuesdays and Thursdays (${shown})`);
      await t.shot(page, 'calendar-month');
      const dark = await openCalendar(t, `view=month&date=${ymd(first)}&environment=${env}`, { colorScheme: 'dark' });
      await dark.getByRole('table').waitFor();
      await dark.getByText(name).first().waitFor();
      await t.shot(dark, 'calendar-month-dark');
    },
  },
  {
    name: 'a blackout in force now is a banner naming kind, environment, name, end and reason, and goes when the window is deleted',
    fn: async (t) => {
      const env = await freshEnv(t);
      const name = t.uniq('db-migration blackout');
      const reason = `${t.uniq('reason')}: schema change under way`;
      const end = new Date(Math.floor(Date.now() / 60000) * 60000 + 3 * 3600000);
      const w = await t.must(201, 'POST', '/v1/windows', {
        name, kind: 'blackout', environment: env, timezone: 'UTC',
        start: wall(new Date(Date.now() - 3600000), 'UTC'), end: wall(end, 'UTC'), reason,
      });
      const page = await openCalendar(t, `environment=${env}`);
      const banner = page.getByRole('region', { name: 'In force now' });
      await banner.getByText(name).waitFor();
      const text = await banner.innerText();
      for (const part of ['Blackout', env, name, reason, `until`, hhmm(end, VIEWER_ZONE), `${hhmm(end, 'UTC')} UTC`]) {
        t.check(text.includes(part), `the banner reads "${part}": ${text}`);
      }
      await t.shot(page, 'calendar-banner');
      const narrow = await openCalendar(t, `environment=${env}`, { viewport: { width: 375, height: 800 } });
      await narrow.getByRole('region', { name: 'In force now' }).getByText(name).waitFor();
      await t.shot(narrow, 'calendar-narrow');

      // Deleted through the API, the window leaves the open page by the
      // event stream, without a reload.
      await t.must(204, 'DELETE', `/v1/windows/${w.id}`);
      await t.until(async () => (await page.getByText(name).count()) === 0, 'the deleted window to leave the page');
    },
  },
  {
    name: 'a deployment made through the API is a link on today\'s cell, and the next one arrives live',
    fn: async (t) => {
      const env = await freshEnv(t);
      const svc = (await t.must(201, 'POST', '/v1/services', { name: t.uniq('cal-svc'), owner: 'team-cal' })).name;
      await t.must(201, 'POST', '/v1/releases', { service: svc, version: '1.0.0', type: 'minor' });
      const dep = await t.must(201, 'POST', '/v1/deployments', { release: `${svc}@1.0.0`, environment: env });
      const page = await openCalendar(t, `environment=${env}`);
      await page.getByRole('table').waitFor();
      const [today] = await page.evaluate(() => [new Intl.DateTimeFormat(undefined, {
        weekday: 'long', day: 'numeric', month: 'long', year: 'numeric',
      }).format(new Date())]);
      const cell = page.getByRole('list', { name: today, exact: true });
      await cell.getByText('1 deployment').waitFor();
      const link = cell.getByRole('link', { name: `#${dep.id} ${svc} 1.0.0` });
      t.eq(await link.getAttribute('href'), `/deployments/${dep.id}`, 'the deployment link');
      t.check((await cell.innerText()).includes('queued'), 'the deployment status in words');
      t.eq(await page.getByRole('link', { name: new RegExp(`^#${dep.id} `) }).count(), 1, 'the deployment shows once, on today only');

      await t.must(201, 'POST', '/v1/releases', { service: svc, version: '1.1.0', type: 'minor' });
      const dep2 = await t.must(201, 'POST', '/v1/deployments', { release: `${svc}@1.1.0`, environment: env });
      await cell.getByText('2 deployments').waitFor();
      await cell.getByRole('link', { name: `#${dep2.id} ${svc} 1.1.0` }).waitFor();
      await link.click();
      await page.getByRole('heading', { level: 1, name: `Deployment ${dep.id}` }).waitFor();
    },
  },
  {
    name: 'the week view shows an occurrence on the viewer\'s day and clock and in the window\'s own zone',
    fn: async (t) => {
      const env = await freshEnv(t);
      const name = t.uniq('kolkata maintenance');
      // 09:00–10:30 in Kolkata (UTC+05:30), ten days ahead: 03:30–05:00 UTC,
      // the evening before in Los Angeles.
      const day = addDays(utcDay(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate()), 10);
      const s = new Date(`${ymd(day)}T03:30:00Z`);
      const e = new Date(`${ymd(day)}T05:00:00Z`);
      await t.must(201, 'POST', '/v1/windows', {
        name, kind: 'maintenance', environment: env, timezone: 'Asia/Kolkata',
        start: `${ymd(day)}T09:00:00`, end: `${ymd(day)}T10:30:00`, reason: 'kernel patching',
      });
      const viewerDay = wall(s, VIEWER_ZONE).slice(0, 10);
      const page = await openCalendar(t, `view=week&date=${viewerDay}&environment=${env}`);
      await page.getByRole('table').waitFor();
      t.eq(await page.getByRole('columnheader').count(), 7, 'seven day columns');
      const [y, m, d] = viewerDay.split('-').map(Number);
      const [label, next] = await dayLabels(page, [[y, m - 1, d], [y, m - 1, d + 1]]);
      const cell = page.getByRole('list', { name: label, exact: true });
      await cell.getByText(name).waitFor();
      const text = await cell.innerText();
      t.check(text.includes(`${hhmm(s, VIEWER_ZONE)}–${hhmm(e, VIEWER_ZONE)}`), `the viewer's clock: ${text}`);
      t.check(text.includes('09:00–10:30 Asia/Kolkata'), `the window's own zone: ${text}`);
      t.check(text.includes('Maintenance'), 'the kind in words');
      t.check(!(await page.getByRole('list', { name: next, exact: true }).innerText()).includes(name), 'not on the next day');

      await cell.getByText(name).click();
      const facts = await cell.getByRole('definition').allInnerTexts();
      t.check(facts.includes('Asia/Kolkata'), `the details name the zone: ${facts}`);
      t.check(facts.includes('kernel patching'), `the details give the reason: ${facts}`);
      t.check(facts.some((f) => f.includes(`${ymd(day)} 09:00 to ${ymd(day)} 10:30 (Asia/Kolkata)`)), `the details give the span: ${facts}`);
      await t.shot(page, 'calendar-week');
    },
  },
  {
    name: 'an address with view, date and environment opens that period afresh, as a shared link would',
    fn: async (t) => {
      const env = await freshEnv(t);
      const name = t.uniq('linked freeze');
      await t.must(201, 'POST', '/v1/windows', {
        name, kind: 'freeze', environment: env, timezone: VIEWER_ZONE,
        start: '2026-12-09T08:00:00', end: '2026-12-09T12:00:00',
      });
      const page = await t.page(t.adminToken, { ...VIEW, path: `/calendar?view=week&date=2026-12-07&environment=${env}` });
      await page.getByRole('heading', { level: 1, name: 'Calendar' }).waitFor();
      await page.getByRole('button', { name: 'Week', exact: true, pressed: true }).waitFor();
      // The environments' list comes in on its own request: the address's
      // choice shows once its option is there.
      const select = page.getByLabel('Environment');
      await t.until(async () => (await select.inputValue()) === env, `the environment ${env} chosen`, 5000);
      const [label] = await dayLabels(page, [[2026, 11, 9]]);
      await page.getByRole('list', { name: label, exact: true }).getByText(name).waitFor();
    },
  },
  {
    name: 'Previous, Next, Today, the Month/Week toggle and the environment filter move the page and its address',
    fn: async (t) => {
      const env = await freshEnv(t);
      const page = await openCalendar(t, 'view=month&date=2026-12-07');
      await page.getByRole('table').waitFor();
      t.eq(await page.locator('caption').innerText(), 'December 2026', 'the month shown');
      const q = () => Object.fromEntries(new URL(page.url()).searchParams);
      await page.getByRole('button', { name: 'Next month' }).click();
      await page.getByText('January 2027').waitFor();
      t.eq(q(), { view: 'month', date: '2027-01-01' }, 'the address after Next');
      await page.getByRole('button', { name: 'Week', exact: true }).click();
      await page.getByRole('button', { name: 'Week', exact: true, pressed: true }).waitFor();
      t.eq(q(), { view: 'week', date: '2027-01-01' }, 'the address after Week');
      await page.getByRole('button', { name: 'Previous week' }).click();
      t.eq(q(), { view: 'week', date: '2026-12-25' }, 'the address after Previous');
      await page.getByLabel('Environment').selectOption(env);
      t.eq(q(), { view: 'week', date: '2026-12-25', environment: env }, 'the address after choosing an environment');
      await page.getByRole('button', { name: 'Today' }).click();
      t.eq(q().date, wall(new Date(), VIEWER_ZONE).slice(0, 10), 'Today is the viewer\'s today');
      t.eq(q().environment, env, 'the environment is kept');
    },
  },
];
