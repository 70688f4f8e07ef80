// main.js - the dashboard's shell: who is signed in, the navigation, and
// the router that picks a view from location.pathname (History API, so a
// deep link such as /releases/payments@1.4.0 opens that page directly).
import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import * as api from './api.js';
import { html, Loading, navigate, Problem } from './ui.js';
import { SignIn } from './views/signin.js';
import { Matrix } from './views/matrix.js';
import { Release } from './views/release.js';
import { Deployments, Deployment } from './views/deployments.js';
import { Approvals } from './views/approvals.js';
import { Audit } from './views/audit.js';
import { Calendar } from './views/calendar.js';
import { Policies } from './views/policies.js';
import { Receivers, Receiver } from './views/receivers.js';
import { Incidents, Incident } from './views/incidents.js';
import { Delivery } from './views/delivery.js';
import { Notifications } from './views/notifications.js';
import { Reports } from './views/reports.js';

// One row per page: the path it answers, its view, its title, and the nav
// entry it belongs to.
const ROUTES = [
  { path: /^\/$/, view: Matrix, title: 'Environments', nav: '/' },
  { path: /^\/releases\/([^/]+)$/, view: Release, title: 'Release', nav: null },
  { path: /^\/deployments$/, view: Deployments, title: 'Deployments', nav: '/deployments' },
  { path: /^\/deployments\/(\d+)$/, view: Deployment, title: 'Deployment', nav: '/deployments' },
  { path: /^\/approvals$/, view: Approvals, title: 'Approvals', nav: '/approvals' },
  { path: /^\/calendar$/, view: Calendar, title: 'Calendar', nav: '/calendar' },
  { path: /^\/policies$/, view: Policies, title: 'Policies', nav: '/policies' },
  { path: /^\/audit$/, view: Audit, title: 'Audit log', nav: '/audit' },
  { path: /^\/receivers$/, view: Receivers, title: 'Receivers', nav: '/receivers' },
  { path: /^\/receivers\/([^/]+)$/, view: Receiver, title: 'Receiver', nav: '/receivers' },
  { path: /^\/incidents$/, view: Incidents, title: 'Incidents', nav: '/incidents' },
  { path: /^\/incidents\/([^/]+)$/, view: Incident, title: 'Incident', nav: '/incidents' },
  { path: /^\/notifications$/, view: Notifications, title: 'Notifications', nav: '/notifications' },
  { path: /^\/reports$/, view: Reports, title: 'Reports', nav: '/reports' },
  { path: /^\/delivery$/, view: Delivery, title: 'Delivery', nav: '/delivery' },
];

const NAV = [
  ['/', 'Environments'],
  ['/deployments', 'Deployments'],
  ['/approvals', 'Approvals'],
  ['/calendar', 'Calendar'],
  ['/policies', 'Policies'],
  ['/audit', 'Audit log'],
  ['/receivers', 'Receivers'],
  ['/incidents', 'Incidents'],
  ['/notifications', 'Notifications'],
  ['/reports', 'Reports'],
  ['/delivery', 'Delivery'],
];

function match(pathname) {
  for (const r of ROUTES) {
    const m = r.path.exec(pathname);
    if (m) return { route: r, params: m.slice(1).map(decodeURIComponent) };
  }
  return null;
}

function NotFound({ path }) {
  return html`<h1 tabindex="-1">Not found</h1>
    <p>There is no page at <code>${path}</code>. <a href="/">Back to the environments</a>.</p>`;
}

// The theme: the system's unless the person picked one, kept in this
// browser. The style sheet reads data-theme on the root.
const THEMES = ['system', 'light', 'dark'];
function applyTheme(theme) {
  if (theme === 'system') delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = theme;
}
function storedTheme() {
  try {
    const t = localStorage.getItem('shiplog-theme');
    return THEMES.includes(t) ? t : 'system';
  } catch {
    return 'system';
  }
}
applyTheme(storedTheme());

function ThemeButton() {
  const [theme, setTheme] = useState(storedTheme);
  const next = () => {
    const t = THEMES[(THEMES.indexOf(theme) + 1) % THEMES.length];
    try {
      localStorage.setItem('shiplog-theme', t);
    } catch {
      // A browser that keeps nothing still switches for this page.
    }
    applyTheme(t);
    setTheme(t);
  };
  return html`<button type="button" class="theme-toggle" onClick=${next}>Theme: ${theme}</button>`;
}

function Shell({ session, onSignOut }) {
  const [loc, setLoc] = useState({ path: location.pathname, search: location.search });
  const main = useRef(null);

  useEffect(() => {
    const moved = () => setLoc({ path: location.pathname, search: location.search });
    addEventListener('popstate', moved);
    return () => removeEventListener('popstate', moved);
  }, []);

  // After moving to another page, focus its heading, so a screen reader
  // and the keyboard start there as they would after a full load.
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    const h = main.current && main.current.querySelector('h1');
    if (h) h.focus();
  }, [loc.path]);

  const found = match(loc.path);
  const View = found ? found.route.view : NotFound;
  useEffect(() => {
    document.title = `${found ? found.route.title : 'Not found'} · shiplog`;
  }, [loc.path]);
  const current = found ? found.route.nav : null;

  return html`
    <a class="skip" href="#main">Skip to content</a>
    <header class="top">
      <a class="brand" href="/">shiplog</a>
      <nav aria-label="Main">
        <ul>
          ${NAV.map(([href, label]) => html`<li key=${href}>
            <a href=${href} aria-current=${href === current ? 'page' : undefined}>${label}</a>
          </li>`)}
        </ul>
      </nav>
      <div class="who">
        <span>Signed in as <strong>${session.actor.name}</strong> (${session.actor.role})</span>
        <${ThemeButton} />
        <button type="button" onClick=${onSignOut}>Sign out</button>
      </div>
    </header>
    <main id="main" ref=${main}>
      <${View} key=${loc.path} session=${session} params=${found ? found.params : []} search=${loc.search} path=${loc.path} />
    </main>`;
}

function App() {
  // undefined while asking, null when signed out, else the session.
  const [session, setSession] = useState(undefined);
  const [error, setError] = useState(null);

  useEffect(() => {
    api.onUnauthorized(() => setSession(null));
    api.getSession().then(setSession, (e) => {
      if (e.status === 401) setSession(null);
      else setError(e);
    });
  }, []);

  const signOut = async () => {
    try {
      await api.signOut();
    } catch {
      // Signed out either way: the form comes back, and the cookie, if
      // still there, is refused by the next request.
    }
    setSession(null);
  };

  if (error) return html`<main id="main"><h1>shiplog</h1><${Problem} error=${error} /></main>`;
  if (session === undefined) return html`<main id="main"><${Loading} what="Opening shiplog" /></main>`;
  if (session === null) return html`<${SignIn} onSignedIn=${setSession} />`;
  return html`<${Shell} session=${session} onSignOut=${signOut} />`;
}

// Links inside the app move without a reload; anything with a modifier,
// a target or another origin is left to the browser.
document.addEventListener('click', (e) => {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const a = e.target.closest && e.target.closest('a[href]');
  if (!a || a.target || a.hasAttribute('download') || a.origin !== location.origin) return;
  if (a.hash && a.pathname === location.pathname) return;
  if (/^\/(v1|hooks|assets|healthz|readyz|metrics)(\/|$)/.test(a.pathname)) return;
  e.preventDefault();
  navigate(a.pathname + a.search);
});

render(html`<${App} />`, document.getElementById('app'));
