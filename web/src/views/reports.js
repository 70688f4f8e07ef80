// reports.js - /reports: the compliance reports an auditor asks for. Pick
// a report and a period (and an environment or service), see it, download
// it as CSV or JSON, open the printable page the server renders, or print
// this one (reports.css holds its print styles). The server decides every
// exception, evidence and gap; the page shows its words.
import { useState } from 'preact/hooks';
import * as api from '../api.js';
import { can, html, Loading, navigate, NotAllowed, Problem, Time, toLocal, toUtc, useLoad, queryOf } from '../ui.js';

const READ = 'audit.read';

const TITLES = {
  change: 'Change report',
  exceptions: 'Exceptions',
  controls: 'Controls',
  access: 'Access review',
};

// How the gate ran at the start, in words.
const GATES = {
  passed: '✓ gates passed',
  overridden: '⚑ overridden',
  not_gated_webhook: '– not gated (webhook)',
  not_gated_import: '– not gated (import)',
};

// A control's status with an icon, never by colour alone.
const CONTROL = {
  evidenced: ['✓', 'evidenced'],
  gap: ['✕', 'gap'],
  no_changes: ['–', 'no changes in the period'],
};

const FIELDS = ['kind', 'from', 'to', 'environment', 'service'];

// The report's own parameters from the page's query.
function paramsOf(q) {
  const p = {};
  for (const k of ['from', 'to', 'environment', 'service']) if (q[k]) p[k] = q[k];
  return p;
}

function Filters({ q }) {
  const [form, setForm] = useState({ ...q, kind: q.kind || 'change', from: toLocal(q.from), to: toLocal(q.to) });
  const set = (k) => (e) => setForm({ ...form, [k]: e.currentTarget.value });
  const submit = (e) => {
    e.preventDefault();
    const out = new URLSearchParams();
    for (const k of FIELDS) {
      const v = k === 'from' || k === 'to' ? toUtc(form[k]) : String(form[k] || '').trim();
      if (v) out.set(k, v);
    }
    navigate(`/reports?${out}`);
  };
  return html`<form class="filters report-filters" role="search" aria-label="Choose a report" onSubmit=${submit}>
    <label>Report <select value=${form.kind} onChange=${set('kind')}>
      ${api.REPORT_KINDS.map((k) => html`<option key=${k} value=${k}>${TITLES[k]}</option>`)}
    </select></label>
    <label>From <input type="datetime-local" value=${form.from || ''} onInput=${set('from')} /></label>
    <label>Before <input type="datetime-local" value=${form.to || ''} onInput=${set('to')} /></label>
    <label>Environment <input value=${form.environment || ''} onInput=${set('environment')} placeholder="every production one" /></label>
    <label>Service <input value=${form.service || ''} onInput=${set('service')} placeholder="every service" /></label>
    <div class="buttons"><button type="submit">Show report</button></div>
  </form>`;
}

const List = ({ items, none = '—' }) => (items && items.length ? items.join(', ') : none);

function ChangeTable({ doc }) {
  if (!doc.items.length) return html`<p>No production change in this period.</p>`;
  return html`<div class="table-scroll"><table class="report-table">
    <caption>Production changes, oldest first (audit log of ${doc.tree_size} entries)</caption>
    <thead><tr>
      <th scope="col">Deployment</th><th scope="col">Release</th><th scope="col">Environment</th>
      <th scope="col">Deployer</th><th scope="col">Started</th><th scope="col">Gate at start</th>
      <th scope="col">Approvals</th><th scope="col">Change request</th><th scope="col">Checklist</th>
      <th scope="col">Verification</th><th scope="col">Incidents</th><th scope="col">Audit entries</th>
    </tr></thead>
    <tbody>${doc.items.map((r) => html`<tr key=${r.deployment_id}>
      <th scope="row"><a href=${`/deployments/${r.deployment_id}`}>#${r.deployment_id}</a></th>
      <td>${r.service}@${r.version}</td>
      <td>${r.environment}</td>
      <td>${r.deployer}</td>
      <td><${Time} at=${r.started_at} /></td>
      <td>${GATES[r.gate] || r.gate}${r.review ? html`<br /><span class="meta">review ${r.review.closed_at ? 'closed' : 'open'}</span>` : ''}</td>
      <td><${List} items=${r.approvals.map((a) => `${a.approver} (${a.group || 'no group'}, ${a.decision})`)} /></td>
      <td>${r.change_request ? `${r.change_request.key} · ${r.change_request.class || '?'} · ${r.change_request.state || 'unknown'}` : '—'}</td>
      <td><${List} items=${r.checklist.map((c) => (c.evidence ? `${c.item}: ${c.evidence}` : c.item))} /></td>
      <td>${r.verification || '—'}</td>
      <td><${List} items=${r.incidents} /></td>
      <td class="seqs">${r.audit.map((a) => a.seq).join(' ')}</td>
    </tr>`)}</tbody>
  </table></div>`;
}

