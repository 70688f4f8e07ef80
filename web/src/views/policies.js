// policies.js - placeholder until the policies view lands.
import { html } from '../ui.js';

export function Policies() {
  return html`<h1 tabindex="-1">Policies</h1>`;
}
