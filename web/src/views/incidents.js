// incidents.js - incidents: the list at /incidents (filters in the query
// string), one incident at /incidents/:key with the deployments shiplog
// suspects of having caused it, the causes a person confirmed (each
// confirmed cause marks its deployment as a change failure), confirming
// and withdrawing one (incident.cause: release_manager, admin), and
// resolving or reopening the incident (incident.write). The server decides
// which deployments are suspects and which may be named; the page shows
// its answers.
import { useState } from 'preact/hooks';
import * as api from '../api.js';
import { can, duration, html, Loading, navigate, NotAllowed, Problem, queryOf, Status, Time, useLoad } from '../ui.js';

const WRITE = 'incident.write';
const CAUSE = 'incident.cause';

// Severity and state each with an icon, so neither rests on colour alone.
const SEVERITY = { critical: '‼', major: '!', minor: '·' };
const STATE = { open: '●', resolved: '✓' };

export function Severity({ severity }) {
  return html`<span class=${`severity severity-${severity}`}><span aria-hidden="true">${SEVERITY[severity] || '•'} </span>${severity}</span>`;
}

export function IncidentState({ status }) {
  return html`<span class=${`incident-state incident-${status}`}><span aria-hidden="true">${STATE[status] || '•'} </span>${status}</span>`;
}

const incidentPath = (key) => `/incidents/${encodeURIComponent(key)}`;

// A list of incidents as a table: for /incidents and the release page.
export function IncidentTable({ items, caption }) {
  return html`<div class="table-scroll"><table class="incidents">
    <caption class="sr">${caption}</caption>
    <thead><tr>
      <th scope="col">Incident</th><th scope="col">State</th><th scope="col">Severity</th>
      <th scope="col">Environment</th><th scope="col">Services</th><th scope="col">Started</th>
      <th scope="col">Resolved</th><th scope="col">Summary</th>
    </tr></thead>
    <tbody>${items.map((i) => html`<tr key=${i.key}>
      <th scope="row"><a href=${incidentPath(i.key)}>${i.key}</a></th>
      <td><${IncidentState} status=${i.status} /></td>
      <td><${Severity} severity=${i.severity} /></td>
      <td>${i.environment}</td>
      <td>${i.services.join(', ')}</td>
      <td><${Time} at=${i.started_at} /></td>
      <td>${i.resolved_at ? html`<${Time} at=${i.resolved_at} /> <span class="meta">(${duration(i.resolution_seconds)})</span>` : '—'}</td>
      <td class="summary">${i.summary}</td>
    </tr>`)}</tbody>
  </table></div>`;
}

const FILTERS = ['status', 'environment', 'service'];

// /incidents: newest first, filtered by state, environment and service;
// the filters live in the query string so a link carries them.
export function Incidents({ search }) {
  const q = queryOf(search);
  const filters = Object.fromEntries(FILTERS.filter((k) => q[k]).map((k) => [k, q[k]]));
  const [more, setMore] = useState({ items: [], cursor: undefined, error: null });
  const { data, error } = useLoad(async () => {
    setMore({ items: [], cursor: undefined, error: null });
    return api.incidents({ ...filters, limit: 50 });
  }, [search]);
  const [form, setForm] = useState({ status: q.status || '', environment: q.environment || '', service: q.service || '' });
  const set = (k) => (e) => setForm({ ...form, [k]: e.currentTarget.value });
  const apply = (e) => {
    e.preventDefault();
    const p = new URLSearchParams(Object.entries(form).filter(([, v]) => v.trim()).map(([k, v]) => [k, v.trim()]));
    navigate(`/incidents${p.toString() ? `?${p}` : ''}`);
  };
  const cursor = more.cursor === undefined ? data && data.next_cursor : more.cursor;
  const loadMore = async () => {
    try {
      const page = await api.incidents({ ...filters, limit: 50, cursor });
      setMore({ items: [...more.items, ...page.items], cursor: page.next_cursor, error: null });
    } catch (err) {
      setMore({ ...more, error: err });
    }
  };
  const items = data ? [...data.items, ...more.items] : [];
  return html`<h1 tabindex="-1">Incidents</h1>
    <p class="subtitle">What went wrong where, the deployments suspected of causing it, and the causes people confirmed.</p>
    <form class="filters" aria-label="Filter incidents" onSubmit=${apply}>
      <label>State <select value=${form.status} onChange=${set('status')}>
        <option value="">any</option><option value="open">open</option><option value="resolved">resolved</option>
      </select></label>
      <label>Environment <input value=${form.environment} onInput=${set('environment')} spellcheck=${false} /></label>
      <label>Service <input value=${form.service} onInput=${set('service')} spellcheck=${false} /></label>
      <button type="submit">Filter</button>
    </form>
    ${error ? html`<${Problem} error=${error} />`
      : !data ? html`<${Loading} what="Loading the incidents" />`
        : items.length === 0 ? html`<p>No incidents${Object.keys(filters).length ? ' match these filters' : ' recorded'}.</p>`
          : html`<${IncidentTable} items=${items} caption="Incidents, newest first" />`}
    <${Problem} error=${more.error} />
    ${cursor ? html`<button type="button" onClick=${loadMore}>Show more incidents</button>` : ''}`;
}

