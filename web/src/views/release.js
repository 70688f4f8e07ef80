// release.js - one release at /releases/:id (id or service@version): its
// record (metadata, artifacts, rollback plan, notes, known issues), and per
// environment what the gate says with every check, the approvals standing
// and still required, the checklist, and its deployments with their
// events; then its change request and its audit entries.
import { useState } from 'preact/hooks';
import * as api from '../api.js';
import { can, Gate, html, Loading, NotAllowed, Problem, Status, Time, useLoad } from '../ui.js';
import { DecisionForm } from './approvals.js';
import { Timeline } from './deployments.js';
import { ChangeList } from './audit.js';
import { ReleaseTimeline } from './timeline.js';
import { IncidentTable } from './incidents.js';

// The newest deployments whose events the page reads (one request each).
const TIMELINE_DEPLOYMENTS = 30;

// Answers value, or {error} when the read was refused, so one refused
// section does not blank the page.
const settle = (p) => p.catch((error) => ({ error }));

async function load(id, session) {
  const release = await api.release(id);
  const [envs, deployments, approvals, audit, change, incidents] = await Promise.all([
    api.environments(),
    api.allDeployments({ release: String(release.id) }),
    settle(api.approvals(release.id)),
    can(session, 'audit.read')
      ? settle(api.audit({ object_type: 'release', object_id: String(release.id), limit: 200 }))
      : null,
    release.change_request ? settle(api.changeRequest(release.change_request)) : null,
    settle(api.incidents({ release: String(release.id), limit: 100 })),
  ]);
  const timelines = await Promise.all(
    deployments.slice(0, TIMELINE_DEPLOYMENTS).map((d) => settle(api.deployment(d.id))),
  );
  const perEnv = await Promise.all(envs.map(async (e) => ({
    env: e,
    gate: await settle(api.gateCheck(release.id, e.name)),
    policy: await settle(api.policy(e.name)),
    checklist: await settle(api.checklist(release.id, e.name)),
  })));
  return { release, envs, deployments, timelines, approvals, audit, change, perEnv, incidents };
}

function Field({ name, children }) {
  return html`<div class="field"><dt>${name}</dt><dd>${children}</dd></div>`;
}

function Overview({ r }) {
  const tags = Object.entries(r.tags || {});
  return html`<dl class="fields">
    <${Field} name="Name">${r.name}<//>
    <${Field} name="Type">${r.type}<//>
    <${Field} name="Status"><${Status} status=${r.status} /><//>
    <${Field} name="Commit">${r.commit ? html`<code>${r.commit}</code>` : '—'}<//>
    <${Field} name="Git tag">${r.git_tag || '—'}<//>
    <${Field} name="Build">${r.build && r.build.url ? html`<a href=${r.build.url} rel="noopener noreferrer">${r.build.builder || r.build.url}</a>` : '—'}<//>
    <${Field} name="Created">by ${r.created_by} · <${Time} at=${r.created_at} /><//>
    <${Field} name="Tags">${tags.length ? tags.map(([k, v]) => html`<span class="tag" key=${k}>${k}=${v}</span> `) : '—'}<//>
    <${Field} name="Dependencies">${(r.dependencies || []).length
      ? r.dependencies.map((d) => html`<span class="tag" key=${d.service}>${d.service} ${d.range}</span> `)
      : 'none'}<//>
  </dl>
  ${(r.warnings || []).map((w) => html`<p class="warning"><span aria-hidden="true">⚠ </span>${w}</p>`)}`;
}

function Artifacts({ list }) {
  if (!list || !list.length) return html`<p>No artifacts recorded.</p>`;
  return html`<div class="table-scroll"><table>
    <thead><tr><th scope="col">Name</th><th scope="col">URI</th><th scope="col">SHA-256</th><th scope="col">Signature</th></tr></thead>
    <tbody>${list.map((a) => html`<tr key=${a.name}>
      <th scope="row">${a.name}</th><td class="wrap">${a.uri}</td>
      <td><code class="digest">${a.sha256}</code></td>
      <td>${a.signature ? 'signed' : 'none'}</td>
    </tr>`)}</tbody>
  </table></div>`;
}

function Text({ text, none }) {
  return text ? html`<p class="prose">${text}</p>` : html`<p>${none}</p>`;
}

// What the policy asks for, next to the decisions that stand for this
// environment; the gate's approvals check says what is still missing.
function ApprovalsFor({ env, policy, decisions, gate }) {
  const groups = policy && !policy.error ? policy.policy.approvals : [];
  const check = gate && gate.checks ? gate.checks.find((c) => c.name === 'approvals') : null;
  const mine = decisions.filter((a) => a.environment === env);
  return html`<div>
    <h4>Approvals</h4>
    <p>${groups.length
      ? `Required: ${groups.map((g) => `${g.count} from ${g.group}`).join(', ')}.`
      : 'This environment requires no approvals.'}
      ${check && !check.passed ? html` <strong>Still required:</strong> ${check.detail}` : ''}</p>
    ${mine.length ? html`<${Decisions} list=${mine} />` : ''}
  </div>`;
}

