import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useRef, useState } from 'react';
import { api } from '../api/client.ts';
import { keys, useAccounts, usePlatforms } from '../api/queries.ts';
import type { Account } from '../api/types.ts';
import { ConfirmDialog } from '../components/Dialog.tsx';
import { ErrorNote, Loading, announce } from '../components/feedback.tsx';
import { PageTitle } from '../components/Layout.tsx';
import { Link } from '../lib/router.tsx';
import { formatWhen, useZone } from '../lib/zone.ts';

/** Connected accounts: connect a webhook, disconnect, and reconnect the ones a network refused. */
export function AccountsPage() {
  const accounts = useAccounts();
  const platforms = usePlatforms();
  const zone = useZone();
  const client = useQueryClient();
  const [removing, setRemoving] = useState<Account | null>(null);
  const [prefill, setPrefill] = useState<{ name: string; host: string; n: number } | null>(null);
  const formRef = useRef<HTMLDivElement>(null);
  const disconnect = useMutation({
    mutationFn: (id: string) => api<void>('DELETE', `/v1/accounts/${encodeURIComponent(id)}`),
    onSuccess: () => {
      announce(`${removing?.display_name ?? 'The account'} is disconnected.`);
      setRemoving(null);
      void client.invalidateQueries({ queryKey: keys.accounts });
      void client.invalidateQueries({ queryKey: keys.presets });
      void client.invalidateQueries({ queryKey: keys.posts });
    },
  });

  const reconnect = (a: Account) => {
    setPrefill({ name: a.display_name, host: a.username, n: Date.now() });
    // After the form re-renders with the account's name: bring it into view, at its URL field.
    requestAnimationFrame(() => {
      formRef.current?.scrollIntoView({ behavior: 'smooth' });
      formRef.current?.querySelector<HTMLInputElement>('input[name="url"]')?.focus();
    });
  };
  const others = (platforms.data ?? []).filter((p) => p.name !== 'webhook');

  return (
    <>
      <PageTitle>Accounts</PageTitle>
      <ErrorNote error={accounts.error} />
      {accounts.isPending ? (
        <Loading what="accounts" />
      ) : accounts.data?.length === 0 ? (
        <p className="empty">No account yet. Connect one below to start publishing.</p>
      ) : (
        <ul className="cards" aria-label="Connected accounts">
          {accounts.data?.map((a) => (
            <li key={a.id} className={a.is_active ? 'card' : 'card card-warn'}>
              <div className="row between wrap">
                <h2 className="h4 ellipsis">{a.display_name}</h2>
                <span className={a.is_active ? 'badge badge-published' : 'badge badge-failed'}>{a.is_active ? '✓ Active' : '! Needs reconnecting'}</span>
              </div>
              <p className="muted small break">
                {a.platform} · {a.username} · connected {formatWhen(a.connected_at, zone)}
              </p>
              {!a.is_active && (
                <p className="note note-warn">
                  The network refused this account's credentials, so nothing is published there. Reconnect it with the same URL and the right secret: its posts keep it.
                </p>
              )}
              <div className="actions">
                <Link to={`/accounts/${encodeURIComponent(a.id)}/queue`} className="button small">
                  Queue<span className="visually-hidden"> of {a.display_name}</span>
                </Link>
                {!a.is_active && a.platform === 'webhook' && (
                  <button type="button" className="button primary small" onClick={() => reconnect(a)}>
                    Reconnect
                  </button>
                )}
                <button type="button" className="button danger small" onClick={() => setRemoving(a)}>
                  Disconnect<span className="visually-hidden"> {a.display_name}</span>
                </button>
              </div>
            </li>
          ))}
        </ul>
      )}
      <div ref={formRef}>
        <ConnectWebhookForm key={prefill?.n ?? 0} prefill={prefill} />
      </div>
      {others.length > 0 && (
        <p className="muted small">
          Other networks ({others.map((p) => p.name).join(', ')}) connect through the API: <a href="/docs">POST /v1/accounts</a>.
        </p>
      )}
      <ConfirmDialog
        open={removing !== null}
        title={`Disconnect ${removing?.display_name ?? ''}?`}
        message="Octopost forgets its credentials, and what was still waiting to go out there is cancelled. Posts already published stay on the network."
        confirmLabel="Disconnect"
        danger
        busy={disconnect.isPending}
        onConfirm={() => removing && disconnect.mutate(removing.id)}
        onClose={() => setRemoving(null)}
      />
      <ErrorNote error={disconnect.error} />
    </>
  );
}

function ConnectWebhookForm({ prefill }: { prefill: { name: string; host: string } | null }) {
  const client = useQueryClient();
  const [name, setName] = useState(prefill?.name ?? '');
  const [url, setUrl] = useState('');
  const [secret, setSecret] = useState('');
  const connect = useMutation({
    mutationFn: () => api<Account>('POST', '/v1/accounts', { platform: 'webhook', url: url.trim(), secret, ...(name.trim() && { display_name: name.trim() }) }),
    onSuccess: (account) => {
      announce(`${account.display_name} is connected.`);
      setName('');
      setUrl('');
      setSecret('');
      void client.invalidateQueries({ queryKey: keys.accounts });
      void client.invalidateQueries({ queryKey: keys.presets });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    connect.mutate();
  };
  return (
    <form className="panel stack" onSubmit={submit} aria-labelledby="connect-title">
      <h2 id="connect-title" className="h3">{prefill ? `Reconnect ${prefill.name}` : 'Connect a webhook'}</h2>
      {prefill ? (
        <p className="note">
          Enter the same webhook URL as before (on <strong className="break">{prefill.host}</strong>) with the secret the receiver expects: the account is
          updated in place and keeps its posts.
        </p>
      ) : (
        <p className="muted small">
          Octopost sends each post as a signed JSON POST to this address (header X-Octopost-Signature: an HMAC-SHA256 of the body with the secret).
        </p>
      )}
      <div className="field">
        <label htmlFor="wh-name">Name</label>
        <input id="wh-name" name="name" maxLength={100} value={name} onChange={(e) => setName(e.target.value)} placeholder="My blog" />
      </div>
      <div className="field">
        <label htmlFor="wh-url">Webhook URL</label>
        <input id="wh-url" name="url" type="url" inputMode="url" required value={url} onChange={(e) => setUrl(e.target.value)} placeholder="https://example.com/octopost" />
      </div>
      <div className="field">
        <label htmlFor="wh-secret">Secret</label>
        <input id="wh-secret" name="secret" type="password" autoComplete="off" required minLength={8} value={secret} onChange={(e) => setSecret(e.target.value)} aria-describedby="wh-secret-hint" />
        <small id="wh-secret-hint" className="muted">At least 8 characters, shared with the receiver to check the signature.</small>
      </div>
      <ErrorNote error={connect.error} title="Not connected:" />
      <div>
        <button type="submit" className="button primary" disabled={connect.isPending}>
          {connect.isPending ? 'Connecting…' : prefill ? 'Reconnect' : 'Connect'}
        </button>
      </div>
    </form>
  );
}
