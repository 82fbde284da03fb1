import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useId, useState } from 'react';
import { ApiError, api } from '../api/client.ts';
import { keys, useAccounts, usePlatforms } from '../api/queries.ts';
import type { Account } from '../api/types.ts';
import { ConfirmDialog } from '../components/Dialog.tsx';
import { ErrorNote, Loading, announce } from '../components/feedback.tsx';
import { PageTitle } from '../components/Layout.tsx';
import { TextField } from '../components/TextField.tsx';
import { fieldOf, plainError } from '../lib/field-errors.ts';
import {
  expiryOf,
  handleOf,
  mastodonInstanceOf,
  NETWORK_ORDER,
  NOT_CONFIGURED,
  networkName,
  OAUTH_NETWORKS,
  startBrowserConnect,
} from '../lib/networks.ts';
import { Link, navigate, useLocation } from '../lib/router.tsx';
import { formatWhen, useZone } from '../lib/zone.ts';

/** The account being reconnected, handed to its network's connect form (n: a new click remounts it). */
interface Reconnecting {
  account: Account;
  n: number;
}

/**
 * Connected accounts, and connecting one on every network this server has: Bluesky and Mastodon
 * by form, X, LinkedIn, Threads and Mastodon in the browser (the network's own page, then back
 * here with ?connected= or ?connect_error=), webhooks by URL and secret. Accounts a network
 * refused say why, with a Reconnect action that runs the same flow.
 */
