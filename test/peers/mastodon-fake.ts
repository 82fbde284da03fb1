import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local server that answers like a Mastodon 4.3 instance, following docs.joinmastodon.org
 * (methods/apps, oauth, accounts, instance, media, statuses; api/rate-limits) and the error
 * bodies of app/controllers/api/base_controller.rb. It checks what clients send: a wrong shape is
 * answered as Mastodon would (400/401/422) AND recorded in `problems`, which tests assert empty.
 * There is no authorize page: the test plays the browser with `approve(authorizeUrl)`.
 */

export type FakeFailure = 'rate_limited' | 'server_error' | 'invalid_content' | 'duplicate' | 'suspended' | 'token_revoked';

export interface FakeStatus {
  id: string;
  accountId: string;
  text: string;
  inReplyTo: string | null;
  visibility: string;
  mediaIds: string[];
}

interface App { clientId: string; clientSecret: string; redirectUris: string[]; scopes: string[] }
interface Grant { clientId: string; redirectUri: string; scopes: string[]; challenge: string; accountId: string; used: boolean }
interface Token { accountId: string; scopes: string[]; revoked: boolean }
interface Media { id: string; accountId: string; description: string | null; pollsLeft: number; statusId: string | null }
interface Reply { status: number; body?: unknown; headers?: Record<string, string> }

const SCOPE_NAMES = new Set(['read', 'write', 'follow', 'push', 'profile']);
for (const s of ['accounts', 'blocks', 'bookmarks', 'favourites', 'filters', 'follows', 'lists', 'mutes', 'notifications', 'search', 'statuses']) SCOPE_NAMES.add(`read:${s}`);
for (const s of ['accounts', 'blocks', 'bookmarks', 'conversations', 'favourites', 'filters', 'follows', 'lists', 'media', 'mutes', 'notifications', 'reports', 'statuses']) SCOPE_NAMES.add(`write:${s}`);

/** A 1x1 PNG. */
export const RED_PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==', 'base64');

export class MastodonFake {
  url = '';
  readonly problems: string[] = [];
  readonly statuses: FakeStatus[] = [];
  readonly media = new Map<string, Media>();
  maxCharacters: number;
  private server: Server | undefined;
  private readonly counts = new Map<string, number>();
  private readonly apps = new Map<string, App>();
  private readonly grants = new Map<string, Grant>();
  private readonly tokens = new Map<string, Token>();
  private readonly accounts = new Map<string, { id: string; username: string; display_name: string }>();
  private readonly idempotency = new Map<string, string>();
  private failure: { kind: FakeFailure; skip: number } | null = null;
  private processingPolls = 0;
  private loseAnswer: { afterMs: number } | null = null;
  private nextId = 110_000_000;

