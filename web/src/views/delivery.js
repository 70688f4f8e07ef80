// delivery.js - /delivery: the DORA delivery measures the server computes
// from the record (GET /v1/metrics/dora), per bucket as uPlot charts with
// the same figures as tables, and for the period with the period before,
// the trend and each measure's performance level. The filters live in the
// query string so a link carries them. The page decides nothing: every
// figure, level and trend is the server's.
import uPlot from 'uplot';
import { useEffect, useRef, useState } from 'preact/hooks';
import * as api from '../api.js';
import { resolve } from '../chart.js';
import { duration, html, Loading, navigate, Problem, queryOf, useLoad } from '../ui.js';

const FILTERS = ['from', 'to', 'bucket', 'tz', 'environment', 'service', 'team'];

const pct = (v) => (v === null || v === undefined ? '—' : `${(v * 100).toFixed(1)} %`);
// Refusals per failing check, as "approvals 2, windows 1".
const reasons = (r) => (r && Object.keys(r).length ? Object.entries(r).map(([k, n]) => `${k} ${n}`).join(', ') : '—');
const perDay = (v) => (v === null || v === undefined ? '—' : v.toFixed(2));

// The measures shown: their name, how to read one from a bucket, how to
// write it, and the key of its level and trend in the answer.
const MEASURES = [
  { name: 'Deployment frequency (a day)', get: (b) => b.deployment_frequency_per_day, show: perDay, level: 'deployment_frequency', trend: 'deployment_frequency_per_day' },
  { name: 'Change lead time (median)', get: (b) => b.lead_time_seconds.p50, show: duration, level: 'lead_time', trend: 'lead_time_p50', seconds: true },
  { name: 'Change failure rate', get: (b) => b.change_failure_rate, show: pct, level: 'change_failure_rate', trend: 'change_failure_rate', rate: true },
  { name: 'Failed deployment recovery time (median)', get: (b) => b.recovery_time_seconds.p50, show: duration, level: 'recovery_time', trend: 'recovery_time_p50', seconds: true },
  { name: 'Rework rate', get: (b) => b.rework_rate, show: pct, level: 'rework_rate', trend: 'rework_rate', rate: true },
];

// A trend in words with an arrow, so it never rests on colour alone.
const TREND = { better: '▲ better', worse: '▼ worse', same: '= same' };

function Level({ level }) {
  return level ? html`<span class=${`level level-${level}`}>${level}</span>` : html`<span class="meta">no level</span>`;
}

// One measure over the buckets, drawn by uPlot; hidden from screen
// readers, which read the table beside it.
function Plot({ buckets, m }) {
  const box = useRef(null);
  useEffect(() => {
    const [stroke, line] = resolve(box.current, ['--chart-1', '--line']);
    const ink = getComputedStyle(box.current).color;
    const grid = { stroke: line };
    const width = () => Math.max(280, Math.min(box.current.clientWidth, 1100));
    const xs = buckets.map((b) => Date.parse(b.start) / 1000);
    const ys = buckets.map((b) => {
      const v = m.get(b);
      return v === null || v === undefined ? null : m.rate ? v * 100 : m.seconds ? v / 3600 : v;
    });
    const plot = new uPlot({
      width: width(),
      height: 180,
      scales: { x: { time: true } },
      axes: [{ stroke: ink, grid }, { stroke: ink, grid, label: m.rate ? '%' : m.seconds ? 'hours' : 'a day' }],
      series: [{}, { label: m.name, stroke, width: 2, points: { show: true }, spanGaps: false }],
    }, [xs, ys], box.current);
    const resize = () => plot.setSize({ width: width(), height: 180 });
    addEventListener('resize', resize);
    return () => {
      removeEventListener('resize', resize);
      plot.destroy();
    };
  }, [buckets, m]);
  return html`<div class="chart" ref=${box} aria-hidden="true"></div>`;
}

function MeasureChart({ data, m, i }) {
  const id = `h-measure-${i}`;
  return html`<section class="chart-box delivery-measure" aria-labelledby=${id}>
    <h2 id=${id}>${m.name}</h2>
    <p class="delivery-now">${m.show(m.get(data.overall))} <${Level} level=${data.overall.level[m.level]} />
      ${data.trend[m.trend] ? html`<span class=${`trend trend-${data.trend[m.trend]}`}>${TREND[data.trend[m.trend]]}</span>` : ''}</p>
    <${Plot} buckets=${data.buckets} m=${m} />
    <details>
      <summary>The same as a table</summary>
      <table>
        <thead><tr><th scope="col">${data.bucket}</th><th scope="col">Deployments</th><th scope="col">${m.name}</th></tr></thead>
        <tbody>${data.buckets.map((b) => html`<tr key=${b.start}>
          <th scope="row">${b.label}</th><td>${b.deployments}</td><td>${m.show(m.get(b))}</td>
        </tr>`)}</tbody>
      </table>
    </details>
  </section>`;
}