export function AccountsPage() {
  const accounts = useAccounts();
  const platforms = usePlatforms();
  const zone = useZone();
  const client = useQueryClient();
  const { search } = useLocation();
  const [removing, setRemoving] = useState<Account | null>(null);
  const [reconnecting, setReconnecting] = useState<Reconnecting | null>(null);
  const [cardError, setCardError] = useState<{ id: string; error: unknown } | null>(null);
  // Back from a network's approval page: remember what it said, then clean the address.
  const [returned, setReturned] = useState(() => ({ connected: search.get('connected'), error: search.get('connect_error') }));
  useEffect(() => {
    if (search.has('connected') || search.has('connect_error')) navigate('/accounts', { replace: true });
  }, [search]);

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

  const available = (platforms.data ?? []).map((p) => p.name);
  const offered = NETWORK_ORDER.filter((n) => available.includes(n));
  const others = available.filter((n) => !(NETWORK_ORDER as readonly string[]).includes(n));

  const reconnect = async (a: Account) => {
    setCardError(null);
    // X, LinkedIn, Threads: straight to the network's page. The others: their form, filled in.
    if (OAUTH_NETWORKS.has(a.platform) && a.platform !== 'mastodon') {
      try {
        await startBrowserConnect(a.platform);
      } catch (error) {
        setCardError({ id: a.id, error });
      }
      return;
    }
    setReconnecting({ account: a, n: Date.now() });
    // After the form re-renders with the account's details: bring it into view, at its first field to fill.
    requestAnimationFrame(() => {
      const panel = document.getElementById(`connect-${a.platform}`);
      panel?.scrollIntoView({ behavior: 'smooth' });
      panel?.querySelector<HTMLElement>('[data-reconnect-focus]')?.focus();
    });
  };
  const done = () => setReconnecting(null);
  const reconnectFor = (platform: string) => (reconnecting?.account.platform === platform ? reconnecting : null);
  const connectedAccount = returned.connected ? accounts.data?.find((a) => a.id === returned.connected) : undefined;

  return (
    <>
      <PageTitle>Accounts</PageTitle>
      {returned.connected && (
        <div className="note note-ok row between wrap" role="status">
          <span className="break">
            {connectedAccount ? (
              <>
                <strong>{connectedAccount.display_name}</strong> ({handleOf(connectedAccount)} on {networkName(connectedAccount.platform)}) is connected.
              </>
            ) : (
              'The account is connected.'
            )}
          </span>
          <button type="button" className="button small" onClick={() => setReturned({ ...returned, connected: null })}>
            Dismiss
          </button>
        </div>
      )}
      {returned.error && (
        <div className="note note-error row between wrap" role="alert">
          <span className="break">
            <strong>Not connected: </strong>
            {returned.error}
          </span>
          <button type="button" className="button small" onClick={() => setReturned({ ...returned, error: null })}>
            Dismiss
          </button>
        </div>
      )}
      <ErrorNote error={accounts.error} />
      {accounts.isPending ? (
        <Loading what="accounts" />
      ) : accounts.data?.length === 0 ? (
        <p className="empty">No account yet. Connect one below to start publishing.</p>
      ) : (
        <ul className="cards" aria-label="Connected accounts">
          {accounts.data?.map((a) => (
            <AccountCard
              key={a.id}
              account={a}
              zone={zone}
              canReconnect={offered.includes(a.platform as (typeof NETWORK_ORDER)[number])}
              error={cardError?.id === a.id ? cardError.error : null}
              onReconnect={() => void reconnect(a)}
              onDisconnect={() => setRemoving(a)}
            />
          ))}
        </ul>
      )}

      <section className="stack" aria-labelledby="connect-title">
        <h2 id="connect-title" className="h3">
          Connect an account
        </h2>
        {platforms.isPending ? (
          <Loading what="the networks" />
        ) : (
          <>
            <ErrorNote error={platforms.error} />
            <div className="connect-grid">
              {offered.map((name) => (
                <div key={name} id={`connect-${name}`} className="connect-slot">
                  {name === 'bluesky' ? (
                    <BlueskyForm key={reconnectFor(name)?.n ?? 0} reconnect={reconnectFor(name)?.account ?? null} onDone={done} />
                  ) : name === 'mastodon' ? (
                    <MastodonForm key={reconnectFor(name)?.n ?? 0} reconnect={reconnectFor(name)?.account ?? null} onDone={done} />
                  ) : name === 'webhook' ? (
                    <ConnectWebhookForm key={reconnectFor(name)?.n ?? 0} reconnect={reconnectFor(name)?.account ?? null} onDone={done} />
                  ) : (
                    <BrowserConnectPanel platform={name} />
                  )}
                </div>
              ))}
            </div>
            {others.length > 0 && (
              <p className="muted small">
                Other networks ({others.join(', ')}) connect through the API: <a href="/docs">POST /v1/accounts</a>.
              </p>
            )}
          </>
        )}
      </section>
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

/** What to do about an inactive account, per network, after the server's reason. */
const RECONNECT_HINT: Record<string, string> = {
  webhook: 'Reconnect it with the same URL and the right secret.',
  bluesky: 'Reconnect it with a new app password.',
  mastodon: 'Reconnect it in the browser or with a new access token.',
};

function AccountCard(props: {
  account: Account;
  zone: string;
  canReconnect: boolean;
  error: unknown;
  onReconnect: () => void;
  onDisconnect: () => void;
}) {
  const { account: a, zone } = props;
  const expiry = a.is_active ? expiryOf(a) : null;
  const expiring = expiry !== null;
  const expired = expiry === 'expired';
  return (
    <li className={a.is_active && !expired ? 'card' : 'card card-warn'}>
      <div className="row between start wrap">
        <div className="row account-head">
          <Avatar account={a} />
          <div className="account-names">
            <h2 className="h4 ellipsis">{a.display_name}</h2>
            <p className="muted small break">
              {handleOf(a)} · <span className="network-name">{networkName(a.platform)}</span>
            </p>
          </div>
        </div>
        <span className={a.is_active ? 'badge badge-published' : 'badge badge-failed'}>{a.is_active ? '✓ Active' : '! Needs reconnecting'}</span>
      </div>
      <p className="muted small">Connected {formatWhen(a.connected_at, props.zone)}</p>
      {a.platform === 'webhook' && a.deduplicates === false && (
        <p className="muted small">The receiver does not drop repeats: a post whose attempt got no answer is not sent again by itself.</p>
      )}
      {!a.is_active && (
        <p className="note note-warn break">
          <strong>Why: </strong>
          {a.inactive_reason ?? "The network refused this account's credentials."} Nothing goes out there until it is reconnected; its posts stay.{' '}
          {RECONNECT_HINT[a.platform] ?? ''}
        </p>
      )}
      {expiring && (
        <p className={expired ? 'note note-warn small' : 'small warn-text'}>
          {expired
            ? `Its access expired ${formatWhen(a.token_expires_at!, zone)} and could not be renewed yet. Octopost keeps trying; if this stays, reconnect it.`
            : `Its access runs out ${formatWhen(a.token_expires_at!, zone)}. Octopost renews it before then where the network allows; if it cannot, reconnect.`}
        </p>
      )}
      {props.error !== null && <ConnectError platform={a.platform} error={props.error} />}
      <div className="actions">
        <Link to={`/accounts/${encodeURIComponent(a.id)}/queue`} className="button small">
          Queue<span className="visually-hidden"> of {a.display_name}</span>
        </Link>
        {(!a.is_active || expiring) && props.canReconnect && (
          <button type="button" className="button primary small" onClick={props.onReconnect}>
            Reconnect<span className="visually-hidden"> {a.display_name}</span>
          </button>
        )}
        <button type="button" className="button danger small" onClick={props.onDisconnect}>
          Disconnect<span className="visually-hidden"> {a.display_name}</span>
        </button>
      </div>
    </li>
  );
}

/** The network's picture of the account, or its initial when it has none (or it does not load). */
function Avatar({ account }: { account: Account }) {
  const [failed, setFailed] = useState(false);
  if (account.avatar_url && !failed) {
    return <img className="avatar" src={account.avatar_url} alt="" width={40} height={40} loading="lazy" referrerPolicy="no-referrer" onError={() => setFailed(true)} />;
  }
  return (
    <span className="avatar avatar-initial" aria-hidden="true">
      {[...(account.display_name.trim() || account.platform)][0]?.toUpperCase()}
    </span>
  );
}

/** A failed start of a browser connection: "not configured" names what the server's admin must set. */
function ConnectError({ platform, error }: { platform: string; error: unknown }) {
  if (error instanceof ApiError && error.details.reason === NOT_CONFIGURED) {
    return (
      <div className="note note-warn stack tight" role="alert">
        <p>
          <strong>{networkName(platform)} cannot be connected on this server yet.</strong> Whoever runs this Octopost has to set it up first:
        </p>
        <p className="quote break">{error.message}</p>
      </div>
    );
  }
  return <ErrorNote error={error} title="Not connected:" />;
}

/** Connecting on a network's own page: the user approves Octopost there and comes back here. */
const BROWSER_HINT: Record<string, string> = {
  x: 'You approve Octopost on X (it may ask you to sign in), then come back here.',
  linkedin: 'Posts go to your personal profile. You approve Octopost on LinkedIn, then come back here.',
  threads: 'You sign in with your Threads (Instagram) account and approve Octopost, then come back here.',
};

function BrowserConnectPanel({ platform }: { platform: string }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const titleId = useId();
  const name = networkName(platform);
  const start = async () => {
    setBusy(true);
    setError(null);
    try {
      await startBrowserConnect(platform);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return (
    <section className="panel stack tight connect-panel" aria-labelledby={titleId}>
      <h3 id={titleId} className="h4">
        {name}
      </h3>
      <p className="muted small">{BROWSER_HINT[platform] ?? `You approve Octopost on ${name}, then come back here.`}</p>
      {error !== null && <ConnectError platform={platform} error={error} />}
      <div>
        <button type="button" className="button primary" disabled={busy} onClick={() => void start()}>
          {busy ? 'Opening…' : 'Connect'}
          <span className="visually-hidden"> {name}</span>
        </button>
      </div>
    </section>
  );
}

/** POST /v1/accounts, then the lists that show accounts are refreshed. */
function useConnect(onDone: () => void) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: Record<string, unknown>) => api<Account>('POST', '/v1/accounts', body),
    onSuccess: (account) => {
      announce(`${account.display_name} (${handleOf(account)} on ${networkName(account.platform)}) is connected.`);
      void client.invalidateQueries({ queryKey: keys.accounts });
      void client.invalidateQueries({ queryKey: keys.presets });
      onDone();
    },
  });
}