function Decisions({ list }) {
  return html`<div class="table-scroll"><table>
    <thead><tr><th scope="col">Who</th><th scope="col">Decision</th><th scope="col">Environment</th><th scope="col">Group</th><th scope="col">When</th><th scope="col">Comment</th><th scope="col">Standing</th></tr></thead>
    <tbody>${list.map((a) => html`<tr key=${a.id}>
      <th scope="row">${a.approver}</th>
      <td>${a.decision === 'approve' ? '✓ approved' : '✕ rejected'}</td>
      <td>${a.environment}</td><td>${a.group || '—'}</td>
      <td><${Time} at=${a.at} /></td>
      <td class="prose">${a.comment || ''}</td>
      <td>${a.withdrawn_at ? html`withdrawn <${Time} at=${a.withdrawn_at} />`
        : a.voided_at ? `void: ${a.void_reason}`
        : a.expires_at && new Date(a.expires_at) < new Date() ? 'expired' : 'stands'}</td>
    </tr>`)}</tbody>
  </table></div>`;
}

function Checklist({ release, env, list, session, reload }) {
  const [evidence, setEvidence] = useState({});
  const [error, setError] = useState(null);
  if (!list || list.error || !list.items.length) return null;
  const allowed = can(session, 'checklist.complete');
  const done = async (item) => {
    setError(null);
    try {
      await api.completeItem(release.id, { environment: env, item, ...(evidence[item] ? { evidence: evidence[item] } : {}) });
      reload();
    } catch (e) {
      setError(e);
    }
  };
  return html`<div>
    <h4>Checklist</h4>
    <ul class="checklist">${list.items.map((it) => html`<li key=${it.item}>
      ${it.done
        ? html`<span><span aria-hidden="true">☑ </span>${it.item}: done by ${it.done.by}, <${Time} at=${it.done.at} />${it.done.evidence
          ? html` · <a href=${it.done.evidence} rel="noopener noreferrer">evidence</a>` : ''}</span>`
        : html`<span><span aria-hidden="true">☐ </span>${it.item}: open</span>
          ${allowed ? html`<span class="inline-form">
            <label>Evidence link for ${it.item} <input type="url" value=${evidence[it.item] || ''}
              onInput=${(e) => setEvidence({ ...evidence, [it.item]: e.currentTarget.value })} /></label>
            <button type="button" onClick=${() => done(it.item)}>Mark “${it.item}” done</button></span>` : ''}`}
    </li>`)}</ul>
    ${!allowed && list.items.some((i) => !i.done) ? html`<${NotAllowed} session=${session} action="checklist.complete">Completing items<//>` : ''}
    <${Problem} error=${error} />
  </div>`;
}

function Environment({ data, release, decisions, deployments, timelines, session, reload }) {
  const { env, gate, policy, checklist } = data;
  const here = deployments.filter((d) => d.environment === env.name);
  const needsApprovals = policy && !policy.error && policy.policy.approvals.length > 0;
  return html`<section class="env-card" aria-labelledby=${`env-${env.name}`}>
    <h3 id=${`env-${env.name}`}>${env.name}${env.protected ? html` <span class="tag">protected</span>` : ''}</h3>
    <h4>Gate</h4>
    ${gate.error ? html`<${Problem} error=${gate.error} />` : html`<${Gate} gate=${gate} label=${`Gate for ${env.name}`} />`}
    <${ApprovalsFor} env=${env.name} policy=${policy} decisions=${decisions} gate=${gate} />
    ${needsApprovals && can(session, 'approve') && !['released', 'cancelled'].includes(release.status)
      ? html`<${DecisionForm} release=${release} environment=${env.name} onDone=${reload} />` : ''}
    <${Checklist} release=${release} env=${env.name} list=${checklist} session=${session} reload=${reload} />
    <h4>Deployments</h4>
    ${here.length
      ? html`<ol class="deploy-list">${here.map((d) => {
        const t = timelines.find((x) => x && x.id === d.id);
        return html`<li key=${d.id}>
          <p><a href=${`/deployments/${d.id}`}>Deployment ${d.id}</a>${d.target ? ` to ${d.target}` : ''} · ${d.strategy} ·
            <${Status} status=${d.status} /> · by ${d.deployer} · <${Time} at=${d.created_at} /></p>
          ${t ? html`<${Timeline} events=${t.events || []} />` : ''}
        </li>`;
      })}</ol>`
      : html`<p>Not deployed here.</p>`}
  </section>`;
}

function ChangeRequest({ keyName, change }) {
  if (!keyName) return html`<p>The release names no change request.</p>`;
  if (change.error) {
    return change.error.status === 404
      ? html`<p>The release names <strong>${keyName}</strong>, which is not known to shiplog.</p>`
      : html`<${Problem} error=${change.error} />`;
  }
  return html`<dl class="fields">
    <${Field} name="Key">${change.url ? html`<a href=${change.url} rel="noopener noreferrer">${change.key}</a>` : change.key}<//>
    <${Field} name="System">${change.system || '—'}<//>
    <${Field} name="Class">${change.class}<//>
    <${Field} name="Risk">${change.risk || '—'}<//>
    <${Field} name="State">${change.state}<//>
    <${Field} name="Window">${change.window_start ? html`<${Time} at=${change.window_start} /> to <${Time} at=${change.window_end} />` : 'none'}<//>
  </dl>`;
}

function AuditEntries({ audit, session }) {
  if (audit === null) return html`<${NotAllowed} session=${session} action="audit.read">Reading the audit log<//>`;
  if (audit.error) return html`<${Problem} error=${audit.error} />`;
  if (!audit.items.length) return html`<p>No entries.</p>`;
  return html`<ol class="audit-list">${audit.items.map((e) => html`<li key=${e.seq}>
    <p><strong>${e.action}</strong> by ${e.actor} · <${Time} at=${e.at} /> · entry ${e.seq}</p>
    <${ChangeList} change=${e.change} before=${e.before} after=${e.after} />
  </li>`)}</ol>`;
}

