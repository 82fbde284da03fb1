import { useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useId, useState } from 'react';
import { api } from '../api/client.ts';
import { keys } from '../api/queries.ts';
import type { Session } from '../api/types.ts';
import { ErrorNote } from '../components/feedback.tsx';

const MIN_PASSWORD = 10;

/** First start: create the owner (email + password). Afterwards: sign in. */
export function SignInPage({ setup }: { setup: boolean }) {
  const client = useQueryClient();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const ids = { email: useId(), password: useId(), confirm: useId(), hint: useId() };
  const title = setup ? 'Welcome to Octopost' : 'Sign in to Octopost';

  useEffect(() => {
    document.title = `${setup ? 'Set up' : 'Sign in'} · Octopost`;
  }, [setup]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    if (setup && password.length < MIN_PASSWORD) return setError(new Error(`The password needs at least ${MIN_PASSWORD} characters.`));
    if (setup && password !== confirm) return setError(new Error('The two passwords differ.'));
    setBusy(true);
    try {
      const session = await api<Session>('POST', setup ? '/v1/setup' : '/v1/session', { email, password });
      // Nothing cached from before belongs to this user: drop it, keep the session query (the app observes it).
      client.removeQueries({ predicate: (q) => q.queryKey[0] !== keys.session[0] });
      client.setQueryData(keys.session, session);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <main className="signin" id="main">
      <form className="card stack" onSubmit={submit} aria-labelledby="signin-title">
        <h1 id="signin-title">{title}</h1>
        {setup && <p>This is the first start. Choose the email and password of this Octopost's owner: you will sign in with them from now on.</p>}
        <div className="field">
          <label htmlFor={ids.email}>Email</label>
          <input id={ids.email} type="email" autoComplete={setup ? 'email' : 'username'} required value={email} onChange={(e) => setEmail(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor={ids.password}>Password</label>
          <input
            id={ids.password}
            type="password"
            autoComplete={setup ? 'new-password' : 'current-password'}
            required
            minLength={setup ? MIN_PASSWORD : undefined}
            aria-describedby={setup ? ids.hint : undefined}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
          {setup && (
            <small id={ids.hint} className="muted">
              At least {MIN_PASSWORD} characters. A passphrase of a few words is easy to remember and hard to guess.
            </small>
          )}
        </div>
        {setup && (
          <div className="field">
            <label htmlFor={ids.confirm}>Password again</label>
            <input id={ids.confirm} type="password" autoComplete="new-password" required value={confirm} onChange={(e) => setConfirm(e.target.value)} />
          </div>
        )}
        <ErrorNote error={error} />
        <button type="submit" className="button primary" disabled={busy}>
          {setup ? (busy ? 'Creating…' : 'Create owner and sign in') : busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
