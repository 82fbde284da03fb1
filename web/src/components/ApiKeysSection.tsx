import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api } from '../api/client.ts';
import { keys, useApiKeys } from '../api/queries.ts';
import type { ApiKey } from '../api/types.ts';
import { formatWhen, useZone } from '../lib/zone.ts';
import { ConfirmDialog } from './Dialog.tsx';
import { ErrorNote, Loading, announce } from './feedback.tsx';

const SCOPES = ['posts:read', 'posts:write', 'accounts:read', 'accounts:write', 'presets:read', 'presets:write', 'webhooks:read', 'webhooks:write'];

/** API keys for scripts: create (the key is shown once), list without secrets, revoke. */
export function ApiKeysSection() {
  const list = useApiKeys();
  const zone = useZone();
  const client = useQueryClient();
  const [created, setCreated] = useState<(ApiKey & { key: string }) | null>(null);
  const [revoking, setRevoking] = useState<ApiKey | null>(null);
  const revoke = useMutation({
    mutationFn: (id: string) => api<void>('DELETE', `/v1/keys/${encodeURIComponent(id)}`),
    onSuccess: () => {
      announce(`Key "${revoking?.name}" revoked: it no longer works.`);
      setRevoking(null);
      void client.invalidateQueries({ queryKey: keys.apiKeys });
    },
  });
  const active = (list.data ?? []).filter((k) => !k.revoked_at);
  const revoked = (list.data ?? []).filter((k) => k.revoked_at);

  return (
    <section className="panel stack" aria-labelledby="keys-title">
      <h2 id="keys-title" className="h3">API keys</h2>
      <p className="muted small">
        For scripts and other programs: send <code>Authorization: Bearer oct_live_…</code>. See the <a href="/docs">API documentation</a>.
      </p>
      <ErrorNote error={list.error ?? revoke.error} />
      {list.isPending ? (
        <Loading what="keys" />
      ) : active.length === 0 ? (
        <p className="muted">No active key.</p>
      ) : (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">Active API keys</caption>
            <thead>
              <tr><th scope="col">Name</th><th scope="col">Key</th><th scope="col">Access</th><th scope="col">Last used</th><th scope="col"><span className="visually-hidden">Actions</span></th></tr>
            </thead>
            <tbody>
              {active.map((k) => (
                <tr key={k.id}>
                  <td className="break">{k.name}</td>
                  <td><code>{k.key_hint}</code></td>
                  <td className="break">{k.scopes.length ? k.scopes.join(', ') : 'Full access'}</td>
                  <td>{k.last_used_at ? formatWhen(k.last_used_at, zone) : 'Never'}</td>
                  <td>
                    <button type="button" className="button small danger" onClick={() => setRevoking(k)}>
                      Revoke<span className="visually-hidden"> {k.name}</span>
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {revoked.length > 0 && <p className="muted small">{revoked.length} revoked key{revoked.length > 1 ? 's' : ''} not shown.</p>}
      {created && (
        <div className="note note-ok stack tight" role="status">
          <p>
            <strong>Key "{created.name}" created.</strong> Copy it now: it will not be shown again.
          </p>
          <div className="row wrap">
            <label htmlFor="new-key" className="visually-hidden">New API key</label>
            <input id="new-key" className="grow mono" readOnly value={created.key} onFocus={(e) => e.target.select()} />
            <button type="button" className="button small" onClick={() => void navigator.clipboard?.writeText(created.key).then(() => announce('Key copied.'))}>
              Copy
            </button>
            <button type="button" className="button small" onClick={() => setCreated(null)}>Done</button>
          </div>
        </div>
      )}
      <CreateKeyForm onCreated={(k) => { setCreated(k); void client.invalidateQueries({ queryKey: keys.apiKeys }); }} />
      <ConfirmDialog
        open={revoking !== null}
        title={`Revoke key "${revoking?.name ?? ''}"?`}
        message="Programs using it stop working at once. This cannot be undone."
        confirmLabel="Revoke key"
        danger
        busy={revoke.isPending}
        onConfirm={() => revoking && revoke.mutate(revoking.id)}
        onClose={() => setRevoking(null)}
      />
    </section>
  );
}

function CreateKeyForm({ onCreated }: { onCreated: (k: ApiKey & { key: string }) => void }) {
  const [name, setName] = useState('');
  const [full, setFull] = useState(true);
  const [scopes, setScopes] = useState<string[]>([]);
  const create = useMutation({
    mutationFn: () => api<ApiKey & { key: string }>('POST', '/v1/keys', { name: name.trim(), ...(!full && { scopes }) }),
    onSuccess: (k) => {
      setName('');
      setScopes([]);
      setFull(true);
      onCreated(k);
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  return (
    <form className="stack tight" onSubmit={submit} aria-labelledby="new-key-title">
      <h3 id="new-key-title" className="h4">Create a key</h3>
      <div className="field">
        <label htmlFor="key-name">Key name</label>
        <input id="key-name" required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} placeholder="Deploy script" />
      </div>
      <fieldset className="checks">
        <legend>Access</legend>
        <label className="check"><input type="radio" name="access" checked={full} onChange={() => setFull(true)} /> Full access</label>
        <label className="check"><input type="radio" name="access" checked={!full} onChange={() => setFull(false)} /> Only these scopes:</label>
        {!full && (
          <div className="scope-grid">
            {SCOPES.map((s) => (
              <label key={s} className="check">
                <input type="checkbox" checked={scopes.includes(s)} onChange={(e) => setScopes(e.target.checked ? [...scopes, s] : scopes.filter((x) => x !== s))} />
                <code>{s}</code>
              </label>
            ))}
          </div>
        )}
      </fieldset>
      <ErrorNote error={create.error} title="Not created:" />
      <div>
        <button type="submit" className="button primary" disabled={create.isPending || (!full && scopes.length === 0)}>
          {create.isPending ? 'Creating…' : 'Create key'}
        </button>
      </div>
    </form>
  );
}