function BlueskyForm({ reconnect, onDone }: { reconnect: Account | null; onDone: () => void }) {
  const [identifier, setIdentifier] = useState(reconnect?.username ?? '');
  const [password, setPassword] = useState('');
  const [service, setService] = useState('');
  const connect = useConnect(() => {
    setIdentifier('');
    setPassword('');
    setService('');
    onDone();
  });
  const id = useId();
  const field = fieldOf(connect.error, { identifier: ['identifier'], password: ['app_password'], service: ['service'] });
  const errorOf = (f: typeof field) => (field === f ? plainError(connect.error) : null);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    connect.mutate({ platform: 'bluesky', identifier: identifier.trim(), app_password: password.trim(), ...(service.trim() && { service: service.trim() }) });
  };
  return (
    <form className="panel stack tight connect-panel" onSubmit={submit} aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`} className="h4">
        {reconnect ? `Reconnect ${reconnect.display_name}` : 'Bluesky'}
      </h3>
      <TextField
        id={`${id}-identifier`}
        label="Handle or email"
        error={errorOf('identifier')}
        autoComplete="username"
        required
        maxLength={253}
        value={identifier}
        onValue={setIdentifier}
        placeholder="alice.bsky.social"
      />
      <TextField
        id={`${id}-password`}
        label="App password"
        hint="Create one in Bluesky: Settings → Privacy and security → App passwords (not your account password)."
        error={errorOf('password')}
        type="password"
        autoComplete="off"
        required
        maxLength={200}
        value={password}
        onValue={setPassword}
        placeholder="xxxx-xxxx-xxxx-xxxx"
        reconnectFocus={!!reconnect}
      />
      <TextField
        id={`${id}-service`}
        label="Custom PDS URL (optional)"
        hint="Only for a self-hosted server; leave empty for bsky.social."
        error={errorOf('service')}
        type="url"
        inputMode="url"
        maxLength={500}
        value={service}
        onValue={setService}
        placeholder="https://pds.example.com"
      />
      {field === null && <ErrorNote error={connect.error} title="Not connected:" />}
      <div>
        <button type="submit" className="button primary" disabled={connect.isPending}>
          {connect.isPending ? 'Connecting…' : reconnect ? 'Reconnect' : 'Connect'}
          <span className="visually-hidden"> Bluesky</span>
        </button>
      </div>
    </form>
  );
}

function MastodonForm({ reconnect, onDone }: { reconnect: Account | null; onDone: () => void }) {
  const [instance, setInstance] = useState(reconnect ? mastodonInstanceOf(reconnect) : '');
  const [token, setToken] = useState('');
  const [browserError, setBrowserError] = useState<unknown>(null);
  const [missing, setMissing] = useState<'instance' | 'token' | null>(null);
  const [opening, setOpening] = useState(false);
  const connect = useConnect(() => {
    setInstance('');
    setToken('');
    onDone();
  });
  const id = useId();
  const error = browserError ?? connect.error;
  const field = fieldOf(error, { instance: ['instance'], token: ['access_token'] });
  const instanceError = missing === 'instance' ? 'Enter your instance’s address first, such as mastodon.social.' : field === 'instance' ? plainError(error) : null;
  const tokenError = missing === 'token' ? 'Paste the access token.' : field === 'token' ? plainError(error) : null;

  const inBrowser = async (e: FormEvent) => {
    e.preventDefault();
    connect.reset();
    setBrowserError(null);
    setMissing(null);
    setOpening(true);
    try {
      await startBrowserConnect('mastodon', { instance: instance.trim() });
    } catch (err) {
      setBrowserError(err);
      setOpening(false);
    }
  };
  const withToken = (e: FormEvent) => {
    e.preventDefault();
    setBrowserError(null);
    if (!instance.trim()) {
      setMissing('instance');
      document.getElementById(`${id}-instance`)?.focus();
      return;
    }
    if (!token.trim()) return setMissing('token');
    setMissing(null);
    connect.mutate({ platform: 'mastodon', instance: instance.trim(), access_token: token.trim() });
  };
  return (
    <section className="panel stack tight connect-panel" aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`} className="h4">
        {reconnect ? `Reconnect ${reconnect.display_name}` : 'Mastodon'}
      </h3>
      <form className="stack tight" onSubmit={(e) => void inBrowser(e)}>
        <TextField
          id={`${id}-instance`}
          label="Instance"
          hint="Your server’s address. You approve Octopost there, then come back here."
          error={instanceError}
          inputMode="url"
          autoComplete="url"
          required
          maxLength={300}
          value={instance}
          onValue={setInstance}
          placeholder="mastodon.social"
          reconnectFocus={!!reconnect}
        />
        <div>
          <button type="submit" className="button primary" disabled={opening || connect.isPending}>
            {opening ? 'Opening…' : 'Continue in the browser'}
          </button>
        </div>
      </form>
      <details>
        <summary>Or paste an access token</summary>
        <form className="stack tight details-body" onSubmit={withToken}>
          <TextField
            id={`${id}-token`}
            label="Access token"
            hint="In Mastodon: Preferences → Development → New application, with the scopes read:accounts, write:statuses and write:media; then copy “Your access token”."
            error={tokenError}
            type="password"
            autoComplete="off"
            maxLength={500}
            value={token}
            onValue={setToken}
          />
          <div>
            <button type="submit" className="button" disabled={opening || connect.isPending}>
              {connect.isPending ? 'Connecting…' : 'Connect with the token'}
            </button>
          </div>
        </form>
      </details>
      {field === null && (browserError !== null ? <ConnectError platform="mastodon" error={browserError} /> : <ErrorNote error={connect.error} title="Not connected:" />)}
    </section>
  );
}