function Field({ name, children }) {
  return html`<div class="field"><dt>${name}</dt><dd>${children}</dd></div>`;
}

// A release as its page's link.
const releaseLink = (svc, version) => html`<a href=${`/releases/${encodeURIComponent(svc)}@${encodeURIComponent(version)}`}>${svc} ${version}</a>`;

// The confirm button of one suspect, with an optional comment.
function Confirm({ inc, s, onDone, onError }) {
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);
  const click = async (e) => {
    e.preventDefault();
    setBusy(true);
    try {
      onDone(await api.confirmCause(inc.key, s.deployment_id, comment.trim()), `Deployment #${s.deployment_id} confirmed as the cause: it is now a change failure.`);
    } catch (err) {
      onError(err);
    }
    setBusy(false);
  };
  return html`<form class="confirm" aria-label=${`Confirm deployment #${s.deployment_id} as the cause`} onSubmit=${click}>
    <label>Comment <input value=${comment} onInput=${(e) => setComment(e.currentTarget.value)} /></label>
    <button type="submit" disabled=${busy}>Confirm as cause</button>
  </form>`;
}

function Suspects({ inc, session, onDone, onError }) {
  const may = can(session, CAUSE);
  if (!inc.suspected.length) {
    return html`<p>No deployment to ${inc.services.join(', ')} in ${inc.environment} started before the incident did.</p>`;
  }
  return html`${may ? '' : html`<${NotAllowed} session=${session} action=${CAUSE}>Confirming a cause<//>`}
    <div class="table-scroll"><table class="suspects">
    <caption class="sr">Suspected deployments, newest first per service</caption>
    <thead><tr>
      <th scope="col">Deployment</th><th scope="col">Service</th><th scope="col">Version</th>
      <th scope="col">Replaced</th><th scope="col">Changes</th><th scope="col">Status</th>
      <th scope="col">Started</th><th scope="col">Cause</th>
    </tr></thead>
    <tbody>${inc.suspected.map((s) => html`<tr key=${s.deployment_id}>
      <th scope="row"><a href=${`/deployments/${s.deployment_id}`}>#${s.deployment_id}</a></th>
      <td>${s.service}</td>
      <td>${releaseLink(s.service, s.release.version)}</td>
      <td>${s.replaced ? releaseLink(s.service, s.replaced.version) : '—'}</td>
      <td class="changes">
        ${s.release.commit ? html`<code>${s.release.commit.slice(0, 12)}</code>` : ''}
        ${s.replaced && s.replaced.commit ? html` <span class="meta">from <code>${s.replaced.commit.slice(0, 12)}</code></span>` : ''}
        ${s.release.notes ? html`<p class="notes">${s.release.notes}</p>` : ''}
        ${!s.release.commit && !s.release.notes ? html`<span class="meta">none recorded</span>` : ''}
      </td>
      <td><${Status} status=${s.status} /></td>
      <td><${Time} at=${s.started_at} /></td>
      <td>${s.confirmed ? html`<strong class="confirmed"><span aria-hidden="true">✕ </span>confirmed cause</strong>`
        : may ? html`<${Confirm} inc=${inc} s=${s} onDone=${onDone} onError=${onError} />` : html`<span class="meta">not confirmed</span>`}</td>
    </tr>`)}</tbody>
  </table></div>`;
}

function Causes({ inc, session, onDone, onError }) {
  const may = can(session, CAUSE);
  if (!inc.causes.length) return html`<p>No cause confirmed yet.</p>`;
  const withdraw = async (c) => {
    try {
      onDone(await api.withdrawCause(inc.key, c.deployment_id), `Deployment #${c.deployment_id} is no longer a confirmed cause.`);
    } catch (err) {
      onError(err);
    }
  };
  return html`<ul class="causes">${inc.causes.map((c) => html`<li key=${c.deployment_id}>
    <a href=${`/deployments/${c.deployment_id}`}>deployment #${c.deployment_id}</a> of ${releaseLink(c.service, c.version)},
    confirmed by ${c.confirmed_by} <${Time} at=${c.confirmed_at} />${c.comment ? html`: “${c.comment}”` : ''}
    ${may ? html` <button type="button" class="secondary" aria-label=${`Withdraw deployment #${c.deployment_id} as the cause`} onClick=${() => withdraw(c)}>Withdraw</button>` : ''}
  </li>`)}</ul>`;
}

