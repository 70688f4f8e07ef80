// policies.js - each environment's policy at /policies: the current
// version read as sentences (one per field, from the SENTENCES table), its
// versions with a sentence-by-sentence comparison of any two, and, for a
// role that may write policies, an editor for the whole document. The
// environment and the two compared versions live in the query string
// (/policies?environment=production&from=2&to=3), so a link carries them.
// The page stays live: a policy.update event re-reads the shown policy.
import { useEffect, useRef, useState } from 'preact/hooks';
import * as api from '../api.js';
import { can, html, Loading, navigate, NotAllowed, Problem, queryOf, Time, useLoad } from '../ui.js';

// ---- words ----

// "a", "a and b", "a, b and c": a list as a person writes it.
function list(words) {
  if (words.length <= 1) return words.join('');
  return `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`;
}

const plural = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const quoted = (items) => list(items.map((i) => `“${i}”`));
const roleWord = (role) => String(role).replace(/_/g, ' ');
const typesWord = (types) => `${list(types)} releases`;

// A number of hours, with the days beside it when they are whole, so
// "72 hours (3 days)" reads at a glance.
const hoursWord = (h) => `${plural(h, 'hour')}${h >= 24 && h % 24 === 0 ? ` (${plural(h / 24, 'day')})` : ''}`;

// A number of minutes, with whole days or hours and minutes beside it
// once there is an hour or more.
function minutesWord(m) {
  const rest = m % 60 ? ` ${m % 60} min` : '';
  const beside = m % 1440 === 0 ? plural(m / 1440, 'day') : `${Math.floor(m / 60)} h${rest}`;
  return `${plural(m, 'minute')}${m >= 60 ? ` (${beside})` : ''}`;
}

// ---- the sentence table ----

// One row per policy field (a dotted path for the fields of segregation
// and change_request, whose rules read best one by one): say(value, ctx)
// answers the sentence a release manager reads. ctx holds env (the
// environment's name) and envDoc (its document, when known). The server
// decides what each field does; these sentences only say it in words, as
// docs/governance.md describes the fields.
const SENTENCES = [
  {
    field: 'approvals',
    say: (groups, { env }) => {
      if (!groups.length) return `Deployments to ${env} need no approvals.`;
      const parts = groups.map((g, i) => (i === 0
        ? `${plural(g.count, 'approval')} from group ${g.group}`
        : `${g.count} from group ${g.group}`));
      return `Deployments to ${env} need ${list(parts)}.`;
    },
  },
  {
    field: 'approval_valid_hours',
    say: (h, { env }) => (h === 0
      ? `Approvals and rejections for ${env} never expire.`
      : `Approvals and rejections for ${env} expire ${hoursWord(h)} after they are given.`),
  },
  {
    field: 'segregation.author_may_not_approve',
    say: (on, { env }) => (on
      ? `The person who created a release may not approve it for ${env}.`
      : `The person who created a release may also approve it for ${env}.`),
  },
  {
    field: 'segregation.approver_may_not_deploy',
    say: (on, { env }) => (on
      ? `A person who approved a release for ${env} may not deploy it there.`
      : `A person who approved a release for ${env} may also deploy it there.`),
  },
  {
    field: 'segregation.deployer_may_not_be_author',
    say: (on, { env }) => (on
      ? `The person who created a release may not deploy it to ${env}.`
      : `The person who created a release may also deploy it to ${env}.`),
  },
  {
    field: 'checklists',
    say: (lists, { env }) => {
      if (!lists.length) return `No checklist must be completed before deploying to ${env}.`;
      const parts = lists.map((l) => {
        const types = l.release_types || [];
        const who = types.length ? `${typesWord(types)} need` : 'every release needs';
        return `${who} ${quoted(l.items || [])} completed`;
      });
      return `Before deploying to ${env}, ${parts.join('; ')}.`;
    },
  },
  {
    field: 'change_request.required',
    say: (on, { env }) => (on
      ? `Deployments to ${env} need an approved change request whose planned window covers the deployment.`
      : `Deployments to ${env} need no change request.`),
  },
  {
    field: 'change_request.standard_types',
    say: (types) => (types.length
      ? `A standard change request pre-approves ${typesWord(types)}, whatever its state and window.`
      : 'No release type is pre-approved by a standard change request.'),
  },
  {
    field: 'windows_mode',
    say: (mode, { env }) => ({
      normal: `Deployments to ${env} may run whenever no freeze or blackout window is in force.`,
      maintenance_only: `Deployments to ${env} may run only inside a maintenance window, and never while a freeze or blackout is in force.`,
    })[mode],
  },
  {
    field: 'promotion',
    say: (on, { env }) => (on
      ? `A release must have succeeded in the environment ranked just below ${env} before it may go to ${env}.`
      : `A release may go to ${env} without having succeeded in the environment below it.`),
  },
  {
    field: 'soak_minutes',
    say: (m, { env }) => (m === 0
      ? `No soak time is asked for in the environment below ${env}.`
      : `When promotion is required, ${minutesWord(m)} must pass after a release succeeded in the environment below ${env} before it may go to ${env}.`),
  },
  {
    field: 'max_concurrent',
    say: (n, { env, envDoc }) => {
      if (n === null) {
        const own = envDoc ? (envDoc.max_concurrent === 0 ? ', which now sets no limit' : `, now ${envDoc.max_concurrent}`) : '';
        return `How many deployments may be in progress in ${env} at once is the environment's own setting${own}.`;
      }
      return n === 0
        ? `Any number of deployments may be in progress in ${env} at once.`
        : `At most ${plural(n, 'deployment')} may be in progress in ${env} at once.`;
    },
  },
  {
    field: 'override_roles',
    say: (roles, { env }) => (roles.length
      ? `Only the role${roles.length > 1 ? 's' : ''} ${list(roles.map(roleWord))} may override the gates for ${env}, and only for emergency releases.`
      : `No role may override the gates for ${env}, not even for an emergency release.`),
  },
];

