// calendar.js - placeholder until the calendar lands.
import { html } from '../ui.js';

export function Calendar() {
  return html`<h1 tabindex="-1">Calendar</h1>`;
}
