// deployments.js - the deployment list at /deployments (filters in the
// query string, so a link can carry them) with a chart of deployments per
// day per environment, and one deployment at /deployments/:id with its
// timeline, its verification when its environment verifies deployments,
// and, for a role that may deploy, the rollback button.
import { useState } from 'preact/hooks';
import * as api from '../api.js';
import { can, duration, html, Loading, navigate, NotAllowed, Problem, queryOf, releasePath, Status, Time, toLocal, toUtc, useLoad } from '../ui.js';
import { DeploysChart } from '../chart.js';

const STATUSES = ['queued', 'in_progress', 'succeeded', 'verified', 'failed', 'rolled_back', 'cancelled', 'stalled'];
const FILTERS = ['service', 'environment', 'status', 'since', 'until'];

// The events of one deployment, oldest first; canary and blue-green
// traffic steps are drawn as a bar with their percentage in words.
export function Timeline({ events }) {
  if (!events.length) return html`<p>No events yet.</p>`;
  return html`<ol class="timeline">${events.map((e) => html`<li key=${e.seq ?? e.id}>
    <${Time} at=${e.at} />
    ${e.status ? html` <${Status} status=${e.status} />` : ''}
    ${e.traffic_percent !== null && e.traffic_percent !== undefined
      ? html` <span class="traffic">traffic ${e.traffic_percent}%
          <progress max="100" value=${e.traffic_percent} aria-label=${`traffic ${e.traffic_percent} percent`}></progress></span>`
      : ''}
    ${e.message ? html` <span class="prose">${e.message}</span>` : ''}
    <span class="meta"> · ${e.source} · ${e.actor}</span>
  </li>`)}</ol>`;
}

function Filters({ q, envs }) {
  const [form, setForm] = useState({ ...q, since: toLocal(q.since), until: toLocal(q.until) });
  const set = (k) => (e) => setForm({ ...form, [k]: e.currentTarget.value });
  const submit = (e) => {
    e.preventDefault();
    const out = new URLSearchParams();
    for (const k of FILTERS) {
      const v = k === 'since' || k === 'until' ? toUtc(form[k]) : (form[k] || '').trim();
      if (v) out.set(k, v);
    }
    navigate(`/deployments${out.toString() ? `?${out}` : ''}`);
  };
  return html`<form class="filters" role="search" aria-label="Filter deployments" onSubmit=${submit}>
    <label>Service <input value=${form.service || ''} onInput=${set('service')} /></label>
    <label>Environment <select value=${form.environment || ''} onChange=${set('environment')}>
      <option value="">any</option>
      ${envs.map((e) => html`<option key=${e.name} value=${e.name}>${e.name}</option>`)}
    </select></label>
    <label>Status <select value=${form.status || ''} onChange=${set('status')}>
      <option value="">any</option>
      ${STATUSES.map((s) => html`<option key=${s} value=${s}>${s.replace('_', ' ')}</option>`)}
    </select></label>
    <label>Since <input type="datetime-local" value=${form.since || ''} onInput=${set('since')} /></label>
    <label>Until <input type="datetime-local" value=${form.until || ''} onInput=${set('until')} /></label>
    <button type="submit">Apply filters</button>
  </form>`;
}

