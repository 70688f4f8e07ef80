// receivers.js - inbound webhook receivers: the list at /receivers, with
// the form a token admin creates or replaces one with, and one receiver at
// /receivers/:name: its settings, what to configure at the sender, and its
// deliveries newest first, kept live by the stream, each replayable by a
// token admin.
import { useEffect, useRef, useState } from 'preact/hooks';
import * as api from '../api.js';
import { can, html, Loading, NotAllowed, Problem, Time, useLoad } from '../ui.js';

const ADMIN = 'token.admin';

// What came of a delivery, each with an icon, so the outcome never rests
// on colour alone.
const OUTCOMES = {
  applied: '✓',
  ignored: '•',
  unmatched: '?',
  failed: '✕',
};

// The address a sender is given: the server names the path, the page
// adds the origin it is served from.
const hookUrl = (doc) => location.origin + doc.url;

// A mapping as the lines the form edits: one "theirs=ours" a line.
const toLines = (map) => Object.entries(map || {}).map(([k, v]) => `${k}=${v}`).join('\n');

// The "theirs=ours" lines of a textarea as a mapping. A line without "="
// cannot be read as a mapping at all, so it is refused here, naming the
// line; what the names may be is the server's to say.
function fromLines(text, label) {
  const map = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line) continue;
    const at = line.indexOf('=');
    if (at < 0) {
      const err = new Error(`${label}, line ${i + 1} ("${line}"): write it as theirs=ours`);
      err.problem = { title: 'The mapping cannot be read' };
      throw err;
    }
    map[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  return map;
}

// The sender's events as typed: separated by commas or spaces.
const toEvents = (text) => text.split(/[\s,]+/).filter(Boolean);

// One outcome word with its icon.
export function Outcome({ outcome }) {
  return html`<span class=${`outcome outcome-${outcome}`}><span aria-hidden="true">${OUTCOMES[outcome] || '•'} </span>${outcome}</span>`;
}

// A mapping shown as "theirs → ours" lines; empty says what the server
// does without one.
function Mapping({ map, none }) {
  const rows = Object.entries(map || {});
  if (!rows.length) return html`<span class="meta">${none}</span>`;
  return html`<ul class="mapping">${rows.map(([theirs, ours]) => html`<li key=${theirs}>
    <code>${theirs}</code> <span aria-hidden="true">→</span><span class="sr">maps to</span> ${ours}
  </li>`)}</ul>`;
}

const NO_SERVICES = 'none: a repository matches the service whose repo URL ends in it';
const NO_ENVIRONMENTS = 'none: environment names are taken as sent';

// The form that creates a receiver or replaces one (PUT is both); initial
// holds the settings of the receiver being edited, never its secret.
function ReceiverForm({ sources, initial, onSaved }) {
  const [form, setForm] = useState(() => ({
    name: initial ? initial.name : '',
    source: initial ? initial.source : sources[0] || '',
    secret: '',
    services: initial ? toLines(initial.services) : '',
    environments: initial ? toLines(initial.environments) : '',
    events: initial ? (initial.events || []).join(', ') : '',
    create_releases: initial ? Boolean(initial.create_releases) : false,
  }));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const secret = useRef(null);
  const set = (k) => (e) => setForm({ ...form, [k]: e.currentTarget.type === 'checkbox' ? e.currentTarget.checked : e.currentTarget.value });

  // Editing starts where the one thing not filled in is: the secret.
  useEffect(() => {
    if (initial && secret.current) secret.current.focus();
  }, []);

  const submit = async (e) => {
    e.preventDefault();
    setError(null);
    let doc;
    try {
      doc = { source: form.source, secret: form.secret, create_releases: form.create_releases };
      const services = fromLines(form.services, 'Services');
      const environments = fromLines(form.environments, 'Environments');
      const events = toEvents(form.events);
      if (Object.keys(services).length) doc.services = services;
      if (Object.keys(environments).length) doc.environments = environments;
      if (events.length) doc.events = events;
    } catch (err) {
      setError(err);
      return;
    }
    setBusy(true);
    try {
      const saved = await api.putReceiver(form.name.trim(), doc);
      setForm({ ...form, secret: '' });
      onSaved(saved);
    } catch (err) {
      setError(err);
    }
    setBusy(false);
  };

  return html`<form class="receiver-form" aria-labelledby="h-form" onSubmit=${submit}>
    <label>Name <input value=${form.name} onInput=${set('name')} required autocomplete="off" spellcheck=${false} /></label>
    <label>Source <select value=${form.source} onChange=${set('source')}>
      ${sources.map((s) => html`<option key=${s} value=${s}>${s}</option>`)}
    </select></label>
    <label>Secret <input type="password" ref=${secret} value=${form.secret} onInput=${set('secret')} required autocomplete="new-password" />
      <span class="hint">Never shown again; replacing a receiver takes it anew.</span></label>
    <label class="wide">Services (theirs=ours, one a line)
      <textarea rows="3" value=${form.services} onInput=${set('services')} spellcheck=${false} placeholder="Octo/App=payments"></textarea>
      <span class="hint">The sender's repository, project or job = the shiplog service.</span></label>
    <label class="wide">Environments (theirs=ours, one a line)
      <textarea rows="3" value=${form.environments} onInput=${set('environments')} spellcheck=${false} placeholder="production=prod"></textarea></label>
    <label class="wide">Events (separated by commas; none: every event shiplog reads)
      <input value=${form.events} onInput=${set('events')} spellcheck=${false} /></label>
    <label class="check-label"><input type="checkbox" checked=${form.create_releases} onChange=${set('create_releases')} /> Create releases from SemVer tags no release has</label>
    <div class="buttons"><button type="submit" disabled=${busy}>Save receiver</button></div>
    <${Problem} error=${error} />
  </form>`;
}

