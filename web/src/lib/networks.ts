import { api, query } from '../api/client.ts';
import type { Account } from '../api/types.ts';

/** The networks the web app knows how to connect, in the order the Accounts page offers them. */
export const NETWORK_ORDER = ['bluesky', 'mastodon', 'x', 'linkedin', 'threads', 'webhook'] as const;

const NAMES: Record<string, string> = {
  bluesky: 'Bluesky',
  mastodon: 'Mastodon',
  x: 'X',
  linkedin: 'LinkedIn',
  threads: 'Threads',
  webhook: 'Webhook',
};

/** "Bluesky", "X"…: a network's name as people write it (unknown ones as the server names them). */
export const networkName = (platform: string): string => NAMES[platform] ?? platform;

/** Networks connected in the browser, on the network's own page (OAuth). */
export const OAUTH_NETWORKS = new Set(['x', 'linkedin', 'threads', 'mastodon']);

/** "@alice.bsky.social": handles get their @; a webhook's host or a LinkedIn name stay as they are. */
export function handleOf(account: Pick<Account, 'platform' | 'username'>): string {
  const { platform, username } = account;
  if (username.startsWith('@') || !['bluesky', 'x', 'threads', 'mastodon'].includes(platform)) return username;
  return `@${username}`;
}

/** A Mastodon account's instance (the host in platform_user_id "<id>@<host>"), to reconnect it. */
export function mastodonInstanceOf(account: Pick<Account, 'platform_user_id' | 'username'>): string {
  const fromId = /@([^@\s]+)$/.exec(account.platform_user_id)?.[1];
  if (fromId) return fromId;
  return /@([^@\s]+)$/.exec(account.username.replace(/^@/, ''))?.[1] ?? '';
}

/** Reason the server gives when a network's client id/secret are not set (details.reason). */
export const NOT_CONFIGURED = 'not_configured';

/**
 * Starts connecting in the browser: asks the server for the network's approval page first
 * (Accept: application/json), so a problem (the network not configured on this server, an
 * instance that does not answer) is shown here instead of an error page; then goes there.
 * The network sends the browser back to /accounts?connected=<id> or ?connect_error=<message>.
 */
export async function startBrowserConnect(platform: string, params: Record<string, string> = {}): Promise<void> {
  const { authorize_url } = await api<{ authorize_url: string }>(
    'GET',
    `/v1/accounts/connect/${encodeURIComponent(platform)}${query({ return_to: '/accounts', ...params })}`,
  );
  window.location.assign(authorize_url);
}

const DAY = 86_400_000;

/** Networks whose access lasts hours and is renewed all the time (X: two hours): a near expiry is no news there. */
const RENEWED_CONTINUALLY = new Set(['x', 'bluesky']);

/**
 * Whether the account's access ending is worth telling: 'expired' (it ended and was not renewed),
 * 'soon' (within 7 days, on a network whose access lasts weeks: LinkedIn, Threads), else null.
 */
export function expiryOf(account: Pick<Account, 'platform' | 'token_expires_at'>, now = Date.now()): 'expired' | 'soon' | null {
  if (!account.token_expires_at) return null;
  const left = Date.parse(account.token_expires_at) - now;
  if (left <= 0) return 'expired';
  if (left < 7 * DAY && !RENEWED_CONTINUALLY.has(account.platform)) return 'soon';
  return null;
}