export function Release({ params, session }) {
  const [id] = params;
  const { data, error, loading, reload } = useLoad(() => load(id, session), [id]);
  if (error) return html`<h1 tabindex="-1">Release ${id}</h1><${Problem} error=${error} />`;
  if (!data) return html`<h1 tabindex="-1">Release ${id}</h1><${Loading} what="Loading the release" />`;
  const { release: r, envs, deployments, timelines, approvals, audit, change, perEnv, incidents } = data;
  const decisions = approvals.error ? [] : approvals.items || [];
  return html`
    <h1 tabindex="-1">${r.service} ${r.version}</h1>
    <p class="subtitle"><${Status} status=${r.status} /> · ${r.type} release of${' '}
      <a href=${`/deployments?service=${encodeURIComponent(r.service)}`}>${r.service}</a>
      ${loading ? html` · <span role="status">refreshing…</span>` : ''}</p>
    <section aria-labelledby="h-overview"><h2 id="h-overview">Overview</h2><${Overview} r=${r} /></section>
    <section aria-labelledby="h-artifacts"><h2 id="h-artifacts">Artifacts</h2><${Artifacts} list=${r.artifacts} /></section>
    <section aria-labelledby="h-rollback"><h2 id="h-rollback">Rollback plan</h2>
      ${r.rollback
        ? html`<dl class="fields">
          <${Field} name="Target version">${r.rollback.target_version || '—'}<//>
          <${Field} name="Criteria"><span class="prose">${r.rollback.criteria || '—'}</span><//>
          <${Field} name="Procedure"><span class="prose">${r.rollback.procedure || '—'}</span><//>
        </dl>`
        : html`<p>No rollback plan recorded: a rollback goes back to what ran before.</p>`}
    </section>
    <section aria-labelledby="h-notes"><h2 id="h-notes">Notes</h2><${Text} text=${r.notes} none="No notes." /></section>
    <section aria-labelledby="h-issues"><h2 id="h-issues">Known issues</h2><${Text} text=${r.known_issues} none="None recorded." />
      <h3 id="h-known-incidents">Known incidents</h3>
      ${incidents.error ? html`<${Problem} error=${incidents.error} />`
        : incidents.items.length ? html`<${IncidentTable} items=${incidents.items} caption="Incidents that are known issues of this release" />`
          : html`<p>No incident is attached to this release.</p>`}
    </section>
    <section aria-labelledby="h-timeline"><h2 id="h-timeline">Timeline</h2>
      <${ReleaseTimeline} envs=${envs} deployments=${deployments.filter((d) => timelines.some((t) => !t.error && t.id === d.id))}
        timelines=${timelines.filter((t) => !t.error)} />
      ${deployments.length > TIMELINE_DEPLOYMENTS ? html`<p class="hint">The newest ${TIMELINE_DEPLOYMENTS} of ${deployments.length} deployments are drawn.</p>` : ''}
    </section>
    <section aria-labelledby="h-envs"><h2 id="h-envs">Environments</h2>
      <div class="env-grid">${perEnv.map((p) => html`<${Environment} key=${p.env.name} data=${p} release=${r}
        decisions=${decisions} deployments=${deployments} timelines=${timelines.filter((t) => !t.error)}
        session=${session} reload=${reload} />`)}</div>
    </section>
    <section aria-labelledby="h-approvals"><h2 id="h-approvals">All decisions</h2>
      ${approvals.error ? html`<${Problem} error=${approvals.error} />`
        : decisions.length ? html`<${Decisions} list=${decisions} />` : html`<p>No approvals or rejections yet.</p>`}
    </section>
    <section aria-labelledby="h-change"><h2 id="h-change">Change request</h2><${ChangeRequest} keyName=${r.change_request} change=${change} /></section>
    <section aria-labelledby="h-audit"><h2 id="h-audit">Audit entries</h2><${AuditEntries} audit=${audit} session=${session} /></section>`;
}