// /receivers: every receiver, and for a token admin the form.
export function Receivers({ session }) {
  const admin = can(session, ADMIN);
  const { data, error, reload } = useLoad(() => api.receivers(), []);
  const sources = useLoad(() => (admin ? api.receiverSources() : null), [admin]);
  const [editing, setEditing] = useState(null);
  const [said, setSaid] = useState('');

  const saved = (doc) => {
    setSaid(`Receiver ${doc.name} ${doc.revision === 1 ? 'created' : `replaced (revision ${doc.revision})`}.`);
    setEditing(null);
    reload();
  };
  const edit = (r) => {
    setSaid('');
    setEditing(r);
    document.getElementById('h-form').scrollIntoView();
  };

  const head = html`<h1 tabindex="-1">Receivers</h1>
    <p class="subtitle">Inbound webhooks: senders (GitHub, GitLab, Argo CD, …) that tell shiplog what they deployed.</p>`;
  if (error) return html`${head}<${Problem} error=${error} />`;
  if (!data) return html`${head}<${Loading} what="Loading the receivers" />`;
  return html`${head}
    ${data.length === 0
      ? html`<p>No receivers yet.</p>`
      : html`<div class="table-scroll"><table class="receivers">
        <caption class="sr">Receivers</caption>
        <thead><tr>
          <th scope="col">Receiver</th><th scope="col">Source</th><th scope="col">URL for the sender</th>
          <th scope="col">Services</th><th scope="col">Environments</th><th scope="col">Secret fingerprint</th>
          ${admin ? html`<th scope="col"><span class="sr">Actions</span></th>` : ''}
        </tr></thead>
        <tbody>${data.map((r) => html`<tr key=${r.name}>
          <th scope="row"><a href=${`/receivers/${encodeURIComponent(r.name)}`}>${r.name}</a></th>
          <td>${r.source}</td>
          <td><code>${hookUrl(r)}</code></td>
          <td><${Mapping} map=${r.services} none="none" /></td>
          <td><${Mapping} map=${r.environments} none="none" /></td>
          <td><code>${r.secret_fingerprint}</code></td>
          ${admin ? html`<td><button type="button" class="secondary" aria-label=${`Edit receiver ${r.name}`} onClick=${() => edit(r)}>Edit</button></td>` : ''}
        </tr>`)}</tbody>
      </table></div>`}
    <p role="status" class="said">${said}</p>
    <section aria-labelledby="h-form">
      <h2 id="h-form" tabindex="-1">${editing ? `Replace receiver ${editing.name}` : 'Create or replace a receiver'}</h2>
      ${!admin
        ? html`<${NotAllowed} session=${session} action=${ADMIN}>Configuring receivers<//>`
        : sources.error
          ? html`<${Problem} error=${sources.error} />`
          : !sources.data
            ? html`<${Loading} what="Loading the sources" />`
            : html`${editing ? html`<p class="hint">Saving replaces every setting of ${editing.name}.
                <button type="button" class="secondary" onClick=${() => setEditing(null)}>Start a new one instead</button></p>` : ''}
              <${ReceiverForm} key=${editing ? `${editing.name}@${editing.revision}` : 'new'}
                sources=${sources.data} initial=${editing} onSaved=${saved} />`}
    </section>`;
}

// What to set at the sender so its deliveries arrive and are believed.
function AtTheSender({ rec }) {
  const url = hookUrl(rec);
  if (rec.source === 'github') {
    return html`<p>In the repository's (or organisation's) Settings → Webhooks → Add webhook:</p>
      <dl class="fields sender">
        <div class="field"><dt>Payload URL</dt><dd><code>${url}</code></dd></div>
        <div class="field"><dt>Content type</dt><dd><code>application/json</code></dd></div>
        <div class="field"><dt>Secret</dt><dd>the one you set (its fingerprint here is <code>${rec.secret_fingerprint}</code>)</dd></div>
        <div class="field"><dt>Events</dt><dd>Let me select individual events: Deployments, Deployment statuses, Releases</dd></div>
      </dl>`;
  }
  return html`<p>Deliver to <code>${url}</code> with the secret you set (fingerprint <code>${rec.secret_fingerprint}</code>).
    How a ${rec.source} sender is configured (where the URL and the secret go, which events to send) is
    described in <code>docs/hooks/README.md</code> in shiplog's repository.</p>`;
}