  constructor(private readonly options: { maxCharacters?: number; v1Only?: boolean; domain?: string } = {}) {
    this.maxCharacters = options.maxCharacters ?? 500;
    this.addAccount('octo', 'Octo Pus');
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  get host(): string { return new URL(this.url).host; }
  get domain(): string { return this.options.domain ?? this.host; }
  get imageUrl(): string { return `${this.url}/files/red.png`; }

  /** Requests received for a route, e.g. `POST /api/v1/statuses` or `GET /api/v1/media/:id`. */
  count(route: string): number { return this.counts.get(route) ?? 0; }

  addAccount(username: string, displayName: string): string {
    const id = String(this.nextId++);
    this.accounts.set(username, { id, username, display_name: displayName });
    return id;
  }

  accountId(username = 'octo'): string { return this.accounts.get(username)!.id; }

  /** A token as Preferences > Development creates it (for connect by pasted token). */
  createToken(username = 'octo', scopes = ['read:accounts', 'write:statuses', 'write:media']): string {
    const token = randomBytes(24).toString('base64url');
    this.tokens.set(token, { accountId: this.accountId(username), scopes, revoked: false });
    return token;
  }

  revoke(token: string): void { this.tokens.get(token)!.revoked = true; }

  /** What Mastodon's authorize page checks before the user may approve; returns what it redirects with. */
  approve(authorizeUrl: string, username = 'octo'): { code: string; state: string | null; redirectUri: string } {
    const url = new URL(authorizeUrl);
    const q = url.searchParams;
    const problem = (p: string) => { this.problems.push(`authorize: ${p}`); };
    if (url.origin !== this.url || url.pathname !== '/oauth/authorize') problem(`wrong endpoint ${url.origin}${url.pathname}`);
    if (q.get('response_type') !== 'code') problem('response_type must be code');
    const app = this.apps.get(q.get('client_id') ?? '');
    if (!app) problem('unknown client_id');
    const redirectUri = q.get('redirect_uri') ?? '';
    if (app && !app.redirectUris.includes(redirectUri)) problem('redirect_uri is not one registered for the app');
    const scopes = (q.get('scope') ?? 'read').split(/[ +]/).filter(Boolean);
    if (app && scopes.some((s) => !app.scopes.includes(s))) problem(`scope ${scopes.join(' ')} is not a subset of the app's`);
    if (!q.get('state')) problem('no state');
    if (q.get('code_challenge_method') !== 'S256' || !/^[A-Za-z0-9_-]{43}$/.test(q.get('code_challenge') ?? '')) problem('PKCE S256 code_challenge missing or malformed');
    const code = randomBytes(24).toString('base64url');
    this.grants.set(code, { clientId: q.get('client_id') ?? '', redirectUri, scopes, challenge: q.get('code_challenge') ?? '', accountId: this.accountId(username), used: false });
    return { code, state: q.get('state'), redirectUri };
  }

  /** The next status creation (the `onPart`-th one from now) is answered with this documented failure. */
  failNext(kind: FakeFailure, onPart = 0): void { this.failure = { kind, skip: onPart }; }

  /** The next status creation goes through, but its connection is cut (after `afterMs`) before the answer: a lost answer. */
  loseNextAnswer(afterMs = 0): void { this.loseAnswer = { afterMs }; }

  /** The next upload answers 202 and its GET answers 206 `polls` times before it is processed. */
  processNextUpload(polls: number): void { this.processingPolls = polls; }

  /** Mastodon keeps Idempotency-Keys for one hour: this is the hour having passed. */
  expireIdempotencyKeys(): void { this.idempotency.clear(); }

  statusesOf(accountId: string): FakeStatus[] { return this.statuses.filter((s) => s.accountId === accountId); }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const route = url.pathname.replace(/^\/api\/v1\/media\/[^/]+$/, '/api/v1/media/:id').replace(/^\/@[^/]+\/\d+$/, '/@:user/:id');
    const key = `${req.method} ${route}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let reply: Reply;
    try {
      reply = await this.route(key, url, req, Buffer.concat(chunks));
    } catch (err) {
      this.problems.push(`${key}: ${(err as Error).message}`);
      reply = { status: 400, body: { error: (err as Error).message } };
    }
    if (this.loseAnswer && key === 'POST /api/v1/statuses') {
      const { afterMs } = this.loseAnswer;
      this.loseAnswer = null;
      setTimeout(() => res.socket?.destroy(), afterMs);
      return;
    }
    if (Buffer.isBuffer(reply.body)) {
      res.writeHead(reply.status, { 'content-type': 'image/png', ...reply.headers }).end(reply.body);
      return;
    }
    const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8', ...reply.headers };
    if (url.pathname.startsWith('/api/') && !headers['x-ratelimit-limit']) {
      Object.assign(headers, { 'x-ratelimit-limit': '300', 'x-ratelimit-remaining': '299', 'x-ratelimit-reset': new Date(Date.now() + 300_000).toISOString() });
    }
    res.writeHead(reply.status, headers).end(reply.body === undefined ? '' : JSON.stringify(reply.body));
  }

  private async route(key: string, url: URL, req: IncomingMessage, raw: Buffer): Promise<Reply> {
    switch (key) {
      case 'GET /api/v2/instance':
        return this.options.v1Only ? { status: 404, body: { error: 'Not Found' } } : { status: 200, body: this.instance(2) };
      case 'GET /api/v1/instance':
        return { status: 200, body: this.instance(1) };
      case 'POST /api/v1/apps':
        return this.registerApp(await params(req, raw));
      case 'POST /oauth/token':
        return this.token(await params(req, raw));
      case 'GET /api/v1/accounts/verify_credentials': {
        const auth = this.authenticate(req, 'read:accounts');
        return 'status' in auth ? auth : { status: 200, body: this.accountJson(auth.accountId) };
      }
      case 'POST /api/v2/media':
        return this.upload(req, raw);
      case 'GET /api/v1/media/:id': {
        const auth = this.authenticate(req, 'write:media');
        if ('status' in auth) return auth;
        const media = this.media.get(url.pathname.split('/').pop()!);
        if (!media || media.accountId !== auth.accountId) return { status: 404, body: { error: 'Record not found' } };
        if (media.pollsLeft > 0) {
          media.pollsLeft--;
          return { status: 206 };
        }
        return { status: 200, body: this.mediaJson(media) };
      }
      case 'POST /api/v1/statuses':
        return this.createStatus(req, await params(req, raw));
      case 'GET /@:user/:id':
        return this.statuses.some((s) => url.pathname.endsWith(`/${s.id}`)) ? { status: 200, body: { page: 'status' } } : { status: 404 };
      case 'GET /files/red.png':
        return { status: 200, body: RED_PNG };
      default:
        return { status: 404, body: { error: 'Not Found' } };
    }
  }

  private instance(version: 1 | 2) {
    const configuration = {
      statuses: { max_characters: this.maxCharacters, max_media_attachments: 4, characters_reserved_per_url: 23 },
      media_attachments: {
        supported_mime_types: ['image/jpeg', 'image/png', 'image/gif', 'image/heic', 'image/heif', 'image/webp', 'image/avif', 'video/mp4', 'audio/mpeg'],
        image_size_limit: 16_777_216,
        image_matrix_limit: 33_177_600,
        video_size_limit: 103_809_024,
      },
    };
    return version === 2
      ? { domain: this.domain, title: 'Fake', version: '4.3.2', configuration }
      : { uri: this.domain, title: 'Fake', version: '4.3.2', configuration };
  }

  private registerApp(p: Record<string, unknown>): Reply {
    const redirectUris = Array.isArray(p.redirect_uris) ? p.redirect_uris : typeof p.redirect_uris === 'string' ? p.redirect_uris.split(/\s+/) : [];
    const scopes = typeof p.scopes === 'string' ? p.scopes.split(/\s+/).filter(Boolean) : ['read'];
    const invalid = (why: string): Reply => { this.problems.push(`apps: ${why}`); return { status: 422, body: { error: `Validation failed: ${why}` } }; };
    if (typeof p.client_name !== 'string' || !p.client_name) return invalid("Application name can't be blank");
    if (redirectUris.length === 0 || redirectUris.some((u) => !/^[a-z][a-z0-9+.-]*:/i.test(String(u)))) return invalid('Redirect URI must be an absolute URI.');
    if (scopes.some((s) => !SCOPE_NAMES.has(s))) return invalid('Scopes must be in the list of known scopes');
    const app: App = { clientId: randomBytes(16).toString('base64url'), clientSecret: randomBytes(24).toString('base64url'), redirectUris: redirectUris.map(String), scopes };
    this.apps.set(app.clientId, app);
    return {
      status: 200,
      body: { id: String(this.apps.size), name: p.client_name, website: p.website ?? null, scopes, redirect_uri: app.redirectUris.join('\n'), redirect_uris: app.redirectUris, client_id: app.clientId, client_secret: app.clientSecret, client_secret_expires_at: 0 },
    };
  }

  private token(p: Record<string, unknown>): Reply {
    const refuse = (status: number, error: string, why: string): Reply => {
      this.problems.push(`token: ${why}`);
      const descriptions: Record<string, string> = {
        invalid_client: 'Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.',
        invalid_grant: 'The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.',
      };
      return { status, body: { error, error_description: descriptions[error] ?? why } };
    };
    if (p.grant_type !== 'authorization_code') return refuse(400, 'unsupported_grant_type', `grant_type ${String(p.grant_type)}`);
    const app = this.apps.get(String(p.client_id ?? ''));
    if (!app || app.clientSecret !== p.client_secret) return refuse(401, 'invalid_client', 'client_id/client_secret do not match');
    const grant = this.grants.get(String(p.code ?? ''));
    if (!grant || grant.used || grant.clientId !== app.clientId) return refuse(400, 'invalid_grant', 'unknown, used or foreign code');
    if (p.redirect_uri !== grant.redirectUri) return refuse(400, 'invalid_grant', 'redirect_uri differs from the authorize request');
    const verifier = typeof p.code_verifier === 'string' ? p.code_verifier : '';
    if (createHash('sha256').update(verifier).digest('base64url') !== grant.challenge) return refuse(400, 'invalid_grant', 'PKCE code_verifier does not match the challenge');
    grant.used = true;
    const token = randomBytes(24).toString('base64url');
    this.tokens.set(token, { accountId: grant.accountId, scopes: grant.scopes, revoked: false });
    return { status: 200, body: { access_token: token, token_type: 'Bearer', scope: grant.scopes.join(' '), created_at: Math.floor(Date.now() / 1000) } };
  }

  /** Doorkeeper's answers: 401 for a missing/unknown/revoked token, 403 for a missing scope. */
  private authenticate(req: IncomingMessage, scope: string): { accountId: string } | Reply {
    const match = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
    const token = match ? this.tokens.get(match[1]!) : undefined;
    if (!token) {
      this.problems.push(`${req.method} ${req.url}: missing or unknown Bearer token`);
      return { status: 401, body: { error: 'The access token is invalid' } };
    }
    if (token.revoked) return { status: 401, body: { error: 'The access token was revoked' } };
    if (!token.scopes.includes(scope) && !token.scopes.includes(scope.split(':')[0]!)) {
      this.problems.push(`${req.method} ${req.url}: token lacks ${scope}`);
      return { status: 403, body: { error: 'This action is outside the authorized scopes' } };
    }
    return { accountId: token.accountId };
  }

  private accountJson(accountId: string) {
    const a = [...this.accounts.values()].find((x) => x.id === accountId)!;
    return { id: a.id, username: a.username, acct: a.username, display_name: a.display_name, url: `${this.url}/@${a.username}`, avatar: `${this.url}/avatars/${a.username}.png`, source: { privacy: 'public' } };
  }

  private mediaJson(m: Media) {
    const processed = m.pollsLeft === 0;
    return { id: m.id, type: 'image', url: processed ? `${this.url}/files/${m.id}.png` : null, preview_url: `${this.url}/files/${m.id}-small.png`, description: m.description };
  }

  private async upload(req: IncomingMessage, raw: Buffer): Promise<Reply> {
    const auth = this.authenticate(req, 'write:media');
    if ('status' in auth) return auth;
    const type = req.headers['content-type'] ?? '';
    if (!type.startsWith('multipart/form-data')) throw new Error(`media upload must be multipart/form-data, not ${type}`);
    const form = await new Response(new Uint8Array(raw), { headers: { 'content-type': type } }).formData();
    const file = form.get('file');
    if (!file || typeof file === 'string') throw new Error('media upload has no file part');
    if (!file.type.startsWith('image/') || file.size === 0) {
      this.problems.push(`media: file part typed ${file.type || 'nothing'}, ${file.size} bytes`);
      return { status: 422, body: { error: 'Validation failed: File content type is invalid, File is invalid' } };
    }
    const description = form.get('description');
    const media: Media = { id: String(this.nextId++), accountId: auth.accountId, description: typeof description === 'string' ? description : null, pollsLeft: this.processingPolls, statusId: null };
    this.processingPolls = 0;
    this.media.set(media.id, media);
    return { status: media.pollsLeft > 0 ? 202 : 200, body: this.mediaJson(media) };
  }

  private createStatus(req: IncomingMessage, p: Record<string, unknown>): Reply {
    const injected = this.injected();
    if (injected) return injected;
    const auth = this.authenticate(req, 'write:statuses');
    if ('status' in auth) return auth;
    const key = req.headers['idempotency-key'];
    if (typeof key !== 'string' || !key) this.problems.push('statuses: no Idempotency-Key header');
    const earlier = typeof key === 'string' ? this.idempotency.get(`${auth.accountId}:${key}`) : undefined;
    if (earlier) return { status: 200, body: this.statusJson(this.statuses.find((s) => s.id === earlier)!) };
    const invalid = (why: string, status = 422): Reply => { this.problems.push(`statuses: ${why}`); return { status, body: { error: why } }; };
    const text = typeof p.status === 'string' ? p.status : '';
    const mediaIds = Array.isArray(p.media_ids) ? p.media_ids.map(String) : [];
    if (!text.trim() && mediaIds.length === 0) return invalid("Validation failed: Text can't be blank");
    const length = graphemes(text.replace(/https?:\/\/\S+/g, 'x'.repeat(23)));
    if (length > this.maxCharacters) return invalid(`Validation failed: Text character limit of ${this.maxCharacters} exceeded`);
    const visibility = typeof p.visibility === 'string' ? p.visibility : 'public';
    if (!['public', 'unlisted', 'private', 'direct'].includes(visibility)) return invalid(`Validation failed: Visibility ${visibility} is unknown`);
    const inReplyTo = p.in_reply_to_id == null ? null : String(p.in_reply_to_id);
    if (inReplyTo && !this.statuses.some((s) => s.id === inReplyTo)) return invalid('The post you are trying to reply to does not appear to exist.', 404);
    for (const id of mediaIds) {
      const m = this.media.get(id);
      if (!m || m.accountId !== auth.accountId || m.statusId) return invalid(`Validation failed: media ${id} is unknown, foreign or attached`);
      if (m.pollsLeft > 0) return invalid('Cannot attach files that have not finished processing. Try again in a moment!');
    }
    if (mediaIds.length > 4) return invalid('Cannot attach more than 4 files');
    const status: FakeStatus = { id: String(this.nextId++), accountId: auth.accountId, text, inReplyTo, visibility, mediaIds };
    this.statuses.push(status);
    for (const id of mediaIds) this.media.get(id)!.statusId = status.id;
    if (typeof key === 'string' && key) this.idempotency.set(`${auth.accountId}:${key}`, status.id);
    return { status: 200, body: this.statusJson(status) };
  }

  /** The documented answer for an injected failure (nothing is created). */
  private injected(): Reply | null {
    if (!this.failure) return null;
    if (this.failure.skip > 0) {
      this.failure.skip--;
      return null;
    }
    const kind = this.failure.kind;
    this.failure = null;
    switch (kind) {
      case 'rate_limited': // Rack::Attack's throttled responder (config/initializers/rack_attack.rb)
        return { status: 429, body: { error: 'Too many requests' }, headers: { 'x-ratelimit-limit': '300', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': new Date(Date.now() + 120_000).toISOString() } };
      case 'server_error':
        return { status: 500, body: { error: 'We\'re sorry, but something went wrong on our end.' } };
      case 'invalid_content':
        return { status: 422, body: { error: `Validation failed: Text character limit of ${this.maxCharacters} exceeded` } };
      case 'duplicate': // base_controller.rb's answer to ActiveRecord::RecordNotUnique
        return { status: 422, body: { error: 'Duplicate record' } };
      case 'suspended':
        return { status: 403, body: { error: 'Your login is currently disabled' } };
      case 'token_revoked':
        return { status: 401, body: { error: 'The access token was revoked' } };
    }
  }

  private statusJson(s: FakeStatus) {
    const account = this.accountJson(s.accountId);
    return {
      id: s.id,
      created_at: new Date().toISOString(),
      in_reply_to_id: s.inReplyTo,
      visibility: s.visibility,
      uri: `${this.url}/users/${account.username}/statuses/${s.id}`,
      url: `${this.url}/@${account.username}/${s.id}`,
      content: `<p>${s.text.replace(/[<>&]/g, (c) => `&#${c.charCodeAt(0)};`)}</p>`,
      account,
      media_attachments: s.mediaIds.map((id) => this.mediaJson(this.media.get(id)!)),
    };
  }
}

const segmenter = new Intl.Segmenter('en', { granularity: 'grapheme' });
function graphemes(text: string): number {
  let n = 0;
  for (const _ of segmenter.segment(text)) n++;
  return n;
}

/** Rails params from JSON, a form (`media_ids[]` as an array) or multipart. */
async function params(req: IncomingMessage, raw: Buffer): Promise<Record<string, unknown>> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
  if (raw.length === 0) return {};
  if (type === 'application/json') return JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
  let entries: [string, string][];
  if (type === 'application/x-www-form-urlencoded') entries = [...new URLSearchParams(raw.toString('utf8'))];
  else if (type === 'multipart/form-data') {
    const form = await new Response(new Uint8Array(raw), { headers: { 'content-type': req.headers['content-type']! } }).formData();
    entries = [...form].filter((e): e is [string, string] => typeof e[1] === 'string');
  } else throw new Error(`unexpected content-type ${type || '(none)'}`);
  const out: Record<string, unknown> = {};
  for (const [k, v] of entries) {
    if (k.endsWith('[]')) ((out[k.slice(0, -2)] ??= []) as string[]).push(v);
    else out[k] = v;
  }
  return out;
}
