// audit.js - placeholder until the audit browser lands.
import { html, pretty } from '../ui.js';

export function ChangeList({ change }) {
  return html`<pre>${pretty(change)}</pre>`;
}

export function Audit() {
  return html`<h1 tabindex="-1">Audit log</h1>`;
}
