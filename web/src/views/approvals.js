// approvals.js - the approvals inbox at /approvals: what waits for the
// signed-in person's groups (GET /v1/approvals/pending), oldest release
// first, each with the gate's verdict for context, and approve or reject
// with a comment. The server enforces segregation of duties; its refusal
// is shown in its own words.
import { useState } from 'preact/hooks';
import * as api from '../api.js';
import { can, Gate, html, Loading, NotAllowed, Problem, releasePath, Time, useLoad } from '../ui.js';

// Approve or reject one release for one environment (and group).
export function DecisionForm({ release, environment, group, onDone }) {
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const what = `${release.service} ${release.version} for ${environment}`;
  const decide = async (decision) => {
    setBusy(true);
    setError(null);
    try {
      const body = { environment, decision, ...(comment.trim() ? { comment: comment.trim() } : {}), ...(group ? { group } : {}) };
      const made = await api.decide(release.id, body);
      setComment('');
      onDone(made);
    } catch (e) {
      setError(e);
    }
    setBusy(false);
  };
  const id = `comment-${release.id}-${environment}-${group || ''}`;
  return html`<form class="action decision" onSubmit=${(e) => e.preventDefault()}>
    <label for=${id}>Comment on ${what}${group ? ` (${group})` : ''}</label>
    <textarea id=${id} rows="2" value=${comment} onInput=${(e) => setComment(e.currentTarget.value)}></textarea>
    <div class="buttons">
      <button type="button" disabled=${busy} onClick=${() => decide('approve')}>Approve</button>
      <button type="button" class="danger" disabled=${busy} onClick=${() => decide('reject')}>Reject</button>
    </div>
    <${Problem} error=${error} />
  </form>`;
}

async function load() {
  const pending = (await api.pendingApprovals()).items;
  const ids = [...new Set(pending.map((p) => p.release_id))];
  const releases = new Map(await Promise.all(ids.map(async (id) => [id, await api.release(id)])));
  const gates = new Map(await Promise.all(
    [...new Set(pending.map((p) => `${p.release_id} ${p.environment}`))].map(async (k) => {
      const [id, env] = k.split(' ');
      return [k, await api.gateCheck(Number(id), env).catch((error) => ({ error }))];
    }),
  ));
  const items = pending
    .map((p) => ({ ...p, rel: releases.get(p.release_id), gate: gates.get(`${p.release_id} ${p.environment}`) }))
    .sort((a, b) => a.rel.created_at.localeCompare(b.rel.created_at) || a.environment.localeCompare(b.environment));
  return items;
}

function GateOf({ gate, label }) {
  return gate.error ? html`<${Problem} error=${gate.error} />` : html`<${Gate} gate=${gate} label=${label} />`;
}

function Inbox({ session }) {
  const { data, error, reload } = useLoad(load, []);
  // Decisions made here, each with the gate as it reads afterwards.
  const [done, setDone] = useState([]);

  const decided = async (item, approval) => {
    const gate = await api.gateCheck(item.release_id, item.environment).catch((e) => ({ error: e }));
    setDone((list) => [{ item, approval, gate }, ...list]);
    reload();
  };

  if (error) return html`<${Problem} error=${error} />`;
  if (!data) return html`<${Loading} what="Loading what waits for you" />`;
  const groups = (session.actor.scope && session.actor.scope.groups) || [];
  return html`
    ${done.length ? html`<section aria-labelledby="h-done"><h2 id="h-done">Your decisions</h2>
      ${done.map(({ item, approval, gate }) => html`<article class="card" key=${approval.id}>
        <p role="status">You ${approval.decision === 'approve' ? 'approved' : 'rejected'}
          <a href=${releasePath(item.rel.service, item.rel.version)}>${item.rel.service} ${item.rel.version}</a>
          for ${approval.environment}${approval.group ? ` (${approval.group})` : ''}.</p>
        <h3>The gate for ${approval.environment} now</h3>
        <${GateOf} gate=${gate} label=${`Gate for ${item.rel.service} ${item.rel.version} in ${approval.environment} after your decision`} />
      </article>`)}
    </section>` : ''}
    <section aria-labelledby="h-waiting"><h2 id="h-waiting">Waiting for ${groups.length ? `your groups (${groups.join(', ')})` : 'you'}</h2>
    ${data.length === 0
      ? html`<p>Nothing waits for your approval.${groups.length ? '' : ' Your token belongs to no approval group; an admin names groups when minting a token.'}</p>`
      : data.map((it) => html`<article class="card" key=${`${it.release_id}-${it.environment}-${it.group}`}
          aria-labelledby=${`h-p-${it.release_id}-${it.environment}-${it.group}`}>
        <h3 id=${`h-p-${it.release_id}-${it.environment}-${it.group}`}>
          <a href=${releasePath(it.rel.service, it.rel.version)}>${it.rel.service} ${it.rel.version}</a> to ${it.environment}
        </h3>
        <p>${it.rel.type} release by ${it.rel.created_by}, <${Time} at=${it.rel.created_at} /> ·
          group <strong>${it.group}</strong>: ${it.have} of ${it.required} approvals</p>
        <details open>
          <summary>Gate context</summary>
          <${GateOf} gate=${it.gate} label=${`Gate for ${it.rel.service} ${it.rel.version} in ${it.environment}`} />
        </details>
        <${DecisionForm} release=${it.rel} environment=${it.environment} group=${it.group} onDone=${(a) => decided(it, a)} />
      </article>`)}
    </section>`;
}

export function Approvals({ session }) {
  return html`<h1 tabindex="-1">Approvals</h1>
    ${can(session, 'approve')
      ? html`<${Inbox} session=${session} />`
      : html`<${NotAllowed} session=${session} action="approve">Approving or rejecting releases<//>`}`;
}
