// calendar.js - the calendar at /calendar: a month or a week of freeze,
// blackout and maintenance windows (occurrences expanded by the server),
// deployments done and changes planned, with the freezes and blackouts in
// force now in a banner at the top. The shown period and the environment
// are in the query string (?view=week&date=2026-12-07&environment=prod),
// so a link carries them. Days are the viewer's days; an occurrence also
// shows its time in the window's own zone when that reads differently.
import { useEffect, useRef, useState } from 'preact/hooks';
import * as api from '../api.js';
import { html, Loading, navigate, Problem, queryOf, releasePath, Status, Time, useLoad } from '../ui.js';

// The newest deployments one period shows; beyond it the page says so.
const MAX_DEPLOYS = 2000;
// How many deployments a day lists open before folding them away.
const OPEN_DEPLOYS = { month: 3, week: 12 };

// Each kind of window as an icon and a word, so no kind rests on colour.
const KINDS = {
  freeze: { icon: '❄', word: 'Freeze' },
  blackout: { icon: '⊘', word: 'Blackout' },
  maintenance: { icon: '⚙', word: 'Maintenance' },
};
const kindOf = (k) => KINDS[k] || { icon: '•', word: k };
const BLOCKING = ['freeze', 'blackout'];

// The viewer's own zone, named in the page so "your time" is explicit.
const viewerZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone || 'local time';

const pad = (n) => String(n).padStart(2, '0');

// A local calendar day as YYYY-MM-DD, and back (null when not a real day).
const isoDay = (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
function parseDay(s) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s || '');
  if (!m) return null;
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return isoDay(d) === s ? d : null;
}

// Day arithmetic on the local calendar, so a daylight-saving change never
// shifts a day boundary.
const addDays = (d, n) => new Date(d.getFullYear(), d.getMonth(), d.getDate() + n);
const startOfDay = (d) => new Date(d.getFullYear(), d.getMonth(), d.getDate());
const startOfWeek = (d) => addDays(startOfDay(d), -((d.getDay() + 6) % 7));

// The days a view shows: whole weeks, Monday first, covering the month of
// date (month) or the week holding date (week).
function periodOf(view, date) {
  let start;
  let end;
  if (view === 'week') {
    start = startOfWeek(date);
    end = addDays(start, 7);
  } else {
    start = startOfWeek(new Date(date.getFullYear(), date.getMonth(), 1));
    end = addDays(startOfWeek(new Date(date.getFullYear(), date.getMonth() + 1, 0)), 7);
  }
  const days = [];
  for (let d = start; d < end; d = addDays(d, 1)) days.push(d);
  return { start, end, days };
}

// The date the Previous and Next buttons move to.
function step(view, date, dir) {
  if (view === 'week') return addDays(date, 7 * dir);
  return new Date(date.getFullYear(), date.getMonth() + dir, 1);
}

// The in-app path of a calendar page.
function hrefOf({ view, date, environment }) {
  const q = new URLSearchParams({ view, date: isoDay(date) });
  if (environment) q.set('environment', environment);
  return `/calendar?${q}`;
}

