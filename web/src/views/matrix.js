// matrix.js - the environment matrix at /: services (rows, grouped by
// team) × environments in rank order (columns), what runs in each and
// since when, deployments under way or failed, drift from the environment
// below, and freezes in force. It stays live: a deployment event re-reads
// that one service's row, and only that row is painted again.
import { Component } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import * as api from '../api.js';
import { formatTime, html, Loading, Problem, releasePath, Status, Time } from '../ui.js';

const DEPLOYMENT_EVENTS = ['deployment.create', 'deployment.event', 'deployment.rollback'];
const WINDOW_EVENTS = ['window.create', 'window.delete'];
const SERVICE_EVENTS = ['service.create', 'service.update'];

// The status rows of one service, by environment: {env: [row per target]}.
function byEnvironment(rows) {
  const out = {};
  for (const r of rows) (out[r.environment] ||= []).push(r);
  return out;
}

// What a cell runs, for drift: the version that started running last
// among its targets.
function runningVersion(entries) {
  let best = null;
  for (const e of entries || []) {
    if (e.running && (!best || e.running.since > best.since)) best = e.running;
  }
  return best ? best.version : null;
}

// Every status row, grouped by service: Map service → {env: [row per
// target]}. The environments are read side by side: a page's cursor names
// the page before it, so one list's pages can only come one after another,
// and the whole matrix read as one list took 25 round trips in a row at
// 2,000 services × 6 environments (500 rows a page at most).
async function readMatrix(envs) {
  const lists = await Promise.all(envs.map((e) => api.status({ environment: e.name })));
  const bySvc = new Map();
  for (const list of lists) {
    for (const r of list) {
      let cells = bySvc.get(r.service);
      if (!cells) bySvc.set(r.service, (cells = {}));
      (cells[r.environment] ||= []).push(r);
    }
  }
  return bySvc;
}

// Whether two services' cells hold the same rows, so a full read again
// (after the stream broke) repaints only the rows that changed.
const sameCells = (a, b) => a === b || (a !== undefined && JSON.stringify(a) === JSON.stringify(b));

// How many rows the table takes at a time when the matrix is shown or a
// filter brings rows back: first a tall screen's worth, so the first
// screen shows without waiting for 2,000 rows (about 80,000 elements,
// seconds of work for the browser); then, after each frame is painted,
// half as many again as it holds (at least CHUNK_ROWS), so no single task
// holds the page for long. The steps grow because each one makes the
// browser lay the whole table out again, which costs more the more rows
// it holds. Rows already in the table stay, whatever the filter.
const FIRST_ROWS = 40;
const CHUNK_ROWS = 150;
const nextStep = (n) => n + Math.max(CHUNK_ROWS, Math.floor(n / 2));

const tagsOf = (s) => Object.entries(s.tags || {}).map(([k, v]) => `${k}=${v}`);

function Target({ entry, service }) {
  const { running, latest } = entry;
  const moving = latest && (!running || latest.deployment_id !== running.deployment_id);
  return html`<div class="target">
    ${entry.target ? html`<span class="target-name">${entry.target}</span>` : null}
    ${running
      ? html`<span class="running"><a href=${releasePath(service, running.version)}>${running.version}</a>${' '}
          <span class="since">since <${Time} at=${running.since} relative /></span></span>`
      : html`<span class="none">not running</span>`}
    ${moving
      ? html`<a class="latest" href=${`/deployments/${latest.deployment_id}`}><${Status} status=${latest.status} /> ${latest.version}</a>`
      : null}
  </div>`;
}

function Cell({ entries, service, below, belowName }) {
  if (!entries) return html`<td class="empty"><span class="none">—<span class="sr"> nothing deployed</span></span></td>`;
  const mine = runningVersion(entries);
  const drift = mine && below && mine !== below;
  const busy = entries.some((e) => e.latest && ['in_progress', 'queued', 'stalled'].includes(e.latest.status));
  const failed = entries.some((e) => e.latest && e.latest.status === 'failed');
  const cls = ['cell', drift && 'drift', busy && 'busy', failed && 'failed'].filter(Boolean).join(' ');
  return html`<td class=${cls}>
    ${entries.map((e) => html`<${Target} key=${e.target || ''} entry=${e} service=${service} />`)}
    ${drift ? html`<p class="drift-note"><span aria-hidden="true">≠ </span>drift: ${belowName} runs ${below}</p>` : null}
  </td>`;
}

// One service's row. It paints again only when its own data, the columns
// or the clock tick change, so a live update repaints one row.
class Row extends Component {
  shouldComponentUpdate(next) {
    const p = this.props;
    return next.row !== p.row || next.service !== p.service || next.envs !== p.envs || next.tick !== p.tick;
  }