function ConnectWebhookForm({ reconnect, onDone }: { reconnect: Account | null; onDone: () => void }) {
  const [name, setName] = useState(reconnect?.display_name ?? '');
  const [url, setUrl] = useState('');
  const [secret, setSecret] = useState('');
  const [deduplicates, setDeduplicates] = useState(reconnect?.deduplicates ?? true);
  const connect = useConnect(() => {
    setName('');
    setUrl('');
    setSecret('');
    setDeduplicates(true);
    onDone();
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    connect.mutate({ platform: 'webhook', url: url.trim(), secret, deduplicates, ...(name.trim() && { display_name: name.trim() }) });
  };
  return (
    <form className="panel stack tight connect-panel" onSubmit={submit} aria-labelledby="webhook-title">
      <h3 id="webhook-title" className="h4">
        {reconnect ? `Reconnect ${reconnect.display_name}` : 'Webhook'}
      </h3>
      {reconnect ? (
        <p className="note">
          Enter the same webhook URL as before (on <strong className="break">{reconnect.username}</strong>) with the secret the receiver expects: the account is
          updated in place and keeps its posts.
        </p>
      ) : (
        <p className="muted small">
          Octopost sends each post as a signed JSON POST to this address (header X-Octopost-Signature: an HMAC-SHA256 of the body with the secret).
        </p>
      )}
      <TextField id="wh-name" label="Name" name="name" maxLength={100} value={name} onValue={setName} placeholder="My blog" />
      <TextField
        id="wh-url"
        label="Webhook URL"
        name="url"
        type="url"
        inputMode="url"
        required
        value={url}
        onValue={setUrl}
        placeholder="https://example.com/octopost"
        reconnectFocus={!!reconnect}
      />
      <TextField
        id="wh-secret"
        label="Secret"
        hint="At least 8 characters, shared with the receiver to check the signature."
        name="secret"
        type="password"
        autoComplete="off"
        required
        minLength={8}
        value={secret}
        onValue={setSecret}
      />
      <div className="field">
        <label className="check">
          <input type="checkbox" name="deduplicates" checked={deduplicates} onChange={(e) => setDeduplicates(e.target.checked)} aria-describedby="wh-dedup-hint" />
          <span>The receiver drops repeats (same Idempotency-Key)</span>
        </label>
        <small id="wh-dedup-hint" className="muted">
          When an attempt gets no answer, Octopost sends it again only if the receiver ignores a key it has seen. Untick this for a receiver that
          does not: such a post is never sent twice, and waits for you as “unknown” instead.
        </small>
      </div>
      <ErrorNote error={connect.error} title="Not connected:" />
      <div>
        <button type="submit" className="button primary" disabled={connect.isPending}>
          {connect.isPending ? 'Connecting…' : reconnect ? 'Reconnect' : 'Connect'}
        </button>
      </div>
    </form>
  );
}
