// signin.js - the sign-in form: a token traded for a session cookie
// (POST /v1/session). The token is sent once and never kept by the page.
import { useState } from 'preact/hooks';
import * as api from '../api.js';
import { html, Problem } from '../ui.js';

export function SignIn({ onSignedIn }) {
  const [token, setToken] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);

  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const session = await api.signIn(token.trim());
      setToken('');
      onSignedIn(session);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return html`<main id="main" class="signin">
    <h1>shiplog</h1>
    <p>Sign in with a shiplog token. The first admin token of a new store is in the file the daemon named when it started
      (<code>DB.admin-token</code> beside the database).</p>
    <form onSubmit=${submit}>
      <label for="token">Token</label>
      <input id="token" name="token" type="password" autocomplete="current-password" required
        value=${token} onInput=${(e) => setToken(e.currentTarget.value)} />
      <button type="submit" disabled=${busy}>${busy ? 'Signing in…' : 'Sign in'}</button>
    </form>
    <${Problem} error=${error} />
  </main>`;
}