function ExceptionsTables({ doc }) {
  return html`<section aria-labelledby="h-sod"><h2 id="h-sod">Segregation of duties</h2>
      <div class="table-scroll"><table class="report-table">
        <caption class="sr">Segregation checks</caption>
        <thead><tr><th scope="col">Check</th><th scope="col">Changes checked</th><th scope="col">Policy enforced on</th><th scope="col">Findings</th></tr></thead>
        <tbody>${doc.segregation.map((s) => html`<tr key=${s.check}>
          <th scope="row">${s.check}</th><td>${s.changes_checked}</td><td>${s.policy_enforced}</td>
          <td>${s.findings ? `✕ ${s.findings}` : '✓ 0'}</td>
        </tr>`)}</tbody>
      </table></div></section>
    <section aria-labelledby="h-exc"><h2 id="h-exc">Exceptions (${doc.items.length} in ${doc.changes_checked} changes)</h2>
      ${doc.items.length
        ? html`<div class="table-scroll"><table class="report-table">
          <caption class="sr">Exceptions</caption>
          <thead><tr><th scope="col">Deployment</th><th scope="col">Release</th><th scope="col">Started</th><th scope="col">Exception</th><th scope="col">Detail</th></tr></thead>
          <tbody>${doc.items.map((e, i) => html`<tr key=${i}>
            <th scope="row"><a href=${`/deployments/${e.deployment_id}`}>#${e.deployment_id}</a></th>
            <td>${e.service}@${e.version}</td><td><${Time} at=${e.started_at} /></td>
            <td>${e.kind}</td><td>${e.detail}</td>
          </tr>`)}</tbody>
        </table></div>`
        : html`<p>No exception in this period.</p>`}
    </section>`;
}

function ControlsTable({ doc }) {
  return html`<p>Mapping version ${doc.mapping_version}; ${doc.changes} production changes in the period.</p>
    <div class="table-scroll"><table class="report-table">
    <caption class="sr">Controls</caption>
    <thead><tr><th scope="col">Control</th><th scope="col">Framework</th><th scope="col">Title</th><th scope="col">Status</th><th scope="col">Evidence</th><th scope="col">Gaps</th></tr></thead>
    <tbody>${doc.controls.map((c) => {
      const [icon, word] = CONTROL[c.status] || ['•', c.status];
      return html`<tr key=${c.id}>
        <th scope="row">${c.id}</th><td>${c.framework}</td><td>${c.title}</td>
        <td class=${`control control-${c.status}`}><span aria-hidden="true">${icon} </span>${word}</td>
        <td><ul class="plain">${c.evidence.map((e) => html`<li key=${e.evidence}>${e.evidence}: ${e.changes_with} of ${e.changes_with + e.changes_without}</li>`)}</ul></td>
        <td>${c.gaps.length
          ? html`<ul class="plain">${c.gaps.map((g) => html`<li key=${g.evidence}>${g.evidence}: ${g.deployments.map((id, i) => html`${i ? ', ' : ''}<a href=${`/deployments/${id}`}>#${id}</a>`)}</li>`)}</ul>`
          : '—'}</td>
      </tr>`;
    })}</tbody>
  </table></div>`;
}

function AccessTable({ doc }) {
  const scope = (s) => (s && typeof s === 'object' ? Object.entries(s).filter(([, v]) => v && v.length).map(([k, v]) => `${k}: ${[].concat(v).join(', ')}`).join('; ') || 'everything' : 'everything');
  return html`<div class="table-scroll"><table class="report-table">
    <caption class="sr">Tokens and grants</caption>
    <thead><tr><th scope="col">Holder</th><th scope="col">Kind</th><th scope="col">Role</th><th scope="col">Scope</th><th scope="col">Granted by</th><th scope="col">Granted</th><th scope="col">Expires</th><th scope="col">Last used</th><th scope="col">Flags</th></tr></thead>
    <tbody>${doc.items.map((i) => html`<tr key=${`${i.kind}-${i.id}`}>
      <th scope="row">${i.holder}</th><td>${i.kind} #${i.id}</td><td>${i.role}</td><td>${scope(i.scope)}</td>
      <td>${i.granted_by || '—'}</td><td><${Time} at=${i.granted_at} /></td><td><${Time} at=${i.expires_at} /></td>
      <td><${Time} at=${i.last_used_at} /></td><td>${i.flags.length ? `⚠ ${i.flags.join(', ')}` : '—'}</td>
    </tr>`)}</tbody>
  </table></div>`;
}

const BODIES = { change: ChangeTable, exceptions: ExceptionsTables, controls: ControlsTable, access: AccessTable };

function Report({ kind, params }) {
  const key = JSON.stringify([kind, params]);
  const { data, error } = useLoad(() => api.report(kind, params), [key]);
  if (error) return html`<${Problem} error=${error} />`;
  if (!data) return html`<${Loading} what="Reading the record" />`;
  const Body = BODIES[kind];
  return html`<section aria-labelledby="h-report" class="report">
    <h2 id="h-report">${TITLES[kind]}</h2>
    <p class="report-period">
      ${data.from ? html`From <${Time} at=${data.from} /> to <${Time} at=${data.to} />; ` : ''}
      ${data.environment || 'every production environment'}; ${data.service || 'every service'}.
      Generated <${Time} at=${data.generated_at} />.
    </p>
    <p class="report-actions">
      <a href=${api.reportUrl(kind, params, 'csv')} download=${`${kind}.csv`}>Download CSV</a>
      <a href=${api.reportUrl(kind, params, 'json')} download=${`${kind}.json`}>Download JSON</a>
      <a href=${api.reportUrl(kind, params, 'html')} target="_blank" rel="noopener">Printable page</a>
      <button type="button" onClick=${() => window.print()}>Print</button>
    </p>
    <${Body} doc=${data} />
  </section>`;
}

export function Reports({ session, search }) {
  const q = queryOf(search);
  const kind = api.REPORT_KINDS.includes(q.kind) ? q.kind : null;
  const params = paramsOf(q);
  const ready = kind === 'access' || (kind && params.from && params.to);
  return html`<h1 tabindex="-1">Reports</h1>
    <p class="subtitle">Every production change of a period with its evidence, the exceptions, the controls an
      auditor tests and who holds which access — from the record itself.</p>
    ${can(session, READ)
      ? html`<${Filters} key=${search} q=${q} />
        ${ready ? html`<${Report} kind=${kind} params=${params} />` : html`<p>Pick a report and a period.</p>`}`
      : html`<${NotAllowed} session=${session} action=${READ}>Reading reports</${NotAllowed}>`}`;
}
