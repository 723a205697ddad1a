import type { ConsoleSession } from '@waiaas/client';
import { useState } from 'preact/hooks';
import { describeError, signIn } from '../api.js';

/** Owner key in, session cookie out. The key lives only in this form's state until submitted. */
export function SignIn(props: {
  notice?: string | undefined;
  onSignedIn: (session: ConsoleSession) => Promise<void>;
}) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const session = await signIn(key);
      setKey('');
      await props.onSignedIn(session);
    } catch (e) {
      setError(describeError(e));
      setBusy(false);
    }
  }

  return (
    <main class="sign-in">
      <h1>WAIaaS console</h1>
      <p class="muted">
        Sign in with your owner key. It is exchanged for a session once and never stored by this
        page.
      </p>
      {props.notice !== undefined && <p role="status">{props.notice}</p>}
      <form onSubmit={(e) => void submit(e)}>
        <label for="owner-key">Owner key</label>
        <input
          id="owner-key"
          name="owner-key"
          type="password"
          autocomplete="off"
          spellcheck={false}
          required
          value={key}
          onInput={(e) => setKey(e.currentTarget.value)}
          aria-invalid={error !== null}
          aria-describedby={error === null ? undefined : 'sign-in-error'}
        />
        {error !== null && (
          <p id="sign-in-error" class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
