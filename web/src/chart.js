// chart.js - deployments per day per environment over the last 30 days,
// drawn by uPlot, with the same numbers as a table for those who do not
// read charts (and for screen readers).
import uPlot from 'uplot';
import { useEffect, useRef } from 'preact/hooks';
import * as api from './api.js';
import { html, Problem, useLoad } from './ui.js';

const DAYS = 30;
const DAY_MS = 86400000;
// Enough to draw a busy month; beyond it the chart says it is cut.
const MAX = 5000;

function midnight(t) {
  const d = new Date(t);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

// {days: [unix seconds], series: {env: [count per day]}, cut}
async function load(envs, filter) {
  const start = midnight(Date.now() - (DAYS - 1) * DAY_MS);
  const list = await api.recentDeployments({ ...filter, since: new Date(start).toISOString(), until: undefined }, MAX);
  const days = Array.from({ length: DAYS }, (_, i) => midnight(start + i * DAY_MS + DAY_MS / 2));
  const series = Object.fromEntries(envs.map((e) => [e.name, new Array(DAYS).fill(0)]));
  for (const d of list) {
    const i = days.indexOf(midnight(new Date(d.created_at).getTime()));
    if (i >= 0 && series[d.environment]) series[d.environment][i]++;
  }
  return { days: days.map((t) => t / 1000), series, cut: list.length >= MAX };
}

// Colours come from the style sheet, so both themes hold. The variables
// hold light-dark() pairs, which only an element resolves: each is read
// back as the computed colour of a probe inside box.
export function resolve(box, names) {
  const probe = document.createElement('span');
  box.appendChild(probe);
  const out = names.map((n) => {
    probe.style.color = `var(${n})`;
    return getComputedStyle(probe).color;
  });
  probe.remove();
  return out;
}

function palette(box, n) {
  return resolve(box, Array.from({ length: n }, (_, i) => `--chart-${(i % 6) + 1}`));
}

function Plot({ data, envs }) {
  const box = useRef(null);
  useEffect(() => {
    const colours = palette(box.current, envs.length);
    const ink = getComputedStyle(box.current).color;
    const grid = { stroke: resolve(box.current, ['--line'])[0] };
    const width = () => Math.max(280, Math.min(box.current.clientWidth, 1100));
    const plot = new uPlot({
      width: width(),
      height: 220,
      scales: { x: { time: true } },
      axes: [{ stroke: ink, grid }, { stroke: ink, grid }],
      series: [{}, ...envs.map((e, i) => ({
        label: e.name, stroke: colours[i], width: 2, points: { show: true },
      }))],
    }, [data.days, ...envs.map((e) => data.series[e.name])], box.current);
    const resize = () => plot.setSize({ width: width(), height: 220 });
    addEventListener('resize', resize);
    return () => {
      removeEventListener('resize', resize);
      plot.destroy();
    };
  }, [data, envs]);
  return html`<div class="chart" ref=${box} aria-hidden="true"></div>`;
}

export function DeploysChart({ envs, filter }) {
  const key = JSON.stringify(filter);
  const { data, error } = useLoad(() => load(envs, filter), [key, envs]);
  if (error) return html`<${Problem} error=${error} />`;
  if (!data) return null;
  const busy = data.days.map((t, i) => [t, envs.map((e) => data.series[e.name][i])]).filter(([, n]) => n.some((x) => x));
  return html`<section class="chart-box" aria-labelledby="h-chart">
    <h2 id="h-chart">Deployments per day, last ${DAYS} days</h2>
    ${data.cut ? html`<p>Only the newest ${MAX} deployments are counted.</p>` : ''}
    <${Plot} data=${data} envs=${envs} />
    <details>
      <summary>The same as a table</summary>
      ${busy.length ? html`<table>
        <thead><tr><th scope="col">Day</th>${envs.map((e) => html`<th scope="col" key=${e.name}>${e.name}</th>`)}</tr></thead>
        <tbody>${busy.map(([t, n]) => html`<tr key=${t}>
          <th scope="row">${new Date(t * 1000).toLocaleDateString()}</th>${n.map((x, i) => html`<td key=${i}>${x}</td>`)}
        </tr>`)}</tbody>
      </table>` : html`<p>No deployments in these days.</p>`}
    </details>
  </section>`;
}
