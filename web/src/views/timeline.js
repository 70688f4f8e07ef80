// timeline.js - a release's deployments drawn on one time axis, a lane per
// environment: each deployment a bar from its start to its end (or to now
// while it runs), each event a mark on it, and canary or blue-green traffic
// steps drawn as a rising line with their percentages. It is SVG made by
// preact, so the page's policy (no inline style) holds; colours are classes.
// The same facts are in words in each environment's list below it.
import { html, statusText } from '../ui.js';

const LANE = 46;
const LEFT = 150;
const RIGHT = 16;
const TOP = 26;
const WIDTH = 960;

const ms = (iso) => (iso ? new Date(iso).getTime() : null);

// The drawing's facts: lanes in the environments' promotion order, each
// deployment with its span, events and traffic steps.
function layout(envs, deployments, timelines, now) {
  const byId = new Map(timelines.map((t) => [t.id, t]));
  const lanes = envs
    .map((e) => ({ env: e.name, items: deployments.filter((d) => d.environment === e.name) }))
    .filter((l) => l.items.length);
  let lo = Infinity;
  let hi = -Infinity;
  for (const d of deployments) {
    const t = byId.get(d.id);
    const start = ms(d.started_at) ?? ms(d.created_at);
    const end = ms(d.finished_at) ?? (['in_progress', 'queued', 'stalled'].includes(d.status) ? now : start);
    lo = Math.min(lo, ms(d.created_at), start);
    hi = Math.max(hi, end, ...(t && t.events ? t.events.map((e) => ms(e.at)) : []));
  }
  if (hi - lo < 60000) hi = lo + 60000; // at least a minute wide
  const pad = (hi - lo) * 0.03;
  return { lanes, lo: lo - pad, hi: hi + pad, byId };
}

// Axis ticks: about six, at round moments in the viewer's zone.
function ticks(lo, hi) {
  const steps = [60e3, 300e3, 900e3, 3600e3, 3 * 3600e3, 6 * 3600e3, 86400e3, 7 * 86400e3, 30 * 86400e3];
  const step = steps.find((s) => (hi - lo) / s <= 6) || steps[steps.length - 1];
  const out = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi; t += step) out.push(t);
  return { out, step };
}

function tickLabel(t, step) {
  const d = new Date(t);
  return step >= 86400e3
    ? d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' })
    : d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
}

export function ReleaseTimeline({ envs, deployments, timelines, now = Date.now() }) {
  if (!deployments.length) return html`<p>Not deployed anywhere yet.</p>`;
  const { lanes, lo, hi, byId } = layout(envs, deployments, timelines, now);
  const x = (t) => LEFT + ((t - lo) / (hi - lo)) * (WIDTH - LEFT - RIGHT);
  const height = TOP + lanes.length * LANE + 8;
  const { out: marks, step } = ticks(lo, hi);
  const summary = lanes.map((l) => `${l.env}: ${l.items.map((d) => `${d.version} ${statusText(d.status)}`).join(', ')}`).join('; ');
  return html`<figure class="rtl">
    <svg viewBox=${`0 0 ${WIDTH} ${height}`} role="img" aria-label=${`Deployments over time. ${summary}`}>
      ${marks.map((t) => html`<g key=${t} class="rtl-tick">
        <line x1=${x(t)} x2=${x(t)} y1=${TOP - 6} y2=${height - 4} />
        <text x=${x(t)} y=${TOP - 10} text-anchor="middle">${tickLabel(t, step)}</text>
      </g>`)}
      ${lanes.map((lane, i) => {
        const y = TOP + i * LANE;
        return html`<g key=${lane.env}>
          <text class="rtl-env" x="4" y=${y + LANE / 2 + 4}>${lane.env}</text>
          <line class="rtl-lane" x1=${LEFT} x2=${WIDTH - RIGHT} y1=${y + LANE / 2} y2=${y + LANE / 2} />
          ${lane.items.map((d) => {
            const t = byId.get(d.id);
            const start = ms(d.started_at) ?? ms(d.created_at);
            const end = ms(d.finished_at) ?? (['in_progress', 'queued', 'stalled'].includes(d.status) ? now : start);
            const x0 = x(start);
            const x1 = Math.max(x(end), x0 + 4);
            const events = (t && t.events) || [];
            const steps = events.filter((e) => e.traffic_percent !== null && e.traffic_percent !== undefined);
            const mid = y + LANE / 2;
            return html`<g key=${d.id} class=${`rtl-dep rtl-${d.status}`}>
              <title>${`Deployment ${d.id}: ${d.version} ${statusText(d.status)} in ${d.environment}${d.target ? ` / ${d.target}` : ''}`}</title>
              <rect x=${x0} y=${mid - 7} width=${x1 - x0} height="14" rx="3" />
              ${events.map((e) => html`<circle key=${e.seq ?? e.id} class="rtl-event" cx=${x(ms(e.at))} cy=${mid} r="3.5">
                <title>${`${new Date(e.at).toLocaleString()}: ${[e.status && statusText(e.status), e.traffic_percent != null && `traffic ${e.traffic_percent}%`, e.message].filter(Boolean).join(', ')}`}</title>
              </circle>`)}
              ${steps.length ? html`<polyline class="rtl-traffic"
                points=${steps.map((e) => `${x(ms(e.at))},${mid + 14 - (e.traffic_percent / 100) * 28}`).join(' ')} />` : ''}
              ${steps.map((e) => html`<text key=${`p${e.seq ?? e.id}`} class="rtl-pct" x=${x(ms(e.at))} y=${mid - 10} text-anchor="middle">${e.traffic_percent}%</text>`)}
              <text class="rtl-label" x=${x1 + 4} y=${mid + 4}>${d.version}</text>
            </g>`;
          })}
        </g>`;
      })}
    </svg>
    <figcaption>Each bar is a deployment from its start to its end; dots are its events; a line above
      a canary or blue-green bar is its traffic, with each step's percentage. Hover for details; the
      same events are listed in words under each environment.</figcaption>
  </figure>`;
}
