// api.js - the one place that talks to shiplogd: every fetch and the event
// stream go through here. Requests ride on the session cookie; writes carry
// the session's CSRF token; a 401 sends the person back to sign-in; any
// other refusal is thrown as an ApiError holding the server's problem
// document, so a view can show its detail.

// An answer other than 2xx. problem is the RFC 9457 document (or a stand-in
// when the body was not one).
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }

  get detail() {
    return this.message;
  }
}

let csrfToken = null;
let onSignedOut = () => {};

// Called with no arguments whenever the server says the session is gone.
export function onUnauthorized(fn) {
  onSignedOut = fn;
}

function url(path, query) {
  const u = new URL(path, location.origin);
  for (const [k, v] of Object.entries(query || {})) {
    if (v !== undefined && v !== null && v !== '') u.searchParams.set(k, v);
  }
  return u.pathname + u.search;
}

async function problemOf(res) {
  const type = res.headers.get('Content-Type') || '';
  if (type.includes('json')) {
    try {
      return await res.json();
    } catch {
      // fall through to the stand-in
    }
  }
  return { status: res.status, title: res.statusText, detail: `the server answered ${res.status} ${res.statusText}` };
}

// Sends one request; answers the parsed JSON (or text, or null for 204).
// signIn marks the sign-in itself, whose 401 is a wrong token and not an
// expired session.
async function request(method, path, { query, body, headers = {}, signIn = false, bytes = false } = {}) {
  const h = { Accept: 'application/json, application/problem+json, text/plain', ...headers };
  if (body !== undefined) h['Content-Type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) h['X-CSRF-Token'] = csrfToken;
  const res = await fetch(url(path, query), {
    method,
    headers: h,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
  });
  if (!res.ok) {
    const problem = await problemOf(res);
    if (res.status === 401 && !signIn) {
      csrfToken = null;
      onSignedOut();
    }
    throw new ApiError(res.status, problem);
  }
  if (res.status === 204) return null;
  if (bytes) return new Uint8Array(await res.arrayBuffer());
  const type = res.headers.get('Content-Type') || '';
  return type.includes('json') ? res.json() : res.text();
}

const get = (path, query) => request('GET', path, { query });
const post = (path, body) => request('POST', path, { body });
const enc = encodeURIComponent;

// Every item of a paged list, following next_cursor; onPage (optional)
// sees each page's items as they arrive.
async function all(path, query = {}, onPage) {
  const items = [];
  let cursor = null;
  do {
    const page = await get(path, { ...query, limit: 500, cursor });
    items.push(...page.items);
    if (onPage) onPage(page.items);
    cursor = page.next_cursor;
  } while (cursor);
  return items;
}

// The session: GET answers it (401 when there is none), POST signs in,
// DELETE signs out. The CSRF token is kept here for the writes that follow.
export async function getSession() {
  const s = await request('GET', '/v1/session', { signIn: true });
  csrfToken = s.csrf_token;
  return s;
}

export async function signIn(token) {
  const s = await request('POST', '/v1/session', { body: { token }, signIn: true });
  csrfToken = s.csrf_token;
  return s;
}

export async function signOut() {
  try {
    await request('DELETE', '/v1/session', { signIn: true });
  } finally {
    csrfToken = null;
  }
}

export const environments = () => all('/v1/environments');
export const services = (query) => all('/v1/services', query);
export const service = (name) => get(`/v1/services/${enc(name)}`);
export const status = (query, onPage) => all('/v1/status', query, onPage);

export const release = (id) => get(`/v1/releases/${enc(id)}`);
export const releases = (query) => get('/v1/releases', query);

export const deployments = (query) => get('/v1/deployments', query);
export const allDeployments = (query) => all('/v1/deployments', query);
// At most max of the newest deployments matching query.
export async function recentDeployments(query, max) {
  const items = [];
  let cursor = null;
  do {
    const page = await get('/v1/deployments', { ...query, limit: 500, cursor });
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor && items.length < max);
  return items.slice(0, max);
}
export const deployment = (id) => get(`/v1/deployments/${enc(id)}`);
export const rollback = (id, reason) => post(`/v1/deployments/${enc(id)}/rollback`, reason ? { reason } : {});

export const gateCheck = (release, environment) => post('/v1/gates/check', { release, environment });

export const approvals = (id) => get(`/v1/releases/${enc(id)}/approvals`);
export const pendingApprovals = () => get('/v1/approvals/pending');
// body: {environment, decision: 'approve'|'reject', comment?, group?}
export const decide = (id, body) => post(`/v1/releases/${enc(id)}/approvals`, body);

export const checklist = (id, environment) => get(`/v1/releases/${enc(id)}/checklist`, { environment });
export const completeItem = (id, body) => post(`/v1/releases/${enc(id)}/checklist`, body);
export const changeRequest = (key) => get(`/v1/change-requests/${enc(key)}`);
// The list is whole (it takes no paging).
export const changeRequests = async () => (await get('/v1/change-requests')).items;

export const windows = (query) => get('/v1/windows', query);

export const policy = (env, version) => get(`/v1/environments/${enc(env)}/policy`, { version });
export const policyVersions = (env) => get(`/v1/environments/${enc(env)}/policy/versions`);
// ifMatch: the version the edit started from; the server refuses (412)
// when another was saved since, so no edit silently replaces another.
export const putPolicy = (env, doc, ifMatch) => request('PUT', `/v1/environments/${enc(env)}/policy`, {
  body: doc,
  headers: ifMatch ? { 'If-Match': `"${ifMatch}"` } : {},
});

export const audit = (query) => get('/v1/audit', query);
export const auditKey = () => get('/v1/audit/key');
export const checkpoint = () => get('/v1/log/checkpoint');
// RFC 9162 proofs: that entry seq is in the tree of size leaves, and that
// the tree of size from is a prefix of the tree of size to.
export const auditProof = (seq, size) => get(`/v1/audit/${enc(seq)}/proof`, { size });
export const consistency = (from, to) => get('/v1/audit/consistency', { from, to });
// A tile of the log (C2SP tlog-tiles), e.g. 'entries/x001/234.p/7', as
// its bytes.
export const logTile = (name) => request('GET', `/v1/log/tile/${name}`, { headers: { Accept: 'application/octet-stream' }, bytes: true });

// Audit actions that the stream names as its event types; EventSource
// delivers a named event only to a listener of that name.
export const STREAM_EVENTS = [
  'deployment.create', 'deployment.event', 'deployment.rollback',
  'approval.create', 'approval.withdraw', 'approval.void',
  'release.create', 'release.update', 'release.status',
  'policy.update', 'window.create', 'window.delete',
  'checklist.complete', 'change_request.create', 'change_request.update',
  'service.create', 'service.update', 'service.delete',
  'environment.create', 'environment.update', 'environment.delete',
];

// Opens GET /v1/stream (filters: environment, service) and calls
// onEvent(data) for each change whose action is in types; onState sees
// 'live', 'reconnecting' or 'resumed' (live again after a gap a view may
// want to fill by reading afresh). The browser reconnects by itself and
// resumes with Last-Event-ID; each break asks for the session, so one that
// ended sends the person to sign-in.
// Answers a function that closes the stream.
export function subscribe({ types = STREAM_EVENTS, query, onEvent, onState = () => {} }) {
  let source = null;
  let timer = null;
  let broken = false;
  let closed = false;
  const handle = (e) => {
    let data;
    try {
      data = JSON.parse(e.data);
    } catch {
      return; // an event that is not JSON carries nothing a view can use
    }
    onEvent(data);
  };
  const open = () => {
    source = new EventSource(url('/v1/stream', query));
    for (const t of types) source.addEventListener(t, handle);
    source.addEventListener('open', () => {
      onState(broken ? 'resumed' : 'live');
      broken = false;
    });
    // A stream that broke may have ended with the session (the server
    // closes it when its token is revoked): ask at once, so a page whose
    // session is gone returns to sign-in without waiting for the browser's
    // own retry. A stream the browser gave up on is opened again.
    source.addEventListener('error', () => {
      broken = true;
      onState('reconnecting');
      const gaveUp = source.readyState === EventSource.CLOSED;
      request('GET', '/v1/session').then(
        () => {
          if (gaveUp && !closed) timer = setTimeout(open, 3000);
        },
        () => {},
      );
    });
  };
  open();
  return () => {
    closed = true;
    clearTimeout(timer);
    source.close();
  };
}

// Inbound webhook receivers: the list (whole: the route takes no paging),
// one (never its secret), and create-or-replace (token.admin). doc:
// {source, secret, services?, environments?, events?, create_releases?}.
export const receivers = async () => (await get('/v1/receivers')).items;
export const receiver = (name) => get(`/v1/receivers/${enc(name)}`);
export const putReceiver = (name, doc) => request('PUT', `/v1/receivers/${enc(name)}`, { body: doc });
// One page of a receiver's deliveries, newest first; cursor is the
// previous page's next_cursor (none: the newest).
export const deliveries = (name, cursor) => get(`/v1/receivers/${enc(name)}/deliveries`, { limit: 50, cursor });
// Takes a kept delivery again by the receiver's rules as they are now;
// answers the new delivery.
export const replay = (name, id) => post(`/v1/receivers/${enc(name)}/deliveries/${enc(id)}/replay`);
// The senders a receiver may name, as the server lists them: the enum of
// the source field of PUT /v1/receivers/{name} in /v1/openapi.json.
export async function receiverSources() {
  const doc = await get('/v1/openapi.json');
  const put = doc.paths['/v1/receivers/{name}'].put;
  return put.requestBody.content['application/json'].schema.properties.source.enum;
}

// Incidents: a page of the list (filters: status, environment, service,
// release, since, until; cursor: the previous page's next_cursor), one
// incident with its suspected deployments, a PATCH (summary, severity,
// resolved_at), and a deployment confirmed as (or withdrawn from being)
// its cause.
export const incidents = (query) => get('/v1/incidents', query);
export const incident = (key) => get(`/v1/incidents/${enc(key)}`);
export const updateIncident = (key, body) => request('PATCH', `/v1/incidents/${enc(key)}`, { body });
export const confirmCause = (key, deploymentId, comment) =>
  post(`/v1/incidents/${enc(key)}/causes`, comment ? { deployment_id: deploymentId, comment } : { deployment_id: deploymentId });
export const withdrawCause = (key, deploymentId) => request('DELETE', `/v1/incidents/${enc(key)}/causes/${enc(deploymentId)}`);
// A deployment's verification (404 when its environment verifies none):
// the policy it took, its rounds, each criterion's last value, the outcome.
export const verification = (id) => get(`/v1/deployments/${enc(id)}/verification`);

// Notifications: subscriptions (whole list; never a channel's secret) and
// one page of the outbox, newest first, of a status when given
// (pending|sent|dead; none: all). Replay puts a dead or sent one back to
// pending, same key (token.admin).
export const subscriptions = async () => (await get('/v1/subscriptions')).items;
export const notifications = (status, cursor) => get('/v1/notifications', { limit: 50, status, cursor });
export const replayNotification = (id) => post(`/v1/notifications/${enc(id)}/replay`);

// Compliance reports (audit.read, an unscoped token): kind is change,
// exceptions, controls or access; query {from, to, environment, service}.
// report() answers the JSON; reportUrl() is the address of the same report
// as csv, json or html, for a download link or the printable page (a
// plain link: the session cookie carries it, no fetch).
export const REPORT_KINDS = ['change', 'exceptions', 'controls', 'access'];
export const report = (kind, query) => get(`/v1/reports/${enc(kind)}`, query);
export const reportUrl = (kind, query, format) => url(`/v1/reports/${enc(kind)}`, { ...query, format });
// Delivery metrics (DORA) for a period: query {from, to, bucket, tz,
// environment, service, team, tag}; every figure is the server's.
export const dora = (query) => get('/v1/metrics/dora', query);