  render({ service, row, envs }) {
    const cells = row || {};
    return html`<tr>
      <th scope="row">
        <a href=${`/deployments?service=${encodeURIComponent(service.name)}`}>${service.name}</a>${' '}
        <span class="tier">tier ${service.tier}</span>
      </th>
      ${envs.map((e, i) => {
        const lower = i > 0 ? envs[i - 1].name : null;
        return html`<${Cell} key=${e.name} entries=${cells[e.name]} service=${service.name}
          below=${lower ? runningVersion(cells[lower]) : null} belowName=${lower} />`;
      })}
    </tr>`;
  }
}

// The column headers: painted again only when the environments or the
// freezes change, not on each live update of a row.
class Head extends Component {
  shouldComponentUpdate(next) {
    return next.envs !== this.props.envs || next.freezes !== this.props.freezes;
  }

  render({ envs, freezes }) {
    const frozen = (env) => freezes.some((f) => !f.environment || f.environment === env);
    return html`<thead><tr>
      <th scope="col">Service</th>
      ${envs.map((e) => html`<th scope="col" key=${e.name}>
        ${e.name}${e.protected ? html` <span class="tag" title="protected: governed by its policy">protected</span>` : ''}
        ${frozen(e.name) ? html` <span class="tag frozen"><span aria-hidden="true">❄ </span>frozen</span>` : ''}
      </th>`)}
    </tr></thead>`;
  }
}

// The freezes and blackouts in force now, each with the window it comes
// from (for its zone, reason and service tag).
async function loadFreezes() {
  const now = Date.now();
  const from = new Date(now - 1000).toISOString();
  const to = new Date(now + 60000).toISOString();
  const doc = await api.windows({ from, to });
  const windows = new Map(doc.items.map((w) => [w.id, w]));
  return (doc.occurrences || [])
    .filter((o) => (o.kind === 'freeze' || o.kind === 'blackout') && new Date(o.start) <= now && now < new Date(o.end))
    .map((o) => ({ ...o, window: windows.get(o.window_id) || {} }));
}