export function Deployments({ search }) {
  const q = queryOf(search);
  const filter = Object.fromEntries(FILTERS.filter((k) => q[k]).map((k) => [k, q[k]]));
  const [more, setMore] = useState({ items: [], cursor: undefined, error: null });
  const { data, error } = useLoad(async () => {
    setMore({ items: [], cursor: undefined, error: null });
    const [envs, page] = await Promise.all([api.environments(), api.deployments({ ...filter, limit: 100 })]);
    return { envs, page };
  }, [search]);

  const next = async () => {
    try {
      const page = await api.deployments({ ...filter, limit: 100, cursor: more.cursor ?? data.page.next_cursor });
      setMore({ items: [...more.items, ...page.items], cursor: page.next_cursor, error: null });
    } catch (e) {
      setMore({ ...more, error: e });
    }
  };

  const head = html`<h1 tabindex="-1">Deployments</h1>`;
  if (error) return html`${head}<${Problem} error=${error} />`;
  if (!data) return html`${head}<${Loading} what="Loading deployments" />`;
  const items = [...data.page.items, ...more.items];
  const cursor = more.cursor === undefined ? data.page.next_cursor : more.cursor;
  return html`${head}
    <${Filters} key=${search} q=${q} envs=${data.envs} />
    <${DeploysChart} envs=${data.envs} filter=${filter} />
    ${items.length === 0
      ? html`<p>No deployments match.</p>`
      : html`<div class="table-scroll"><table class="deployments">
        <caption class="sr">Deployments, newest first</caption>
        <thead><tr>
          <th scope="col">Deployment</th><th scope="col">Release</th><th scope="col">Environment</th>
          <th scope="col">Status</th><th scope="col">Strategy</th><th scope="col">Who</th>
          <th scope="col">Started</th><th scope="col">Duration</th><th scope="col">Pipeline</th>
        </tr></thead>
        <tbody>${items.map((d) => html`<tr key=${d.id}>
          <th scope="row"><a href=${`/deployments/${d.id}`}>#${d.id}</a></th>
          <td><a href=${releasePath(d.service, d.version)}>${d.service} ${d.version}</a></td>
          <td>${d.environment}${d.target ? ` / ${d.target}` : ''}</td>
          <td><${Status} status=${d.status} />${d.rollback_of ? html` <span class="meta">(rollback of #${d.rollback_of})</span>` : ''}</td>
          <td>${d.strategy}</td>
          <td>${d.deployer}</td>
          <td><${Time} at=${d.started_at || d.created_at} /></td>
          <td>${duration(d.duration_seconds)}</td>
          <td>${d.pipeline_url ? html`<a href=${d.pipeline_url} rel="noopener noreferrer">pipeline</a>` : '—'}</td>
        </tr>`)}</tbody>
      </table></div>`}
    <${Problem} error=${more.error} />
    ${cursor ? html`<button type="button" onClick=${next}>Show more deployments</button>` : ''}`;
}

function RollbackForm({ deployment, onDone }) {
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const made = await api.rollback(deployment.id, reason.trim());
      onDone(made);
    } catch (err) {
      setError(err);
    }
    setBusy(false);
  };
  return html`<form class="action" onSubmit=${submit}>
    <label>Reason for the rollback <input value=${reason} onInput=${(e) => setReason(e.currentTarget.value)} /></label>
    <button type="submit" class="danger" disabled=${busy}>Roll back</button>
    <${Problem} error=${error} />
  </form>`;
}

const ROLLBACKABLE = ['in_progress', 'succeeded', 'verified', 'failed', 'stalled'];

// Verdict words with an icon each: never colour alone.
const VERDICT = {
  pass: ['✓', 'pass'],
  fail: ['✕', 'fail'],
  unknown: ['?', 'unknown'],
  pending: ['…', 'not checked yet'],
};
const VERIFY_STATE = {
  running: ['⟳', 'Verifying'],
  verified: ['✔', 'Verified'],
  failed: ['✕', 'Verification failed'],
  incomplete: ['?', 'Verification could not be completed'],
};

function Verdict({ verdict }) {
  const [icon, text] = VERDICT[verdict] || ['•', verdict];
  return html`<span class=${`verdict verdict-${verdict}`}><span aria-hidden="true">${icon} </span>${text}</span>`;
}

// A criterion's last value: a probe's latency and status, a query's number.
function lastValue(c) {
  if (c.value === null || c.value === undefined) return '—';
  return c.kind === 'probe' ? `${c.value} ms (HTTP ${c.status})` : String(c.value);
}

// The deployment's verification as the server recorded it: each criterion
// with its last value beside its threshold, the outcome in the server's
// words and its recommendation. Nothing when the deployment has none.
function Verification({ id, status }) {
  const { data: v, error } = useLoad(
    () => api.verification(id).catch((e) => {
      if (e.status === 404) return null;
      throw e;
    }),
    [id, status],
  );
  if (v === null) return '';
  const head = html`<h2 id="h-verification">Verification</h2>`;
  if (error) return html`<section aria-labelledby="h-verification">${head}<${Problem} error=${error} /></section>`;
  if (!v) return html`<section aria-labelledby="h-verification">${head}<${Loading} what="Loading the verification" /></section>`;
  const [icon, words] = VERIFY_STATE[v.state] || ['•', v.state];
  const reco = v.recommendation;
  return html`<section aria-labelledby="h-verification" class="verification">${head}
    <p class=${`verify-state verify-${v.state}`}><strong><span aria-hidden="true">${icon} </span>${words}</strong>${' '}
      · ${v.rounds.length} of ${v.rounds_planned} rounds · from <${Time} at=${v.started_at} /> to <${Time} at=${v.ends_at} /></p>
    <div class="table-scroll"><table class="criteria">
      <caption class="sr">Criteria of the verification</caption>
      <thead><tr><th scope="col">Criterion</th><th scope="col">Threshold</th><th scope="col">Last value</th><th scope="col">Verdict</th><th scope="col">Why</th></tr></thead>
      <tbody>${v.criteria.map((c) => html`<tr key=${c.name}>
        <th scope="row">${c.name} <span class="meta">${c.kind}</span></th>
        <td>${c.threshold}</td>
        <td>${lastValue(c)}</td>
        <td><${Verdict} verdict=${c.verdict} /></td>
        <td class="reason">${c.reason || '—'}</td>
      </tr>`)}</tbody>
    </table></div>
    ${v.outcome ? html`<p class="verify-outcome"><strong>Outcome:</strong> <span class="prose">${v.outcome.reason}</span></p>` : ''}
    ${reco ? html`<p class="verify-recommendation"><strong>Recommended:</strong> roll back to${' '}
      <a href=${releasePath(v.service, reco.version)}>${v.service} ${reco.version}</a>${' '}
      (it ran there as <a href=${`/deployments/${reco.deployment_id}`}>deployment ${reco.deployment_id}</a>).</p>` : ''}
    ${v.rollback && v.rollback.deployment_id ? html`<p>Rolled back automatically: <a href=${`/deployments/${v.rollback.deployment_id}`}>deployment ${v.rollback.deployment_id}</a>.</p>` : ''}
    ${v.rollback && v.rollback.error ? html`<p>Not rolled back automatically: ${v.rollback.error}</p>` : ''}
  </section>`;
}

export function Deployment({ params, session }) {
  const [id] = params;
  const { data: d, error, reload } = useLoad(() => api.deployment(id), [id]);
  const head = html`<h1 tabindex="-1">Deployment ${id}</h1>`;
  // 410: archived, not missing. The record is in an archive file, its
  // audit entries still in the log; the problem names the archive.
  if (error && error.status === 410) {
    return html`${head}
      <p class="archived"><strong>Archived</strong>: this deployment was moved to archive ${error.problem && error.problem.archive} and
        is no longer in the live record; its audit entries remain in the log. An administrator can
        restore the archive.</p>
      <${Problem} error=${error} />`;
  }
  if (error) return html`${head}<${Problem} error=${error} />`;
  if (!d) return html`${head}<${Loading} what="Loading the deployment" />`;
  return html`${head}
    <p class="subtitle"><a href=${releasePath(d.service, d.version)}>${d.service} ${d.version}</a> to${' '}
      ${d.environment}${d.target ? ` / ${d.target}` : ''} · <${Status} status=${d.status} /></p>
    <dl class="fields">
      <div class="field"><dt>Strategy</dt><dd>${d.strategy}</dd></div>
      <div class="field"><dt>Who</dt><dd>${d.deployer}</dd></div>
      <div class="field"><dt>Created</dt><dd><${Time} at=${d.created_at} /></dd></div>
      <div class="field"><dt>Started</dt><dd><${Time} at=${d.started_at} /></dd></div>
      <div class="field"><dt>Finished</dt><dd><${Time} at=${d.finished_at} /></dd></div>
      <div class="field"><dt>Duration</dt><dd>${duration(d.duration_seconds)}</dd></div>
      <div class="field"><dt>Traffic</dt><dd>${d.traffic_percent ?? '—'}${d.traffic_percent !== null && d.traffic_percent !== undefined ? '%' : ''}</dd></div>
      <div class="field"><dt>Pipeline</dt><dd>${d.pipeline_url ? html`<a href=${d.pipeline_url} rel="noopener noreferrer">${d.pipeline_url}</a>` : '—'}</dd></div>
      ${d.rollback_of ? html`<div class="field"><dt>Rolls back</dt><dd><a href=${`/deployments/${d.rollback_of}`}>deployment ${d.rollback_of}</a></dd></div>` : ''}
      ${d.rolled_back_by ? html`<div class="field"><dt>Rolled back by</dt><dd><a href=${`/deployments/${d.rolled_back_by}`}>deployment ${d.rolled_back_by}</a></dd></div>` : ''}
    </dl>
    ${d.override ? html`<section class="warning" aria-labelledby="h-override"><h2 id="h-override">Gates overridden</h2>
      <p>by ${d.override.by}: ${d.override.reason}</p>
      <ul>${d.override.checks.map((c) => html`<li key=${c.check}><strong>${c.check}</strong>: ${c.detail}</li>`)}</ul>
    </section>` : ''}
    <${Verification} id=${id} status=${d.status} />
    <section aria-labelledby="h-timeline"><h2 id="h-timeline">Timeline</h2><${Timeline} events=${d.events || []} /></section>
    ${ROLLBACKABLE.includes(d.status) ? html`<section aria-labelledby="h-rollback"><h2 id="h-rollback">Rollback</h2>
      ${can(session, 'deploy')
        ? html`<p>Rolling back starts a deployment of the version that ran in ${d.environment} before this one.</p>
          <${RollbackForm} deployment=${d} onDone=${(made) => (made && made.id ? navigate(`/deployments/${made.id}`) : reload())} />`
        : html`<${NotAllowed} session=${session} action="deploy">Rolling back<//>`}
    </section>` : ''}`;
}
