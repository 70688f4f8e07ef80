// ui.js - the small pieces every view shares: navigation, loading data,
// times and durations, status badges, gate checks, problem messages and
// the permission rule for buttons.
import { html } from 'htm/preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

export { html };

// Moves to an in-app path without a reload; main.js listens for popstate.
export function navigate(to, { replace = false } = {}) {
  if (replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  dispatchEvent(new PopStateEvent('popstate'));
}

// The query string of the current location as a plain object.
export function queryOf(search = location.search) {
  return Object.fromEntries(new URLSearchParams(search));
}

// Runs load() now and whenever deps change; answers {data, error, loading,
// reload, set}. A reply that arrives after deps changed is dropped.
export function useLoad(load, deps) {
  const [state, setState] = useState({ data: undefined, error: null, loading: true });
  const run = useRef(0);
  const reload = useCallback(() => {
    const mine = ++run.current;
    setState((s) => ({ ...s, loading: true }));
    Promise.resolve()
      .then(load)
      .then(
        (data) => mine === run.current && setState({ data, error: null, loading: false }),
        (error) => mine === run.current && setState({ data: undefined, error, loading: false }),
      );
  }, deps);
  useEffect(() => {
    reload();
    return () => run.current++;
  }, [reload]);
  const set = useCallback((fn) => setState((s) => ({ ...s, data: fn(s.data) })), []);
  return { ...state, reload, set };
}

// The session's word on an action, for showing or hiding a button. The
// server still decides every request.
export const can = (session, action) => Boolean(session && session.permissions && session.permissions[action]);

// Why a button is not there, as visible text.
export function NotAllowed({ session, action, children }) {
  return html`<p class="not-allowed">
    ${children}: the role ${session.actor.role} does not hold the permission${' '}
    <code>${action}</code>.
  </p>`;
}

const local = new Intl.DateTimeFormat(undefined, {
  year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit',
});

export function formatTime(iso, timeZone) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return timeZone
    ? new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', timeZone, timeZoneName: 'short' }).format(d)
    : local.format(d);
}

export function ago(iso, now = Date.now()) {
  const s = Math.round((now - new Date(iso).getTime()) / 1000);
  if (Number.isNaN(s)) return '';
  const future = s < 0;
  const a = Math.abs(s);
  const text = a < 60 ? `${a} s` : a < 3600 ? `${Math.floor(a / 60)} min` : a < 86400 ? `${Math.floor(a / 3600)} h` : `${Math.floor(a / 86400)} d`;
  return future ? `in ${text}` : `${text} ago`;
}

// A moment: the viewer's local time, with the exact UTC value as its
// datetime. relative shows "5 min ago" instead.
export function Time({ at, relative = false, zone }) {
  if (!at) return html`<span>—</span>`;
  return html`<time datetime=${at} title=${at}>${relative ? ago(at) : formatTime(at, zone)}</time>`;
}

// A datetime-local value (the viewer's wall time) as RFC 3339 UTC, and
// back, for the time filters.
export const toUtc = (local) => (local ? new Date(local).toISOString() : '');
export function toLocal(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function duration(seconds) {
  if (seconds === null || seconds === undefined) return '—';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

// Status words of deployments (and releases), each with an icon, so the
// state never rests on colour alone.
const STATUS = {
  queued: ['◷', 'queued'],
  in_progress: ['⟳', 'in progress'],
  succeeded: ['✓', 'succeeded'],
  verified: ['✔', 'verified'],
  failed: ['✕', 'failed'],
  rolled_back: ['↶', 'rolled back'],
  cancelled: ['⊘', 'cancelled'],
  stalled: ['⚠', 'stalled'],
  draft: ['✎', 'draft'],
  planned: ['◷', 'planned'],
  released: ['✓', 'released'],
};

export const statusText = (s) => (STATUS[s] ? STATUS[s][1] : s);

export function Status({ status }) {
  const [icon, text] = STATUS[status] || ['•', status];
  return html`<span class=${`status status-${status}`}><span aria-hidden="true">${icon} </span>${text}</span>`;
}

// One gate check: its name, passed or not in words, and the server's reason.
export function Check({ check }) {
  const verdict = check.passed ? 'passed' : 'failed';
  return html`<li class=${`check check-${verdict}`}>
    <span class="check-verdict"><span aria-hidden="true">${check.passed ? '✓' : '✕'} </span>${check.name} ${verdict}</span>${' '}
    <span class="check-detail">${check.detail || check.reason || ''}</span>
  </li>`;
}

// A gate verdict with every check.
export function Gate({ gate, label }) {
  return html`<section class=${`gate ${gate.allowed ? 'gate-allowed' : 'gate-refused'}`} aria-label=${label}>
    <p class="gate-verdict">
      <strong>${gate.allowed ? '✓ Allowed' : '✕ Not allowed'}</strong>
      ${gate.valid_until ? html` · the verdict stands until <${Time} at=${gate.valid_until} /> unless something is recorded before` : ''}
    </p>
    <ul class="checks">${gate.checks.map((c) => html`<${Check} key=${c.name} check=${c} />`)}</ul>
  </section>`;
}

// A refusal or failure, in the server's words.
export function Problem({ error }) {
  if (!error) return null;
  const p = error.problem || {};
  return html`<div class="problem" role="alert">
    <p><strong>${p.title || 'Something went wrong'}</strong>${p.status ? ` (${p.status})` : ''}: ${error.detail || String(error)}</p>
    ${p.errors && p.errors.length
      ? html`<ul>${p.errors.map((e) => html`<li><code>${e.field}</code> ${e.message}</li>`)}</ul>`
      : ''}
  </div>`;
}

export function Loading({ what = 'Loading' }) {
  return html`<p class="loading" role="status">${what}…</p>`;
}

// The in-app path of a release: /releases/service@version.
export const releasePath = (service, version) => `/releases/${service}@${version}`;

export const pretty = (v) => (typeof v === 'string' ? v : JSON.stringify(v));