// What a delivery wrote: links to the deployment and release it touched.
function Touched({ d }) {
  const parts = [];
  if (d.deployment) {
    parts.push(html`<a href=${`/deployments/${d.deployment}`}>deployment #${d.deployment}</a>${d.status ? html` <span class="meta">(now ${d.status.replace('_', ' ')})</span>` : ''}`);
  }
  if (d.release) parts.push(html`<a href=${`/releases/${d.release}`}>release #${d.release}</a>`);
  if (!parts.length) return html`<span class="meta">nothing</span>`;
  return html`<ul class="touched">${parts.map((p, i) => html`<li key=${i}>${p}</li>`)}</ul>`;
}

// The Replay button of one delivery; onDone gets the new delivery.
function ReplayButton({ name, delivery, onDone, onError }) {
  const [busy, setBusy] = useState(false);
  const click = async () => {
    setBusy(true);
    try {
      onDone(await api.replay(name, delivery.id));
    } catch (err) {
      onError(err);
    }
    setBusy(false);
  };
  return html`<button type="button" class="secondary" disabled=${busy} aria-label=${`Replay delivery #${delivery.id}`} onClick=${click}>Replay</button>`;
}

// Reads the newest deliveries again, at least as many as are shown (so a
// reload does not take away pages the person asked for).
async function newest(name, keep) {
  const items = [];
  let cursor = null;
  do {
    const page = await api.deliveries(name, cursor || undefined);
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor && items.length < keep);
  return { items, cursor };
}