// The value at a dotted path of an object, or undefined.
function at(obj, path) {
  return path.split('.').reduce((o, k) => (o && typeof o === 'object' && !Array.isArray(o) ? o[k] : undefined), obj);
}

// Every field of the table, then any field of the policy the table does
// not know (a newer server's, say), so every field is said in words.
function fieldsOf(...policies) {
  const known = SENTENCES.map((s) => s.field);
  const extra = [];
  for (const p of policies) {
    for (const [k, v] of Object.entries(p || {})) {
      const split = known.some((f) => f.startsWith(`${k}.`));
      const paths = split && v && typeof v === 'object' && !Array.isArray(v)
        ? Object.keys(v).map((s) => `${k}.${s}`)
        : [k];
      for (const path of paths) if (!known.includes(path) && !extra.includes(path)) extra.push(path);
    }
  }
  return [...known, ...extra];
}

// The sentence for one field of a policy. A field missing from a stored
// version, or a value its sentence cannot read, is said plainly rather
// than guessed at.
function sentence(policy, field, ctx) {
  const value = at(policy, field);
  if (value === undefined) return `${field} is not set in this version.`;
  const row = SENTENCES.find((s) => s.field === field);
  try {
    const text = row && row.say(value, ctx);
    if (text) return text;
  } catch {
    // an unexpected value: fall through to the plain form
  }
  return `${field} is set to ${JSON.stringify(value)}.`;
}

