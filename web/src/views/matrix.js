// matrix.js - the environment matrix at /: services (rows, grouped by
// team) × environments in rank order (columns), what runs in each and
// since when, deployments under way or failed, drift from the environment
// below, and freezes in force. It stays live: a deployment event re-reads
// that one service's row, and only that row is painted again.
import { Component, createRef, h, render } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import * as api from '../api.js';
import { ago, formatTime, html, Loading, Problem, releasePath, Status, Time } from '../ui.js';

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

// How many rows the tables take at a time. When the matrix is first
// shown, every row at once: each team's table lies in a box the browser
// neither lays out nor paints while it is away from the screen
// (content-visibility in matrix.css), so rows cost about what building
// their elements costs (under 0.2 s for 2,000 services × 6 environments
// on the 2-CPU development machine), and one step costs less than
// several. When a filter brings rows back, first a tall screen's worth,
// painted, so typing stays quick, then every other row in one more step.
// Rows already in a table stay, whatever the filter.
const FIRST_ROWS = 40;

// Names in the reader's order (a collator compares far faster than
// localeCompare, which the sort of 2,000 services calls 20,000 times).
const byName = new Intl.Collator().compare;

const tagsOf = (s) => Object.entries(s.tags || {}).map(([k, v]) => `${k}=${v}`);

// The rows are built with the DOM's own calls, not with html`` and
// preact's diff: a matrix of 2,000 services × 6 environments is some
// 70,000 nodes, and on the 2-CPU development machine preact took ~0.3 s
// to build them the first time where these calls take ~0.2 s (see
// bench/RESULTS.md). Only text and properties are set (textContent, href,
// className, never markup), so a name holding markup stays text. A Row
// owns what is inside its <tr>, and on a change builds again only the
// cells whose content changed, in the same <td> elements.

// A new element with a class and a text, both optional.
function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

// Puts in box what a cell holds for one target: the version running there
// (a link to its release) and since when, and a deployment under way or
// failed (as ui.js's Status draws it). The space before "since" is inside
// the time element, whose style comes from matrix.css.
function fillTarget(box, entry, service, since) {
  const { running, latest } = entry;
  const moving = latest && (!running || latest.deployment_id !== running.deployment_id);
  if (entry.target) box.append(el('span', 'target-name', entry.target), ' ');
  if (running) {
    const link = el('a', null, running.version);
    link.href = releasePath(service, running.version);
    const time = el('time', null, ` since ${since}`);
    time.dateTime = running.since;
    time.title = running.since;
    box.append(link, time);
  } else {
    box.append(el('span', 'none', 'not running'));
  }
  if (moving) {
    const link = el('a', 'latest');
    link.href = `/deployments/${latest.deployment_id}`;
    render([h(Status, { status: latest.status }), ` ${latest.version}`], link);
    box.append(' ', link);
  }
}

// What one environment's cell of a service shows, and whether it must be
// built again: its targets, the version running in the environment below
// (for drift) and the "since" texts at time now.
function cellState(entries, below, belowName, now) {
  const since = (entries || []).map((e) => (e.running ? ago(e.running.since, now) : ''));
  return { entries, below, belowName, since: since.join('\n'), texts: since };
}

// Whether two states of a cell show the same targets and drift (the
// "since" texts aside).
const sameTargets = (a, b) => a.below === b.below && a.belowName === b.belowName
  && (a.entries === b.entries || JSON.stringify(a.entries) === JSON.stringify(b.entries));

// Fills td (empty) with one environment's cell of a service: its one
// target inline, or each of several targets on a line of its own; drift
// from the environment below in words.
function fillCell(td, st, service) {
  const { entries, below, belowName } = st;
  if (!entries) {
    td.className = 'empty';
    const none = el('span', 'none', '—');
    none.append(el('span', 'sr', ' nothing deployed'));
    td.append(none);
    return;
  }
  const mine = runningVersion(entries);
  const drift = mine && below && mine !== below;
  const busy = entries.some((e) => e.latest && ['in_progress', 'queued', 'stalled'].includes(e.latest.status));
  const failed = entries.some((e) => e.latest && e.latest.status === 'failed');
  td.className = `cell${drift ? ' drift' : ''}${busy ? ' busy' : ''}${failed ? ' failed' : ''}`;
  const one = entries.length === 1 && !entries[0].target;
  entries.forEach((e, i) => fillTarget(one ? td : td.appendChild(el('div', 'target')), e, service, st.texts[i]));
  if (drift) {
    const mark = el('span', null, '≠ ');
    mark.setAttribute('aria-hidden', 'true');
    const note = el('p', 'drift-note', `drift: ${belowName} runs ${below}`);
    note.prepend(mark);
    td.append(note);
  }
}

// The state of every cell of a service's row, environment by environment.
function rowState(row, envs, now) {
  const cells = row || {};
  return envs.map((e, i) => cellState(cells[e.name], i > 0 ? runningVersion(cells[envs[i - 1].name]) : null,
    i > 0 ? envs[i - 1].name : null, now));
}

// One service's row. preact puts its <tr> in place; the row builds what
// is inside itself, when it is put in place and then only when its own
// data or the columns change or the clock tick changes one of its
// "since" texts, and then only the cells that changed: a live update
// changes one row, and the tick only the rows whose times it ages.
class Row extends Component {
  constructor(props) {
    super(props);
    this.tr = createRef();
  }

  componentDidMount() {
    this.fill(this.props, null);
  }

  shouldComponentUpdate(next) {
    const p = this.props;
    if (next.row !== p.row || next.service !== p.service || next.envs !== p.envs || next.tick !== p.tick) this.fill(next, p);
    return false;
  }