function FreezeBanner({ freezes }) {
  if (!freezes.length) return null;
  return html`<section class="freezes" aria-label="Freezes in force">
    ${freezes.map((f) => html`<p class="freeze" key=${`${f.window_id}-${f.start}`}>
      <strong><span aria-hidden="true">❄ </span>${f.kind === 'blackout' ? 'Blackout' : 'Freeze'} in ${f.environment || 'every environment'}</strong>:
      ${f.name}${f.window.service_tag ? ` (services tagged ${f.window.service_tag})` : ''}, until
      <${Time} at=${f.end} /> (${formatTime(f.end, f.window.timezone)}, the window's zone ${f.window.timezone})${f.window.reason ? ` — ${f.window.reason}` : ''}
    </p>`)}
  </section>`;
}

export function Matrix() {
  const [envs, setEnvs] = useState(null);
  const [services, setServices] = useState(null);
  const [rows, setRows] = useState(() => new Map());
  const [freezes, setFreezes] = useState([]);
  const [error, setError] = useState(null);
  const [loadingRows, setLoadingRows] = useState(false);
  const [live, setLive] = useState('connecting');
  const [said, setSaid] = useState('');
  const [text, setText] = useState('');
  const [tag, setTag] = useState('');
  const [tier, setTier] = useState('');
  const [tick, setTick] = useState(0);
  // How many rows the table may hold, for the filters of generation gen.
  const [upTo, setUpTo] = useState({ gen: -1, n: FIRST_ROWS });
  // The services whose rows the last render put in the table, and the
  // filters it showed (each change of filters is a new generation, so a
  // step taken for earlier filters never counts for later ones).
  const inTable = useRef(new Set());
  const filtersOf = useRef({ key: null, gen: 0 });
  const servicesRef = useRef(null);
  servicesRef.current = services;
  const envsRef = useRef(null);
  envsRef.current = envs;
  // Services a live update placed while a full read was under way: the
  // read may hold older rows for them.
  const placedSince = useRef(new Set());

  // Puts the status rows of some services in place, each service's row a
  // new object (so that row paints) and every other row as it was.
  const place = (rowsBySvc) => setRows((old) => {
    const next = new Map(old);
    for (const [svc, list] of rowsBySvc) next.set(svc, byEnvironment(list));
    return next;
  });

  // Puts a whole read of the matrix in place in one render (each render
  // lays the whole table out again, which is what cost the time when each
  // page of rows was painted as it came), keeping the rows that did not
  // change and those a live update placed since the read began.
  const placeAll = (fresh) => setRows((old) => {
    const next = new Map();
    for (const [svc, cells] of fresh) {
      const was = old.get(svc);
      next.set(svc, placedSince.current.has(svc) || sameCells(was, cells) ? was : cells);
    }
    for (const svc of placedSince.current) if (!next.has(svc) && old.has(svc)) next.set(svc, old.get(svc));
    return next;
  });

  // Reads the whole matrix again (after the stream was broken, when events
  // may have been missed).
  const loadAll = async () => {
    setLoadingRows(true);
    placedSince.current = new Set();
    placeAll(await readMatrix(envsRef.current));
    setLoadingRows(false);
  };

  useEffect(() => {
    let stop = () => {};
    let pending = new Set(); // services whose rows to read again
    let stale = new Set(); // services whose own document changed
    let timer = null;
    let gone = false;
    let loaded = false;

    // Re-reads the rows of the services events named, a tenth of a second
    // after the first, so a burst of events costs one read per service. A
    // service not seen before (or changed) is read too.
    const flush = async () => {
      timer = null;
      const names = [...pending];
      const changed = stale;
      pending = new Set();
      stale = new Set();
      for (const name of names) {
        try {
          if (changed.has(name) || !(servicesRef.current || []).some((s) => s.name === name)) {
            const s = await api.service(name);
            setServices((list) => [...(list || []).filter((x) => x.name !== name), s]);
          }
          placedSince.current.add(name);
          place(new Map([[name, await api.status({ service: name })]]));
        } catch (e) {
          if (e.status !== 404 && e.status !== 403) setError(e);
        }
      }
    };
    // Events that come before the first read is in place wait for it.
    const schedule = () => {
      if (loaded && pending.size && !timer) timer = setTimeout(flush, 100);
    };

    // The stream opens first, so nothing written while the matrix is read
    // is missed; the environments, services and every status row are then
    // read side by side and painted together.
    stop = api.subscribe({
      types: [...DEPLOYMENT_EVENTS, ...WINDOW_EVENTS, ...SERVICE_EVENTS],
      onState: (st) => {
        setLive(st);
        if (st === 'resumed' && loaded) loadAll().catch(setError);
      },
      onEvent: (ev) => {
        if (WINDOW_EVENTS.includes(ev.action)) {
          loadFreezes().then(setFreezes, () => {});
          return;
        }
        const name = ev.service || (ev.object_type === 'service' ? ev.object_id : null);
        if (!name) return;
        if (DEPLOYMENT_EVENTS.includes(ev.action)) {
          setSaid(`${name}${ev.environment ? ` in ${ev.environment}` : ''}: ${ev.action.replace('deployment.', 'deployment ')} by ${ev.actor}`);
        }
        pending.add(name);
        if (SERVICE_EVENTS.includes(ev.action)) stale.add(name);
        schedule();
      },
    });
    (async () => {
      try {
        const e = await api.environments();
        const [s, fresh] = await Promise.all([api.services(), readMatrix(e)]);
        if (gone) return;
        setEnvs(e);
        setServices(s);
        placeAll(fresh);
        loaded = true;
        schedule();
        loadFreezes().then(setFreezes, () => {});
      } catch (err) {
        setError(err);
      }
    })();
    // "since" times and freezes age: refresh both every minute.
    const clock = setInterval(() => {
      setTick((t) => t + 1);
      loadFreezes().then(setFreezes, () => {});
    }, 60000);
    return () => {
      gone = true;
      stop();
      clearTimeout(timer);
      clearInterval(clock);
    };
  }, []);

  const tags = useMemo(() => [...new Set((services || []).flatMap(tagsOf))].sort(), [services]);

  // Teams in name order, each with its services in name order, after the
  // filters.
  const groups = useMemo(() => {
    if (!services) return [];
    const needle = text.trim().toLowerCase();
    const keep = services.filter((s) =>
      (!needle || s.name.includes(needle) || s.owner.toLowerCase().includes(needle))
      && (!tag || tagsOf(s).includes(tag))
      && (!tier || String(s.tier) === tier));
    const teams = new Map();
    for (const s of keep) {
      if (!teams.has(s.owner)) teams.set(s.owner, []);
      teams.get(s.owner).push(s);
    }
    return [...teams.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([team, list]) => [team, list.sort((a, b) => a.name.localeCompare(b.name))]);
  }, [services, text, tag, tier]);

  const summary = useMemo(() => {
    let busy = 0;
    let failed = 0;
    for (const cells of rows.values()) {
      for (const list of Object.values(cells)) {
        for (const e of list) {
          if (!e.latest) continue;
          if (['in_progress', 'queued', 'stalled'].includes(e.latest.status)) busy++;
          if (e.latest.status === 'failed') failed++;
        }
      }
    }
    return { busy, failed };
  }, [rows]);

  const shown = groups.reduce((n, [, list]) => n + list.length, 0);

  // The rows in the table: those already there that the filters keep, and
  // new ones in order up to what the step allows (a new filter allows a
  // first screenful more than it keeps); the rest follow a step a frame,
  // while the summary says the matrix is still loading. A live update
  // changes rows in place and adds none but a new service's.
  const filterKey = `${text}\n${tag}\n${tier}`;
  if (filtersOf.current.key !== filterKey) filtersOf.current = { key: filterKey, gen: filtersOf.current.gen + 1 };
  const { gen } = filtersOf.current;
  const before = inTable.current;
  let kept = 0;
  for (const [, list] of groups) for (const s of list) if (before.has(s.name)) kept++;
  const allowed = upTo.gen === gen ? upTo.n : kept + FIRST_ROWS;
  let fresh = allowed - kept;
  const visible = []; // [team, all its services, those in the table]
  const now = new Set();
  for (const [team, list] of groups) {
    const inRows = list.filter((s) => before.has(s.name) || fresh-- > 0);
    if (inRows.length) visible.push([team, list, inRows]);
    for (const s of inRows) now.add(s.name);
  }
  inTable.current = now;
  const painting = now.size < shown;
  useEffect(() => {
    if (!painting) return undefined;
    let timer = null;
    const frame = requestAnimationFrame(() => {
      timer = setTimeout(() => setUpTo({ gen, n: nextStep(allowed) }), 0);
    });
    return () => {
      cancelAnimationFrame(frame);
      clearTimeout(timer);
    };
  }, [painting, gen, allowed]);

  if (error) return html`<h1 tabindex="-1">Environments</h1><${Problem} error=${error} />`;
  if (!envs || !services) return html`<h1 tabindex="-1">Environments</h1><${Loading} what="Loading environments and services" />`;

  return html`
    <div class="title-row">
      <h1 tabindex="-1">Environments</h1>
      <p class=${`live live-${live}`} role="status">
        <span aria-hidden="true">● </span>${live === 'live' || live === 'resumed' ? 'Live' : live === 'connecting' ? 'Connecting…' : 'Reconnecting…'}
      </p>
    </div>
    <${FreezeBanner} freezes=${freezes} />
    <p class="summary">
      ${[
        `${services.length} services`,
        `${envs.length} environments`,
        `${summary.busy} deployment${summary.busy === 1 ? '' : 's'} under way`,
        `${summary.failed} failed`,
      ].join(' · ')}
      ${loadingRows || painting ? html` · <span role="status">loading the matrix…</span>` : ''}
    </p>
    <p class="sr" aria-live="polite">${said}</p>
    <form class="filters" role="search" aria-label="Filter services" onSubmit=${(e) => e.preventDefault()}>
      <label>Filter <input type="search" value=${text} placeholder="service or team"
        onInput=${(e) => setText(e.currentTarget.value)} /></label>
      <label>Tag <select value=${tag} onChange=${(e) => setTag(e.currentTarget.value)}>
        <option value="">any tag</option>
        ${tags.map((t) => html`<option key=${t} value=${t}>${t}</option>`)}
      </select></label>
      <label>Tier <select value=${tier} onChange=${(e) => setTier(e.currentTarget.value)}>
        <option value="">any tier</option>
        ${[1, 2, 3, 4].map((t) => html`<option key=${t} value=${String(t)}>tier ${t}</option>`)}
      </select></label>
      ${shown !== services.length ? html`<span>${shown} of ${services.length} shown</span>` : ''}
    </form>
    ${envs.length === 0
      ? html`<p>No environments yet. Create one with <code>shiplog env create</code> or <code>POST /v1/environments</code>.</p>`
      : html`<div class="table-scroll">
      <table class="matrix">
        <caption class="sr">What runs where: services by team, environments in promotion order</caption>
        <${Head} envs=${envs} freezes=${freezes} />
        ${visible.map(([team, list, rowsShown]) => html`<tbody key=${team}>
          <tr class="team"><th scope="rowgroup" colspan=${envs.length + 1}>${team} <span class="count">${list.length} service${list.length === 1 ? '' : 's'}</span></th></tr>
          ${rowsShown.map((s) => html`<${Row} key=${s.name} service=${s} row=${rows.get(s.name)} envs=${envs} tick=${tick} />`)}
        </tbody>`)}
      </table>
    </div>`}
    ${services.length === 0 ? html`<p>No services yet.</p>` : ''}
    <p class="hint">Times are in your zone; hover a time for its exact UTC value.</p>`;
}