// JSON with the keys of every object sorted, so two values compare equal
// exactly when they hold the same data.
function canon(v) {
  if (Array.isArray(v)) return `[${v.map(canon).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canon(v[k])}`).join(',')}}`;
  return v === undefined ? 'undefined' : JSON.stringify(v);
}

// A field's dotted name with places to break after each dot and
// underscore, so a long name wraps between its words and not inside them.
function FieldName({ field }) {
  const parts = field.split(/(?<=[._])/);
  return html`${parts.map((p, i) => html`${i ? html`<wbr />` : ''}${p}`)}`;
}

// The in-app link of env's policy, with the compared versions if given.
const pathOf = (env, extra = {}) => {
  const q = new URLSearchParams({ environment: env });
  for (const [k, v] of Object.entries(extra)) if (v !== undefined && v !== null) q.set(k, String(v));
  return `/policies?${q}`;
};

// ---- the page ----

// The environment picker: a form, so choosing does not move the page
// until the person asks for it.
function Picker({ envs, env }) {
  const [name, setName] = useState(env);
  const submit = (e) => {
    e.preventDefault();
    navigate(pathOf(name));
  };
  return html`<form class="filters" aria-label="Whose policy to show" onSubmit=${submit}>
    <div class="pol-pick">
      <label for="pol-env">Environment</label>
      <select id="pol-env" value=${name} onChange=${(e) => setName(e.currentTarget.value)}>
        ${envs.map((e) => html`<option key=${e.name} value=${e.name}>${e.name}</option>`)}
      </select>
    </div>
    <button type="submit">Show its policy</button>
  </form>`;
}

// The current policy: who saved it and when, one sentence per field, and
// the document itself for whoever wants the exact JSON.
function Current({ current, ctx, live }) {
  const { env } = ctx;
  return html`<section aria-labelledby="h-pol-current" class="pol-current">
    <div class="title-row">
      <h2 id="h-pol-current">The policy for ${env}</h2>
      <p class=${`live live-${live}`}>
        <span aria-hidden="true">● </span>${live === 'live' || live === 'resumed' ? 'Live' : live === 'connecting' ? 'Connecting…' : 'Reconnecting…'}
      </p>
    </div>
    <p class="subtitle">${current.version === 0
      ? html`Version 0: no policy has been saved for ${env}, so the defaults apply.`
      : html`Version ${current.version}, saved <${Time} at=${current.created_at} /> by ${current.created_by}.`}</p>
    <ul class="pol-sentences">
      ${fieldsOf(current.policy).map((f) => html`<li key=${f}>
        <span class="pol-sentence">${sentence(current.policy, f, ctx)}</span>
        <code class="pol-field"><${FieldName} field=${f} /></code>
      </li>`)}
    </ul>
    <details class="pol-json">
      <summary>The policy as JSON (version ${current.version})</summary>
      <pre><code>${JSON.stringify(current.policy, null, 2)}</code></pre>
    </details>
  </section>`;
}

// The versions, newest first, with a pair of radio buttons on each row to
// choose the two to compare (once there are two); comparing moves to a
// link that names them.
function Versions({ env, versions, from, to }) {
  const [pick, setPick] = useState({ from, to });
  const newest = [...versions].reverse();
  const compare = versions.length >= 2;
  const submit = (e) => {
    e.preventDefault();
    navigate(pathOf(env, pick));
  };
  return html`<form onSubmit=${submit} aria-label="Choose two versions to compare">
    <div class="table-scroll"><table class="pol-versions">
      <caption class="sr">Versions of the ${env} policy, newest first</caption>
      <thead><tr>
        ${compare ? html`<th scope="col">Compare from</th><th scope="col">to</th>` : ''}
        <th scope="col">Version</th><th scope="col">Saved</th><th scope="col">By</th>
      </tr></thead>
      <tbody>${newest.map((v) => html`<tr key=${v.version}>
        ${compare ? html`<td><label class="pol-radio"><input type="radio" name="from" value=${v.version}
          checked=${pick.from === v.version} onChange=${() => setPick({ ...pick, from: v.version })} />
          <span class="sr">Compare from version ${v.version}</span></label></td>
        <td><label class="pol-radio"><input type="radio" name="to" value=${v.version}
          checked=${pick.to === v.version} onChange=${() => setPick({ ...pick, to: v.version })} />
          <span class="sr">Compare to version ${v.version}</span></label></td>` : ''}
        <th scope="row">Version ${v.version}</th>
        <td><${Time} at=${v.created_at} /></td>
        <td>${v.created_by}</td>
      </tr>`)}</tbody>
    </table></div>
    ${compare ? html`<p><button type="submit" disabled=${pick.from === undefined || pick.to === undefined}>Compare the chosen versions</button></p>` : ''}
  </form>`;
}

// Two versions side by side, field by field, as sentences: a changed
// field says so in a word (and an icon), so the change never rests on
// colour alone. Unchanged fields are hidden until asked for. On a narrow
// screen the CSS stacks each row; the explicit roles keep it a table for
// assistive technology when its display changes.
function Diff({ a, b, ctx }) {
  const [all, setAll] = useState(false);
  const rows = fieldsOf(a.policy, b.policy).map((f) => ({
    field: f,
    before: sentence(a.policy, f, ctx),
    after: sentence(b.policy, f, ctx),
    changed: canon(at(a.policy, f)) !== canon(at(b.policy, f)),
  }));
  const changed = rows.filter((r) => r.changed);
  const shown = all ? rows : changed;
  const before = `Before (version ${a.version})`;
  const after = `After (version ${b.version})`;
  return html`<section aria-labelledby="h-pol-diff" class="pol-diff">
    <h3 id="h-pol-diff">Version ${a.version} → version ${b.version}</h3>
    <p>${changed.length
      ? html`${plural(changed.length, 'field')} changed: ${list(changed.map((r) => r.field))}.`
      : html`Versions ${a.version} and ${b.version} say the same in every field.`}</p>
    <label class="pol-check"><input type="checkbox" checked=${all} onChange=${(e) => setAll(e.currentTarget.checked)} />
      Show the unchanged fields too</label>
    ${shown.length ? html`<table class="pol-diff-table" role="table">
      <caption class="sr">Each field of the policy in version ${a.version} and version ${b.version}</caption>
      <thead role="rowgroup"><tr role="row">
        <th scope="col" role="columnheader">Field</th><th scope="col" role="columnheader">Change</th>
        <th scope="col" role="columnheader">${before}</th><th scope="col" role="columnheader">${after}</th>
      </tr></thead>
      <tbody role="rowgroup">${shown.map((r) => html`<tr key=${r.field} role="row" class=${r.changed ? 'pol-row-changed' : ''}>
        <th scope="row" role="rowheader"><code><${FieldName} field=${r.field} /></code></th>
        <td role="cell">${r.changed
          ? html`<span class="pol-mark pol-mark-changed"><span aria-hidden="true">✎ </span>changed</span>`
          : html`<span class="pol-mark"><span aria-hidden="true">= </span>same</span>`}</td>
        <td role="cell" data-label=${before}>${r.before}</td>
        <td role="cell" data-label=${after}>${r.after}</td>
      </tr>`)}</tbody>
    </table>` : ''}
  </section>`;
}

// The versions section: the list, and the comparison the query string
// names (by default the newest two, so the latest change is in view).
function History({ env, versions, q, ctx }) {
  if (!versions.length) {
    return html`<p>No policy has been saved for ${env} yet, so there are no versions to compare.</p>`;
  }
  const num = (s) => (/^\d+$/.test(s || '') ? Number(s) : undefined);
  const n = versions.length;
  const from = num(q.from) ?? (n >= 2 ? versions[n - 2].version : undefined);
  const to = num(q.to) ?? (n >= 2 ? versions[n - 1].version : undefined);
  const a = versions.find((v) => v.version === from);
  const b = versions.find((v) => v.version === to);
  const missing = [[q.from, a], [q.to, b]].filter(([s, v]) => s !== undefined && !v).map(([s]) => s);
  return html`
    <${Versions} key=${`${from}-${to}-${n}`} env=${env} versions=${versions} from=${from} to=${to} />
    ${missing.length
      ? html`<p class="warning">The ${env} policy has no version ${list(missing)}; its versions are ${list(versions.map((v) => String(v.version)))}.</p>`
      : ''}
    ${a && b ? html`<${Diff} a=${a} b=${b} ctx=${ctx} />` : ''}
    ${n < 2 ? html`<p>Only one version so far: a comparison needs two.</p>` : ''}`;
}

// The editor: the whole document as JSON, sent as a new version. The text
// is parsed here only because the API takes a document; what the document
// may hold is the server's to judge, and its refusal is shown as it
// answered. A draft with edits is kept when another version arrives, with
// a note saying which version it was started from.
function Editor({ env, current, onSaved }) {
  const textOf = (p) => JSON.stringify(p, null, 2);
  const [draft, setDraft] = useState({ text: textOf(current.policy), base: textOf(current.policy), version: current.version });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [syntax, setSyntax] = useState(null);

  useEffect(() => {
    setDraft((d) => (d.text === d.base
      ? { text: textOf(current.policy), base: textOf(current.policy), version: current.version }
      : d));
  }, [current.version]);

  const save = async (e) => {
    e.preventDefault();
    setError(null);
    setSyntax(null);
    let doc;
    try {
      doc = JSON.parse(draft.text);
    } catch (err) {
      setSyntax(err.message);
      return;
    }
    setBusy(true);
    try {
      const made = await api.putPolicy(env, doc, draft.version || undefined);
      const text = textOf(made.policy);
      setDraft({ text, base: text, version: made.version });
      onSaved(made);
    } catch (err) {
      setError(err);
    }
    setBusy(false);
  };
  const reset = () => {
    setError(null);
    setSyntax(null);
    setDraft({ text: textOf(current.policy), base: textOf(current.policy), version: current.version });
  };
  const stale = draft.version !== current.version;
  const invalid = Boolean(error || syntax);
  return html`<form class="pol-editor" onSubmit=${save}>
    <label for="pol-text">Policy JSON for ${env}</label>
    <p class="hint" id="pol-text-hint">The whole document: a field left out takes its default. Saving keeps a new version; the older ones stay.</p>
    ${stale ? html`<p class="warning">Version ${current.version} was saved while you were editing; your text started from
      version ${draft.version}. The server refuses to save it over a version you have not read: start again from
      version ${current.version}, or copy your text out first.</p>` : ''}
    <textarea id="pol-text" rows="22" spellcheck="false" autocomplete="off"
      aria-describedby=${invalid ? 'pol-text-hint pol-text-error' : 'pol-text-hint'} aria-invalid=${invalid ? 'true' : undefined}
      value=${draft.text} onInput=${(e) => setDraft({ ...draft, text: e.currentTarget.value })}></textarea>
    <div id="pol-text-error">
      ${syntax ? html`<div class="problem" role="alert"><p><strong>Not valid JSON</strong>: ${syntax}. Nothing was sent.</p></div>` : ''}
      <${Problem} error=${error} />
    </div>
    <div class="buttons">
      <button type="submit" disabled=${busy}>${busy ? 'Saving…' : 'Save the policy'}</button>
      <button type="button" class="secondary" onClick=${reset} disabled=${busy}>Start again from version ${current.version}</button>
    </div>
  </form>`;
}

// One environment's policy, versions and editor, kept live by the
// policy.update events of that environment.
function EnvPolicy({ env, envDoc, q, session }) {
  const { data, error, reload } = useLoad(async () => {
    const [current, versions] = await Promise.all([api.policy(env), api.policyVersions(env)]);
    return { current, versions: versions.items || [] };
  }, [env]);
  const [live, setLive] = useState('connecting');
  const [said, setSaid] = useState('');
  const seen = useRef(null);

  useEffect(() => api.subscribe({
    types: ['policy.update'],
    query: { environment: env },
    onEvent: (ev) => {
      if (ev.environment === env || ev.object_id === env) reload();
    },
    onState: (st) => {
      setLive(st);
      if (st === 'resumed') reload();
    },
  }), [env, reload]);

  // Say a new version aloud (and on screen) when one arrives while the
  // page is open, whether saved here or elsewhere.
  useEffect(() => {
    if (!data) return;
    const v = data.current.version;
    if (seen.current !== null && v !== seen.current) {
      setSaid(`Version ${v} of the ${env} policy was saved by ${data.current.created_by}.`);
    }
    seen.current = v;
  }, [data && data.current.version]);

  if (error) return html`<${Problem} error=${error} />`;
  if (!data) return html`<${Loading} what=${`Loading the ${env} policy`} />`;
  const ctx = { env, envDoc };
  return html`
    <p class="pol-said" role="status">${said ? html`<span aria-hidden="true">✓ </span>${said}` : ''}</p>
    <${Current} current=${data.current} ctx=${ctx} live=${live} />
    <section aria-labelledby="h-pol-versions">
      <h2 id="h-pol-versions">Versions</h2>
      <${History} env=${env} versions=${data.versions} q=${q} ctx=${ctx} />
    </section>
    <section aria-labelledby="h-pol-edit">
      <h2 id="h-pol-edit">Edit the policy</h2>
      ${can(session, 'policy.write')
        ? html`<${Editor} env=${env} current=${data.current} onSaved=${reload} />`
        : html`<${NotAllowed} session=${session} action="policy.write">Editing the policy<//>`}
    </section>`;
}

export function Policies({ session, search }) {
  const q = queryOf(search);
  const { data: envs, error } = useLoad(() => api.environments(), []);
  const head = html`<h1 tabindex="-1">Policies</h1>`;
  if (error) return html`${head}<${Problem} error=${error} />`;
  if (!envs) return html`${head}<${Loading} what="Loading the environments" />`;
  if (!envs.length) return html`${head}<p>There are no environments yet, so there is no policy to show.</p>`;
  // Without a choice, the highest-ranked environment (production, as a
  // rule): the one whose policy is asked about most.
  const env = q.environment || envs[envs.length - 1].name;
  const envDoc = envs.find((e) => e.name === env);
  return html`<div class="policies">
    ${head}
    <p class="subtitle">What each environment demands before a release may be deployed there, in words, with every earlier version.</p>
    <${Picker} key=${env} envs=${envDoc ? envs : [{ name: env }, ...envs]} env=${env} />
    <${EnvPolicy} key=${env} env=${env} envDoc=${envDoc} q=${q} session=${session} />
  </div>`;
}