// Resolve now, or reopen a resolved incident.
function ResolveButton({ inc, onDone, onError }) {
  const [busy, setBusy] = useState(false);
  const open = inc.status === 'open';
  const click = async () => {
    setBusy(true);
    try {
      const doc = await api.updateIncident(inc.key, { resolved_at: open ? new Date().toISOString() : null });
      onDone(doc, open ? `Incident ${inc.key} resolved after ${duration(doc.resolution_seconds)}.` : `Incident ${inc.key} reopened.`);
    } catch (err) {
      onError(err);
    }
    setBusy(false);
  };
  return html`<button type="button" disabled=${busy} onClick=${click}>${open ? 'Resolve now' : 'Reopen'}</button>`;
}

// /incidents/:key
export function Incident({ params, session }) {
  const [key] = params;
  const { data: inc, error, reload } = useLoad(() => api.incident(key), [key]);
  const [said, setSaid] = useState('');
  const [actionError, setActionError] = useState(null);
  const done = (_doc, words) => {
    setActionError(null);
    setSaid(words);
    reload();
  };
  const failed = (err) => {
    setSaid('');
    setActionError(err);
  };
  const head = html`<h1 tabindex="-1">Incident ${key}</h1>`;
  if (error) return html`${head}<${Problem} error=${error} /><p><a href="/incidents">All incidents</a></p>`;
  if (!inc) return html`${head}<${Loading} what="Loading the incident" />`;
  return html`${head}
    <p class="subtitle"><a href="/incidents">All incidents</a> · <${IncidentState} status=${inc.status} /> · <${Severity} severity=${inc.severity} /></p>
    <p role="status" class="said">${said}</p>
    <${Problem} error=${actionError} />
    <section aria-labelledby="h-about"><h2 id="h-about">About</h2>
      <dl class="fields">
        <${Field} name="Summary">${inc.summary}<//>
        <${Field} name="Environment">${inc.environment}<//>
        <${Field} name="Services">${inc.services.join(', ')}<//>
        <${Field} name="Started"><${Time} at=${inc.started_at} /><//>
        <${Field} name="Resolved">${inc.resolved_at ? html`<${Time} at=${inc.resolved_at} /> after ${duration(inc.resolution_seconds)}` : 'not yet'}<//>
        <${Field} name="Recorded">by ${inc.created_by} · <${Time} at=${inc.created_at} /> (${inc.source})<//>
        <${Field} name="Tracked at">${inc.url ? html`<a href=${inc.url} rel="noopener noreferrer">${inc.url}</a>` : '—'}<//>
        <${Field} name="Known issue of">${inc.known_issue_of.length ? inc.known_issue_of.map((id, i) => html`${i ? ', ' : ''}<a href=${`/releases/${id}`}>release #${id}</a>`) : '—'}<//>
      </dl>
      ${can(session, WRITE) ? html`<${ResolveButton} inc=${inc} onDone=${done} onError=${failed} />`
        : html`<${NotAllowed} session=${session} action=${WRITE}>Resolving the incident<//>`}
    </section>
    <section aria-labelledby="h-causes"><h2 id="h-causes">Confirmed causes</h2>
      <${Causes} inc=${inc} session=${session} onDone=${done} onError=${failed} /></section>
    <section aria-labelledby="h-suspects"><h2 id="h-suspects">Suspected deployments</h2>
      <p class="hint">The latest deployments to each of its services in ${inc.environment} that started before the incident, newest first.
        Confirming one marks it as a change failure.</p>
      <${Suspects} inc=${inc} session=${session} onDone=${done} onError=${failed} /></section>`;
}
