// notifications.js - /notifications: who is told of what (the
// subscriptions, with their filters and channel, never a secret) and the
// outbox: every notification with its status, attempts and last error,
// the dead letters apart, and for a token admin a Replay button that puts
// a dead or sent one back to pending with the same key.
import { useState } from 'preact/hooks';
import * as api from '../api.js';
import { can, html, Loading, NotAllowed, Problem, Time, useLoad } from '../ui.js';

const ADMIN = 'token.admin';

// Each status with an icon, so it never rests on colour alone.
const STATUSES = { pending: '…', sent: '✓', dead: '✕' };
const FILTERS = [
  ['', 'All'],
  ['pending', 'Pending'],
  ['sent', 'Sent'],
  ['dead', 'Dead letters'],
];

function Status({ status }) {
  return html`<span class=${`note-status note-${status}`}><span aria-hidden="true">${STATUSES[status] || '•'} </span>${status}</span>`;
}

// A filter list, or what an empty one means.
function Words({ list, none }) {
  if (!list || !list.length) return html`<span class="meta">${none}</span>`;
  return list.map((w, i) => html`${i ? ', ' : ''}<code key=${w}>${w}</code>`);
}

// Where a subscription's notifications go, as much as may be shown.
function Channel({ ch }) {
  if (ch.type === 'email') return html`email to ${(ch.to || []).join(', ')} <span class="meta">via ${ch.url}</span>`;
  if (ch.type === 'slack') return html`Slack <span class="meta">(URL fingerprint <code>${ch.url_fingerprint}</code>)</span>`;
  return html`webhook <code>${ch.url}</code> <span class="meta">(secret fingerprint <code>${ch.secret_fingerprint}</code>)</span>`;
}

function Subscriptions() {
  const { data, error } = useLoad(() => api.subscriptions(), []);
  if (error) return html`<${Problem} error=${error} />`;
  if (!data) return html`<${Loading} what="Loading the subscriptions" />`;
  if (!data.length) return html`<p>No subscriptions yet: <code>shiplog subscription put</code> or <code>PUT /v1/subscriptions/NAME</code> makes one.</p>`;
  return html`<div class="table-scroll"><table class="subscriptions">
    <caption class="sr">Subscriptions</caption>
    <thead><tr>
      <th scope="col">Subscription</th><th scope="col">Events</th><th scope="col">Environments</th>
      <th scope="col">Services</th><th scope="col">Teams</th><th scope="col">Channel</th>
    </tr></thead>
    <tbody>${data.map((s) => html`<tr key=${s.name}>
      <th scope="row">${s.name}</th>
      <td><${Words} list=${s.events} none="none" /></td>
      <td><${Words} list=${s.environments} none="every one" /></td>
      <td><${Words} list=${s.services} none="every one" /></td>
      <td><${Words} list=${s.teams} none="every one" /></td>
      <td><${Channel} ch=${s.channel} /></td>
    </tr>`)}</tbody>
  </table></div>`;
}

function Outbox({ session }) {
  const admin = can(session, ADMIN);
  const [status, setStatus] = useState('');
  const [more, setMore] = useState({ items: [], cursor: null });
  const [said, setSaid] = useState('');
  const [actionError, setActionError] = useState(null);
  const [busy, setBusy] = useState(null);
  const { data, error, reload } = useLoad(async () => {
    const page = await api.notifications(status || undefined);
    setMore({ items: [], cursor: page.next_cursor });
    return page.items;
  }, [status]);

  const showMore = async () => {
    try {
      const page = await api.notifications(status || undefined, more.cursor);
      setMore({ items: [...more.items, ...page.items], cursor: page.next_cursor });
    } catch (err) {
      setActionError(err);
    }
  };
  const replay = async (n) => {
    setBusy(n.id);
    setActionError(null);
    try {
      const got = await api.replayNotification(n.id);
      setSaid(`Notification #${got.id} is ${got.status} again; it keeps its key ${got.key}.`);
      reload();
    } catch (err) {
      setSaid('');
      setActionError(err);
    }
    setBusy(null);
  };
  const items = data ? [...data, ...more.items] : null;

  return html`<section aria-labelledby="h-outbox">
    <h2 id="h-outbox">Outbox</h2>
    <p class="hint">Each notification is written with the change that caused it and sent by the dispatcher,
      retried with a growing wait; after the last attempt it is a dead letter.
      A webhook carries the key in <code>X-Shiplog-Delivery</code> on every attempt, so a receiver can drop a repeat.</p>
    <label class="note-filter">Show <select value=${status} onChange=${(e) => setStatus(e.currentTarget.value)}>
      ${FILTERS.map(([v, l]) => html`<option key=${v} value=${v}>${l}</option>`)}
    </select></label>
    ${admin ? '' : html`<${NotAllowed} session=${session} action=${ADMIN}>Replaying notifications<//>`}
    <p role="status" class="said">${said}</p>
    <${Problem} error=${actionError} />
    ${error
      ? html`<${Problem} error=${error} />`
      : !items
        ? html`<${Loading} what="Loading the outbox" />`
        : !items.length
          ? html`<p>${status === 'dead' ? 'No dead letters.' : 'No notifications.'}</p>`
          : html`<div class="table-scroll"><table class="outbox">
            <caption class="sr">Notifications, newest first</caption>
            <thead><tr>
              <th scope="col">Notification</th><th scope="col">Status</th><th scope="col">Event</th>
              <th scope="col">Subscription</th><th scope="col">Summary</th><th scope="col">Attempts</th>
              <th scope="col">Last error</th><th scope="col">Created</th>
              ${admin ? html`<th scope="col"><span class="sr">Actions</span></th>` : ''}
            </tr></thead>
            <tbody>${items.map((n) => html`<tr key=${n.id}>
              <th scope="row">#${n.id}</th>
              <td><${Status} status=${n.status} /></td>
              <td><code>${n.event}</code></td>
              <td>${n.subscription}</td>
              <td class="about">${n.summary}</td>
              <td>${n.attempts}</td>
              <td class="about">${n.last_error || '—'}</td>
              <td><${Time} at=${n.created_at} /></td>
              ${admin
                ? html`<td>${n.status === 'pending'
                  ? html`<span class="meta">sending</span>`
                  : html`<button type="button" class="secondary" disabled=${busy === n.id}
                      aria-label=${`Replay notification #${n.id}`} onClick=${() => replay(n)}>Replay</button>`}</td>`
                : ''}
            </tr>`)}</tbody>
          </table></div>`}
    ${more.cursor ? html`<button type="button" onClick=${showMore}>Show more notifications</button>` : ''}
  </section>`;
}

export function Notifications({ session }) {
  return html`<h1 tabindex="-1">Notifications</h1>
    <p class="subtitle">Who is told when a deployment fails, stalls, is verified or rolled back, when the gates
      refuse or approvals are asked for, when a freeze starts or ends, and when an incident is linked.</p>
    <section aria-labelledby="h-subs"><h2 id="h-subs">Subscriptions</h2><${Subscriptions} /></section>
    <${Outbox} session=${session} />`;
}