// The period against the one before, one row a measure.
function Summary({ data }) {
  const o = data.overall;
  const p = data.previous.overall;
  return html`<div class="table-scroll"><table class="delivery-summary">
    <caption>From ${data.from.slice(0, 10)} to ${data.to.slice(0, 10)} against the period before; levels of the DORA ${data.levels_year} report</caption>
    <thead><tr><th scope="col">Measure</th><th scope="col">This period</th><th scope="col">Before</th><th scope="col">Trend</th><th scope="col">Level</th></tr></thead>
    <tbody>
      <tr><th scope="row">Production deployments</th><td>${o.deployments}</td><td>${p.deployments}</td><td></td><td></td></tr>
      ${MEASURES.map((m) => html`<tr key=${m.name}>
        <th scope="row">${m.name}</th><td>${m.show(m.get(o))}</td><td>${m.show(m.get(p))}</td>
        <td>${data.trend[m.trend] ? TREND[data.trend[m.trend]] : '—'}</td>
        <td><${Level} level=${o.level[m.level]} /></td>
      </tr>`)}
      <tr><th scope="row">Rollback rate</th><td>${pct(o.rollback_rate)}</td><td>${pct(p.rollback_rate)}</td><td>${data.trend.rollback_rate ? TREND[data.trend.rollback_rate] : '—'}</td><td></td></tr>
      <tr><th scope="row">Rollout time (median, p95)</th><td>${duration(o.deployment_duration_seconds.p50)}, ${duration(o.deployment_duration_seconds.p95)}</td><td>${duration(p.deployment_duration_seconds.p50)}, ${duration(p.deployment_duration_seconds.p95)}</td><td></td><td></td></tr>
      <tr><th scope="row">Failed rollouts (never in production)</th><td>${o.failed_rollouts}</td><td>${p.failed_rollouts}</td><td></td><td></td></tr>
      <tr><th scope="row">Gate refusal rate (starts refused)</th><td>${pct(o.gate_refusal_rate)}</td><td>${pct(p.gate_refusal_rate)}</td><td>${data.trend.gate_refusal_rate ? TREND[data.trend.gate_refusal_rate] : '—'}</td><td></td></tr>
      <tr><th scope="row">Refusals by failing check</th><td>${reasons(o.gate_refusal_reasons)}</td><td>${reasons(p.gate_refusal_reasons)}</td><td></td><td></td></tr>
      <tr><th scope="row">Approval wait (median, p90)</th><td>${duration(o.approval_wait_seconds.p50)}, ${duration(o.approval_wait_seconds.p90)}</td><td>${duration(p.approval_wait_seconds.p50)}, ${duration(p.approval_wait_seconds.p90)}</td><td>${data.trend.approval_wait_p50 ? TREND[data.trend.approval_wait_p50] : '—'}</td><td></td></tr>
    </tbody>
  </table></div>
  <p class="meta">Production environments: ${data.production_environments.join(', ') || 'none'}.</p>`;
}

export function Delivery({ search }) {
  const q = queryOf(search);
  const query = Object.fromEntries(FILTERS.filter((k) => q[k]).map((k) => [k, q[k]]));
  const { data, error } = useLoad(() => api.dora(query), [search]);
  const [form, setForm] = useState(Object.fromEntries(FILTERS.map((k) => [k, q[k] || ''])));
  const set = (k) => (e) => setForm({ ...form, [k]: e.currentTarget.value });
  const apply = (e) => {
    e.preventDefault();
    const p = new URLSearchParams(Object.entries(form).filter(([, v]) => v.trim()).map(([k, v]) => [k, v.trim()]));
    navigate(`/delivery${p.toString() ? `?${p}` : ''}`);
  };
  return html`<h1 tabindex="-1">Delivery</h1>
    <p class="subtitle">How often changes reach production, how fast, how often they fail and how fast service comes back: the DORA measures, from the record.</p>
    <form class="filters" aria-label="Choose the period and filters" onSubmit=${apply}>
      <label>From <input value=${form.from} onInput=${set('from')} placeholder="2026-01-01T00:00:00Z" spellcheck=${false} /></label>
      <label>To <input value=${form.to} onInput=${set('to')} placeholder="now" spellcheck=${false} /></label>
      <label>Bucket <select value=${form.bucket || 'week'} onChange=${set('bucket')}>
        <option value="day">day</option><option value="week">week</option><option value="month">month</option>
      </select></label>
      <label>Time zone <input value=${form.tz} onInput=${set('tz')} placeholder="UTC" spellcheck=${false} /></label>
      <label>Environment <input value=${form.environment} onInput=${set('environment')} spellcheck=${false} /></label>
      <label>Service <input value=${form.service} onInput=${set('service')} spellcheck=${false} /></label>
      <label>Team <input value=${form.team} onInput=${set('team')} spellcheck=${false} /></label>
      <button type="submit">Show</button>
    </form>
    ${error ? html`<${Problem} error=${error} />`
      : !data ? html`<${Loading} what="Computing the delivery measures" />`
        : html`<${Summary} data=${data} />
          <div class="delivery-charts">${MEASURES.map((m, i) => html`<${MeasureChart} key=${m.name} data=${data} m=${m} i=${i} />`)}</div>`}`;
}