// A receiver's deliveries, newest first, with paging, live reloads and
// (for a token admin) replays.
function Deliveries({ name, session }) {
  const admin = can(session, ADMIN);
  const [list, setList] = useState({ items: null, cursor: null, error: null });
  const [live, setLive] = useState('connecting');
  const [replayed, setReplayed] = useState(null);
  const [actionError, setActionError] = useState(null);
  const [said, setSaid] = useState('');
  const shown = useRef(0);
  const top = useRef(undefined);

  // Reloads the list; says aloud the newest delivery when one arrived
  // since the last read.
  const refresh = async () => {
    try {
      const got = await newest(name, Math.max(shown.current, 1));
      const first = got.items[0];
      if (top.current !== undefined && first && first.id !== top.current) {
        setSaid(`Delivery #${first.id} received: ${first.outcome}.`);
      }
      top.current = first ? first.id : null;
      shown.current = got.items.length;
      setList({ ...got, error: null });
    } catch (err) {
      setList((l) => ({ ...l, error: err }));
    }
  };
  const latest = useRef(refresh);
  latest.current = refresh;

  useEffect(() => {
    latest.current();
    let timer = null;
    const soon = () => {
      clearTimeout(timer);
      timer = setTimeout(() => latest.current(), 100);
    };
    // Any delivery reloads the list: the event names the delivery, not
    // its receiver, and one page read is cheap.
    const close = api.subscribe({
      types: ['delivery.receive'],
      onEvent: (ev) => {
        if (ev.object_type === 'delivery') soon();
      },
      onState: (st) => {
        setLive(st);
        if (st === 'resumed') soon();
      },
    });
    return () => {
      clearTimeout(timer);
      close();
    };
  }, [name]);

  const more = async () => {
    try {
      const page = await api.deliveries(name, list.cursor);
      const items = [...list.items, ...page.items];
      shown.current = items.length;
      setList({ items, cursor: page.next_cursor, error: null });
    } catch (err) {
      setList({ ...list, error: err });
    }
  };

  const didReplay = (d) => {
    setActionError(null);
    setReplayed(d);
    refresh();
  };
  const failed = (err) => {
    setReplayed(null);
    setActionError(err);
  };

  return html`<section aria-labelledby="h-deliveries">
    <div class="title-row">
      <h2 id="h-deliveries">Deliveries</h2>
      <p class=${`live live-${live}`}>
        <span aria-hidden="true">● </span>${live === 'live' || live === 'resumed' ? 'Live' : live === 'connecting' ? 'Connecting…' : 'Reconnecting…'}
      </p>
    </div>
    <p class="sr" role="status">${said}</p>
    ${admin ? '' : html`<${NotAllowed} session=${session} action=${ADMIN}>Replaying deliveries<//>`}
    <div role="status" class="replayed">${replayed
      ? html`<p>Replay of #${replayed.replay_of} taken as delivery #${replayed.id}: <${Outcome} outcome=${replayed.outcome} />
          ${replayed.reason ? html` <span>${replayed.reason}</span>` : ''}
          ${replayed.deployment ? html` · <a href=${`/deployments/${replayed.deployment}`}>deployment #${replayed.deployment}</a>` : ''}</p>`
      : ''}</div>
    <${Problem} error=${actionError} />
    <${Problem} error=${list.error} />
    ${list.items === null
      ? (list.error ? '' : html`<${Loading} what="Loading the deliveries" />`)
      : list.items.length === 0
        ? html`<p>No deliveries yet.</p>`
        : html`<div class="table-scroll"><table class="deliveries">
          <caption class="sr">Deliveries of ${name}, newest first</caption>
          <thead><tr>
            <th scope="col">Delivery</th><th scope="col">Received</th><th scope="col">Event</th>
            <th scope="col">Outcome</th><th scope="col">Reason</th><th scope="col">Touched</th>
            ${admin ? html`<th scope="col"><span class="sr">Actions</span></th>` : ''}
          </tr></thead>
          <tbody>${list.items.map((d) => html`<tr key=${d.id}>
            <th scope="row">#${d.id}${d.replay_of ? html`<br /><span class="meta">replay of #${d.replay_of}</span>` : ''}</th>
            <td><${Time} at=${d.at} /></td>
            <td>${d.event ? html`<code>${d.event}</code>` : '—'}</td>
            <td><${Outcome} outcome=${d.outcome} /></td>
            <td class="reason">${d.reason || '—'}</td>
            <td><${Touched} d=${d} /></td>
            ${admin ? html`<td><${ReplayButton} name=${name} delivery=${d} onDone=${didReplay} onError=${failed} /></td>` : ''}
          </tr>`)}</tbody>
        </table></div>`}
    ${list.cursor ? html`<button type="button" onClick=${more}>Show more deliveries</button>` : ''}
  </section>`;
}

// /receivers/:name: its settings, the sender's side, its deliveries.
export function Receiver({ params, session }) {
  const [name] = params;
  const { data: rec, error } = useLoad(() => api.receiver(name), [name]);
  const head = html`<h1 tabindex="-1">Receiver ${name}</h1>`;
  if (error) return html`${head}<${Problem} error=${error} /><p><a href="/receivers">All receivers</a></p>`;
  if (!rec) return html`${head}<${Loading} what="Loading the receiver" />`;
  return html`${head}
    <p class="subtitle"><a href="/receivers">All receivers</a> · ${rec.source} · revision ${rec.revision}</p>
    <section aria-labelledby="h-settings"><h2 id="h-settings">Settings</h2>
      <dl class="fields">
        <div class="field"><dt>Source</dt><dd>${rec.source}</dd></div>
        <div class="field"><dt>URL for the sender</dt><dd><code>${hookUrl(rec)}</code></dd></div>
        <div class="field"><dt>Secret fingerprint</dt><dd><code>${rec.secret_fingerprint}</code></dd></div>
        <div class="field"><dt>Events</dt><dd>${rec.events && rec.events.length ? rec.events.map((e, i) => html`${i ? ', ' : ''}<code>${e}</code>`) : 'every event shiplog reads'}</dd></div>
        <div class="field"><dt>Creates releases</dt><dd>${rec.create_releases ? 'yes, from SemVer tags no release has' : 'no: such deliveries are kept as unmatched'}</dd></div>
        <div class="field"><dt>Created</dt><dd><${Time} at=${rec.created_at} /></dd></div>
        <div class="field"><dt>Updated</dt><dd><${Time} at=${rec.updated_at} /></dd></div>
        <div class="field"><dt>Services</dt><dd><${Mapping} map=${rec.services} none=${NO_SERVICES} /></dd></div>
        <div class="field"><dt>Environments</dt><dd><${Mapping} map=${rec.environments} none=${NO_ENVIRONMENTS} /></dd></div>
      </dl>
    </section>
    <section aria-labelledby="h-sender"><h2 id="h-sender">At the sender</h2><${AtTheSender} rec=${rec} /></section>
    <${Deliveries} name=${name} session=${session} />`;
}