  // Builds the row (was: the props it was last built from, or null).
  fill({ service, row, envs }, was) {
    const tr = this.tr.current;
    const state = rowState(row, envs, Date.now());
    if (!was || envs !== was.envs) {
      tr.textContent = '';
      tr.append(el('th'));
      for (let i = 0; i < envs.length; i++) tr.append(el('td'));
    }
    if (!was || tr.firstChild.childNodes.length === 0 || service !== was.service) {
      const th = tr.firstChild;
      th.textContent = '';
      th.scope = 'row';
      const link = el('a', null, service.name);
      link.href = `/deployments?service=${encodeURIComponent(service.name)}`;
      th.append(link, el('span', 'tier', ` tier ${service.tier}`));
    }
    const before = was && envs === was.envs ? this.cells : null;
    let td = tr.firstChild.nextSibling;
    state.forEach((st, i) => {
      const old = before && before[i];
      if (!old || !sameTargets(old, st)) {
        td.textContent = '';
        fillCell(td, st, service.name);
      } else if (old.since !== st.since) {
        // Only the clock moved: the times' texts change in place, so a
        // link that holds the focus keeps it.
        const times = td.querySelectorAll('time');
        st.texts.filter((_, k) => st.entries[k].running).forEach((text, k) => {
          times[k].textContent = ` since ${text}`;
        });
      }
      td = td.nextSibling;
    });
    this.cells = state;
  }

  render() {
    return h('tr', { ref: this.tr });
  }
}

// The column headers of a team's table: painted again only when the
// environments or the freezes change, not on each live update of a row.
class Head extends Component {
  shouldComponentUpdate(next) {
    return next.envs !== this.props.envs || next.freezes !== this.props.freezes;
  }

  render({ envs, freezes }) {
    const frozen = (env) => freezes.some((f) => !f.environment || f.environment === env);
    return html`<colgroup><col class="col-service" />${envs.map((e) => html`<col key=${e.name} class="col-env" />`)}</colgroup>
    <thead><tr>
      <th scope="col">Service</th>
      ${envs.map((e) => html`<th scope="col" key=${e.name}>
        ${e.name}${e.protected ? html` <span class="tag" title="protected: governed by its policy">protected</span>` : ''}
        ${frozen(e.name) ? html` <span class="tag frozen"><span aria-hidden="true">❄ </span>frozen</span>` : ''}
      </th>`)}
    </tr></thead>`;
  }
}

// One team's table, named by its caption (the team and how many services
// it has) with its own column headers, so a screen reader names the team
// and the environment of each cell. Every team's table has the same
// column widths (matrix.css), so the columns line up down the page. The
// box around it is skipped by layout and paint while it is off screen;
// its height until it is first drawn is estimated from its rows (set
// here: a computed length, which the page's style policy only allows
// from script).
class Team extends Component {
  constructor(props) {
    super(props);
    this.box = createRef();
  }

  componentDidMount() {
    this.size();
  }

  componentDidUpdate() {
    this.size();
  }

  // Only when the count changes: a style change is a change to the
  // document, and a live update must change nothing but its own row.
  size() {
    const n = String(this.props.shown.length);
    if (this.box.current && this.rowsSet !== n) this.box.current.style.setProperty('--rows', (this.rowsSet = n));
  }

  render({ team, count, shown, rows, envs, freezes, tick }) {
    return html`<div class="team-box" ref=${this.box}><div class="table-scroll">
      <table class="matrix">
        <caption>${team} <span class="count">${count} service${count === 1 ? '' : 's'}</span></caption>
        <${Head} envs=${envs} freezes=${freezes} />
        <tbody>
          ${shown.map((s) => html`<${Row} key=${s.name} service=${s} row=${rows.get(s.name)} envs=${envs} tick=${tick} />`)}
        </tbody>
      </table>
    </div></div>`;
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
  const [freezes, setFreezesNow] = useState([]);
  // The freezes read again (each minute, and on a window event) replace
  // those shown only when they differ, so the column headers of every
  // team's table are not painted again for nothing.
  const setFreezes = (next) => setFreezesNow((old) => (JSON.stringify(old) === JSON.stringify(next) ? old : next));
  const [error, setError] = useState(null);
  const [loadingRows, setLoadingRows] = useState(false);
  const [live, setLive] = useState('connecting');
  const [said, setSaid] = useState('');
  const [text, setText] = useState('');
  const [tag, setTag] = useState('');
  const [tier, setTier] = useState('');
  const [tick, setTick] = useState(0);
  // How many rows the tables may hold, for the filters of generation gen:
  // every row for the filters the page opens with (generation 1).
  const [upTo, setUpTo] = useState({ gen: 1, n: Infinity });
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

  // Puts a whole read of the matrix in place in one render, keeping the
  // rows that did not change and those a live update placed since the
  // read began.
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
      .sort(([a], [b]) => byName(a, b))
      .map(([team, list]) => [team, list.sort((a, b) => byName(a.name, b.name))]);
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

  // The rows in the tables: those already there that the filters keep,
  // and new ones in order up to what the step allows (a new filter allows
  // a first screenful more than it keeps); the rest follow once that is
  // painted, while the summary says the matrix is still loading. A live
  // update changes rows in place and adds none but a new service's.
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
      timer = setTimeout(() => setUpTo({ gen, n: Infinity }), 0);
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
      : html`<div class="teams">
      ${visible.map(([team, list, rowsShown]) => html`<${Team} key=${team} team=${team} count=${list.length} shown=${rowsShown}
        rows=${rows} envs=${envs} freezes=${freezes} tick=${tick} />`)}
    </div>`}
    ${services.length === 0 ? html`<p>No services yet.</p>` : ''}
    <p class="hint">Times are in your zone; hover a time for its exact UTC value.</p>`;
}