// Date formats in the viewer's locale, and zone tz when given. A month
// formats thousands of times, so each formatter is made once and kept. A
// zone this browser does not know reads as the viewer's rather than
// breaking the page.
const formatters = new Map();
function fmt(opts, timeZone) {
  const key = JSON.stringify([opts, timeZone || '']);
  if (!formatters.has(key)) {
    let f;
    try {
      f = new Intl.DateTimeFormat(undefined, timeZone ? { ...opts, timeZone } : opts);
    } catch {
      f = new Intl.DateTimeFormat(undefined, opts);
    }
    formatters.set(key, f);
  }
  return formatters.get(key);
}
const hm = (d, tz) => fmt({ hour: '2-digit', minute: '2-digit' }, tz).format(d);
const dayText = (d, tz) => fmt({ weekday: 'short', day: 'numeric', month: 'short' }, tz).format(d);
const fullDay = (d) => fmt({ weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' }).format(d);
// The calendar day of a moment in a zone (the viewer's when tz is absent).
const dayKeys = new Map();
function dayKey(d, tz) {
  if (!tz) return isoDay(d);
  if (!dayKeys.has(tz)) {
    let f = null;
    try {
      f = new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' });
    } catch {
      // An unknown zone: fall back to the viewer's day, as fmt does.
    }
    dayKeys.set(tz, f);
  }
  const f = dayKeys.get(tz);
  return f ? f.format(d) : isoDay(d);
}

// "09:00–10:00" within one day of the zone, else both days spelled out.
function rangeText(start, end, tz) {
  if (dayKey(start, tz) === dayKey(new Date(end - 1), tz)) return `${dayText(start, tz)} ${hm(start, tz)}–${hm(end, tz)}`;
  return `${dayText(start, tz)} ${hm(start, tz)} – ${dayText(end, tz)} ${hm(end, tz)}`;
}

// Whether a moment reads the same on the viewer's clock and in zone tz;
// only when it does not is the window's own time worth a second line.
const sameWallTime = (d, tz) => !tz || (dayKey(d) === dayKey(d, tz) && hm(d) === hm(d, tz));

// The part of [start, end) that falls on one viewer's day, in words.
function segmentText(start, end, dayStart, dayEnd) {
  const starts = start >= dayStart;
  const ends = end <= dayEnd;
  if (starts && ends) return `${hm(start)}–${hm(end)}`;
  if (starts) return `from ${hm(start)}`;
  if (ends) return `until ${hm(end)}`;
  return 'all day';
}

// A window's local wall time YYYY-MM-DDTHH:MM:SS, easier on the eye.
const wallText = (s) => (s ? s.replace('T', ' ').slice(0, 16) : '—');

// A window's duration in hours and minutes.
function minutesText(m) {
  if (m === null || m === undefined) return '';
  const h = Math.floor(m / 60);
  const r = m % 60;
  if (!h) return `${r} min`;
  return r ? `${h} h ${r} min` : `${h} h`;
}

// Everything one period shows: the occurrences of every window reaching
// the environment, the deployments made, and the change requests whose
// planned window falls in it (with the planned releases that name them).
async function loadPeriod(from, to, environment) {
  const [windows, deploys, extra] = await Promise.all([
    api.windows({ environment, from, to }),
    api.recentDeployments({ since: from, until: to, environment }, MAX_DEPLOYS),
    Promise.all([api.changeRequests(), api.releases({ status: 'planned', limit: 500 })]).then(
      ([crs, planned]) => ({ crs, planned: planned.items, error: null }),
      (error) => ({ crs: null, planned: [], error }),
    ),
  ]);
  const byId = new Map(windows.items.map((w) => [w.id, w]));
  const occurrences = (windows.occurrences || [])
    .map((o) => ({ ...o, s: new Date(o.start), e: new Date(o.end), window: byId.get(o.window_id) || {} }))
    .sort((a, b) => a.s - b.s || a.name.localeCompare(b.name));
  const deployments = deploys
    .map((d) => ({ ...d, at: new Date(d.created_at) }))
    .sort((a, b) => a.at - b.at);
  const lo = new Date(from);
  const hi = new Date(to);
  const changes = ((extra.crs && extra.crs.items) || [])
    .filter((c) => c.window_start && c.window_end)
    .map((c) => ({ ...c, s: new Date(c.window_start), e: new Date(c.window_end) }))
    .filter((c) => c.s < hi && c.e > lo)
    .map((c) => ({ ...c, releases: extra.planned.filter((r) => r.change_request === c.key) }))
    .sort((a, b) => a.s - b.s);
  const dated = new Set(changes.flatMap((c) => c.releases.map((r) => r.id)));
  return {
    key: `${from}|${to}|${environment}`,
    occurrences,
    deployments,
    changes,
    undated: extra.planned.filter((r) => !dated.has(r.id)),
    extraError: extra.error,
    cut: deploys.length >= MAX_DEPLOYS,
  };
}

// The windows in force at this moment (asked of the server, which expands
// the rules), with each occurrence's window for its zone and reason.
async function loadNow(environment) {
  const now = Date.now();
  const doc = await api.windows({ environment, from: new Date(now - 1000).toISOString(), to: new Date(now + 1000).toISOString() });
  const byId = new Map(doc.items.map((w) => [w.id, w]));
  const open = (doc.occurrences || [])
    .map((o) => ({ ...o, s: new Date(o.start), e: new Date(o.end), window: byId.get(o.window_id) || {} }))
    .filter((o) => o.s.getTime() <= now && now < o.e.getTime());
  return { environment, open };
}

// Calls onChange (debounced) after each window or deployment change the
// stream reports, and after the stream comes back from a gap; answers the
// stream's state in words. The stream is closed when the view goes.
function useLive(onChange) {
  const latest = useRef(onChange);
  latest.current = onChange;
  const [state, setState] = useState('connecting');
  useEffect(() => {
    let timer = null;
    const soon = () => {
      clearTimeout(timer);
      timer = setTimeout(() => latest.current(), 250);
    };
    const close = api.subscribe({
      types: ['window.create', 'window.delete', 'deployment.create'],
      onEvent: soon,
      onState: (st) => {
        setState(st);
        if (st === 'resumed') soon();
      },
    });
    return () => {
      clearTimeout(timer);
      close();
    };
  }, []);
  return state;
}

// Reloads the banner when the clock alone changes what is in force: at the
// end of an open freeze, or the start of one the period shows.
function useBoundary(now, period, reload) {
  useEffect(() => {
    if (!now) return undefined;
    const t = Date.now();
    const edges = [
      ...now.open.map((o) => o.e.getTime()),
      ...((period && period.occurrences) || []).flatMap((o) => [o.s.getTime(), o.e.getTime()]),
    ].filter((x) => x > t);
    if (!edges.length) return undefined;
    // setTimeout holds at most about 24 days; a day is plenty, since the
    // page reloads the banner again then.
    const wait = Math.min(Math.min(...edges) - t + 500, 86400000);
    const timer = setTimeout(reload, wait);
    return () => clearTimeout(timer);
  }, [now, period]);
}

// The time of an occurrence (or a change window) in the window's zone, as
// a second line, when it reads differently from the viewer's.
function ZoneTime({ s, e, tz }) {
  if (!tz || (sameWallTime(s, tz) && sameWallTime(e, tz))) return null;
  return html`<span class="cal-zone">${rangeText(s, e, tz)} ${tz}</span>`;
}

// What one window is: its rule or fixed span, zone, scope and reason.
function WindowFacts({ occ }) {
  const w = occ.window;
  return html`<dl class="cal-facts">
    <div><dt>Kind</dt><dd>${kindOf(occ.kind).word}</dd></div>
    <div><dt>Environment</dt><dd>${occ.environment || 'every environment'}</dd></div>
    <div><dt>Services</dt><dd>${w.service_tag ? html`tagged <code>${w.service_tag}</code>` : 'every service'}</dd></div>
    <div><dt>Time zone</dt><dd>${w.timezone || '—'}</dd></div>
    ${w.rrule
      ? html`<div><dt>Rule</dt><dd><code>${w.rrule}</code> from ${wallText(w.start)} (${w.timezone}), each lasting ${minutesText(w.duration_minutes)}</dd></div>`
      : html`<div><dt>Span</dt><dd>${wallText(w.start)} to ${wallText(w.end)} (${w.timezone})</dd></div>`}
    <div><dt>This time</dt><dd>${rangeText(occ.s, occ.e)} (${viewerZone()})${sameWallTime(occ.s, w.timezone) && sameWallTime(occ.e, w.timezone)
      ? ''
      : html`; ${rangeText(occ.s, occ.e, w.timezone)} (${w.timezone})`}</dd></div>
    <div><dt>Reason</dt><dd>${w.reason || '—'}</dd></div>
    <div><dt>Created</dt><dd>${w.created_by || '—'}, <${Time} at=${w.created_at} /></dd></div>
  </dl>`;
}

// One occurrence on one day: kind in icon and word, name, the day's part
// of it on the viewer's clock, the window's own time, and the details.
function Occurrence({ occ, dayStart, dayEnd, environment, zone }) {
  const k = kindOf(occ.kind);
  return html`<li class=${`cal-occ cal-${occ.kind}`}>
    <details>
      <summary>
        <span class="cal-kind"><span aria-hidden="true">${k.icon} </span>${k.word}</span>
        ${' '}<strong class="cal-name">${occ.name}</strong>
        ${' '}<span class="cal-when">${segmentText(occ.s, occ.e, dayStart, dayEnd)}</span>
        ${zone ? html` <${ZoneTime} s=${occ.s} e=${occ.e} tz=${occ.window.timezone} />` : ''}
        ${environment && occ.environment ? '' : html` <span class="cal-env">${occ.environment || 'every environment'}</span>`}
      </summary>
      <${WindowFacts} occ=${occ} />
    </details>
  </li>`;
}

// A change request's planned window on one day, with the planned releases
// that name it.
function Change({ c, dayStart, dayEnd }) {
  return html`<li class="cal-change">
    <span class="cal-kind"><span aria-hidden="true">◷ </span>Planned change</span>
    ${' '}${c.url ? html`<a href=${c.url} rel="noopener noreferrer">${c.key}</a>` : html`<strong>${c.key}</strong>`}
    ${' '}<span class="cal-when">${segmentText(c.s, c.e, dayStart, dayEnd)}</span>
    ${' '}<span class="cal-env">${c.class}, ${c.state}</span>
    ${c.releases.length
      ? html`<ul class="cal-releases">${c.releases.map((r) => html`<li key=${r.id}>
          <a href=${releasePath(r.service, r.version)}>${r.service} ${r.version}</a> <${Status} status=${r.status} />
        </li>`)}</ul>`
      : ''}
  </li>`;
}

// The deployments made on one day, as links; a busy day folds them.
function DayDeploys({ list, open, environment }) {
  if (!list.length) return null;
  const word = list.length === 1 ? 'deployment' : 'deployments';
  return html`<li class="cal-deploys">
    <details open=${list.length <= open}>
      <summary>${list.length} ${word}</summary>
      <ul>${list.map((d) => html`<li key=${d.id}>
        <time class="cal-at" datetime=${d.created_at}>${hm(d.at)}</time>
        ${' '}<a href=${`/deployments/${d.id}`}>#${d.id} ${d.service} ${d.version}</a>
        ${' '}<${Status} status=${d.status} />
        ${environment ? '' : html` <span class="cal-env">${d.environment}</span>`}
      </li>`)}</ul>
    </details>
  </li>`;
}

// One day's cell: its date, then a list (named by the full date) of the
// occurrences, planned changes and deployments touching that day.
// In the month view the window's own time is given where an occurrence
// starts (or where the grid starts), not again on each day it continues.
function Day({ day, data, view, month, today, environment, first }) {
  const dayEnd = addDays(day, 1);
  const occs = data.occurrences.filter((o) => o.s < dayEnd && o.e > day);
  const changes = data.changes.filter((c) => c.s < dayEnd && c.e > day);
  const deploys = data.deployments.filter((d) => d.at >= day && d.at < dayEnd);
  const isToday = isoDay(day) === today;
  const outside = view === 'month' && day.getMonth() !== month;
  const cls = ['cal-day', outside ? 'cal-outside' : '', isToday ? 'cal-today' : '', occs.some((o) => BLOCKING.includes(o.kind)) ? 'cal-blocked' : '']
    .filter(Boolean).join(' ');
  return html`<td class=${cls} aria-current=${isToday ? 'date' : undefined}>
    <p class="cal-date">
      <span class="cal-wd">${fmt({ weekday: 'short' }).format(day)} </span>
      <time datetime=${isoDay(day)}>${day.getDate() === 1 || outside ? fmt({ day: 'numeric', month: 'short' }).format(day) : day.getDate()}</time>
      ${isToday ? html` <strong class="cal-today-word">Today</strong>` : ''}
    </p>
    <ul class="cal-items" aria-label=${fullDay(day)}>
      ${occs.map((o) => html`<${Occurrence} key=${`${o.window_id}-${o.start}`} occ=${o} dayStart=${day} dayEnd=${dayEnd}
        environment=${environment} zone=${view === 'week' || first || o.s >= day} />`)}
      ${changes.map((c) => html`<${Change} key=${c.key} c=${c} dayStart=${day} dayEnd=${dayEnd} />`)}
      <${DayDeploys} list=${deploys} open=${OPEN_DEPLOYS[view]} environment=${environment} />
    </ul>
  </td>`;
}

// The grid: a row per week (month) or one row (week), a column per day.
function Grid({ view, period, data, date, label, environment }) {
  const today = isoDay(new Date());
  const weeks = [];
  for (let i = 0; i < period.days.length; i += 7) weeks.push(period.days.slice(i, i + 7));
  const head = period.days.slice(0, 7);
  return html`<div class="cal-scroll"><table class=${`cal-grid cal-${view}`}>
    <caption>${label}</caption>
    <thead><tr>${head.map((d) => html`<th scope="col" key=${isoDay(d)}>
      ${view === 'week'
        ? html`${fmt({ weekday: 'long' }).format(d)} <span class="cal-th-date">${fmt({ day: 'numeric', month: 'short' }).format(d)}</span>`
        : html`<span aria-hidden="true">${fmt({ weekday: 'short' }).format(d)}</span><span class="sr">${fmt({ weekday: 'long' }).format(d)}</span>`}
    </th>`)}</tr></thead>
    <tbody>${weeks.map((w) => html`<tr key=${isoDay(w[0])}>
      ${w.map((d) => html`<${Day} key=${isoDay(d)} day=${d} data=${data} view=${view} month=${date.getMonth()} today=${today}
        environment=${environment} first=${d.getTime() === period.start.getTime()} />`)}
    </tr>`)}</tbody>
  </table></div>`;
}

// The freezes and blackouts in force now, prominent, each with kind (icon
// and word), environment, name, scope, until when and why; an open
// maintenance window is mentioned below them.
function NowBanner({ now }) {
  if (!now) return null;
  const blocking = now.open.filter((o) => BLOCKING.includes(o.kind));
  const maint = now.open.filter((o) => o.kind === 'maintenance');
  return html`
    ${blocking.length
      ? html`<section class="cal-banner" aria-labelledby="cal-h-now">
        <h2 id="cal-h-now"><span aria-hidden="true">⚠ </span>In force now</h2>
        <ul>${blocking.map((o) => {
          const k = kindOf(o.kind);
          return html`<li key=${`${o.window_id}-${o.start}`} class=${`cal-${o.kind}`}>
            <strong class="cal-kind"><span aria-hidden="true">${k.icon} </span>${k.word}</strong>
            ${' '}in <strong>${o.environment || 'every environment'}</strong>:
            ${' '}<strong>${o.name}</strong>${o.window.service_tag ? html` (services tagged <code>${o.window.service_tag}</code>)` : ''},
            until <time datetime=${o.end}>${dayText(o.e)} ${hm(o.e)}</time>
            ${sameWallTime(o.e, o.window.timezone) ? '' : ` (${dayText(o.e, o.window.timezone)} ${hm(o.e, o.window.timezone)} ${o.window.timezone})`}
            ${o.window.reason ? html`<span class="cal-reason">Reason: ${o.window.reason}</span>` : ''}
          </li>`;
        })}</ul>
      </section>`
      : ''}
    ${maint.length
      ? html`<p class="cal-maint-now">
        <span aria-hidden="true">⚙ </span>Maintenance window open now:
        ${maint.map((o, i) => html`${i ? '; ' : ' '}<strong>${o.name}</strong> in ${o.environment || 'every environment'} until ${dayText(o.e)} ${hm(o.e)}`)}
      </p>`
      : ''}`;
}

// Previous / Today / Next, the Month/Week toggle and the environment. Each
// option of the environment list says whether it is the chosen one: the
// list arrives after the select is drawn, and a value given before its
// option exists would be lost (a shared link would show "every
// environment" while the page shows one).
function Controls({ view, date, environment, envs }) {
  const go = (over) => navigate(hrefOf({ view, date, environment, ...over }));
  return html`<div class="cal-controls">
    <div class="cal-nav" role="group" aria-label="Period">
      <button type="button" onClick=${() => go({ date: step(view, date, -1) })}>
        <span aria-hidden="true">‹ </span>Previous<span class="sr"> ${view}</span></button>
      <button type="button" onClick=${() => go({ date: new Date() })}>Today</button>
      <button type="button" onClick=${() => go({ date: step(view, date, 1) })}>
        Next<span class="sr"> ${view}</span><span aria-hidden="true"> ›</span></button>
    </div>
    <div class="cal-views" role="group" aria-label="View">
      <button type="button" aria-pressed=${view === 'month' ? 'true' : 'false'} onClick=${() => go({ view: 'month' })}>Month</button>
      <button type="button" aria-pressed=${view === 'week' ? 'true' : 'false'} onClick=${() => go({ view: 'week' })}>Week</button>
    </div>
    <label class="cal-env-filter">Environment
      <select value=${environment} onChange=${(e) => go({ environment: e.currentTarget.value })}>
        <option value="" selected=${!environment}>every environment</option>
        ${(envs || []).map((e) => html`<option key=${e.name} value=${e.name} selected=${e.name === environment}>${e.name}</option>`)}
        ${environment && envs && !envs.some((e) => e.name === environment) ? html`<option value=${environment} selected>${environment}</option>` : ''}
      </select>
    </label>
  </div>`;
}

// The stream's state in words, so "live" never rests on a dot's colour.
const LIVE_WORDS = {
  connecting: 'connecting to live updates…',
  live: 'live: updates as windows and deployments change',
  resumed: 'live: updates as windows and deployments change',
  reconnecting: 'reconnecting to live updates…',
};

// The page: the period and environment come from the query string; the
// period's data, the banner and the environments load on their own, and
// the stream reloads the first two when windows or deployments change.
export function Calendar({ search }) {
  const q = queryOf(search);
  const view = q.view === 'week' ? 'week' : 'month';
  const date = parseDay(q.date) || startOfDay(new Date());
  const environment = q.environment || '';
  const period = periodOf(view, date);
  const from = period.start.toISOString();
  const to = period.end.toISOString();

  const envs = useLoad(() => api.environments(), []);
  const main = useLoad(() => loadPeriod(from, to, environment), [from, to, environment]);
  const now = useLoad(() => loadNow(environment), [environment]);
  const live = useLive(() => {
    main.reload();
    now.reload();
  });
  // While another period or environment loads, the last one's data is not
  // shown under the new heading; a live reload of the same keeps it.
  const data = main.data && main.data.key === `${from}|${to}|${environment}` ? main.data : null;
  const nowData = now.data && now.data.environment === environment ? now.data : null;
  useBoundary(nowData, data, now.reload);

  const label = view === 'week'
    ? fmt({ day: 'numeric', month: 'long', year: 'numeric' }).formatRange(period.start, addDays(period.end, -1))
    : fmt({ month: 'long', year: 'numeric' }).format(date);
  const bad = q.date && !parseDay(q.date);

  return html`<h1 tabindex="-1">Calendar</h1>
    <${Problem} error=${now.error} />
    <${NowBanner} now=${nowData} />
    <${Controls} view=${view} date=${date} environment=${environment} envs=${envs.data} />
    <p class="cal-meta">
      Days and times are in your zone, ${viewerZone()}; a window's own zone is shown beside its time when it reads differently.
      <span class="cal-live"><span aria-hidden="true">${live === 'live' || live === 'resumed' ? '● ' : '○ '}</span>${LIVE_WORDS[live] || live}</span>
    </p>
    ${bad ? html`<p class="cal-note">The date <code>${q.date}</code> is not a day written YYYY-MM-DD; showing today.</p>` : ''}
    <${Problem} error=${envs.error} />
    ${main.error
      ? html`<${Problem} error=${main.error} />`
      : !data
        ? html`<${Loading} what="Loading the calendar" />`
        : html`
          ${data.cut ? html`<p class="cal-note">Only the newest ${MAX_DEPLOYS} deployments of this period are shown.</p>` : ''}
          <${Grid} view=${view} period=${period} data=${data} date=${date} label=${label} environment=${environment} />
          <${Problem} error=${data.extraError} />
          ${data.undated.length
            ? html`<section class="cal-undated" aria-labelledby="cal-h-undated">
              <h2 id="cal-h-undated">Planned releases without a date</h2>
              <details>
              <summary>${data.undated.length} planned ${data.undated.length === 1 ? 'release names' : 'releases name'} no change request with a planned window in this period</summary>
              <ul>${data.undated.map((r) => html`<li key=${r.id}>
                <a href=${releasePath(r.service, r.version)}>${r.service} ${r.version}</a>
                ${r.change_request ? html` <span class="cal-env">change request ${r.change_request}</span>` : ''}
              </li>`)}</ul>
              </details>
            </section>`
            : ''}`}`;
}
