import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import twitterText from 'twitter-text';
import type { FailureKind, PeerPost } from '../platforms/conformance.js';

/*
 * A local server answering as the X API v2 reference documents (docs.x.com): OAuth 2.0 with PKCE
 * (/2/oauth2/token), GET /2/users/me, media upload (one-shot and chunked), media metadata and
 * POST /2/tweets, with X's error bodies (RFC 7807 problems; OAuth errors on the token endpoint)
 * and rate-limit headers on every answer. Request shapes are checked: a wrong one is answered 400
 * and recorded in `problems`, which the tests assert empty.
 */

/**
 * Besides the conformance failures: the 24-hour posting limit, and a tweet created whose answer
 * never arrives (connection destroyed, or held open until the client gives up) or is a 503
 * (`CreatedAnyway`).
 */
export type XFailure = FailureKind | 'daily_limit' | CreatedAnyway;
type CreatedAnyway = 'drop_after_create' | 'hang_after_create' | 'server_error_after_create';
const answered = (kind: XFailure | null): kind is Exclude<XFailure, CreatedAnyway> =>
  kind !== null && kind !== 'drop_after_create' && kind !== 'hang_after_create' && kind !== 'server_error_after_create';

export const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==', 'base64');
export const GIF = Buffer.from('R0lGODlhAQABAIAAAP8AAP///yH5BAAAAAAALAAAAAABAAEAAAICRAEAOw==', 'base64');

interface Grant { userId: string; scope: string[] }
interface Media { owner: string; bytes: Buffer; declared: number; state: 'uploading' | 'pending' | 'succeeded'; alt: string }
interface Tweet extends PeerPost { authorId: string }

const problem = (status: number, title: string, detail: string, type = 'about:blank') => ({ title, detail, type, status });
const UNAUTHORIZED = problem(401, 'Unauthorized', 'Unauthorized');
const WINDOW_S = 900;
const LIMITS: Record<string, number> = { tweets: 100, me: 75, media: 500, metadata: 500, token: 500 };

export class XFake {
  readonly problems: string[] = [];
  /** Every request, in order ("POST /2/tweets"): what a post costs. */
  readonly requests: string[] = [];
  readonly user = { id: '1849123456789012345', username: 'octo_poster', name: 'Octo Poster', profile_image_url: 'https://pbs.twimg.com/profile_images/1/octo_normal.png' };
  url = '';
  private server = http.createServer((req, res) => void this.handle(req, res).catch((err) => {
    this.problems.push(`fake crashed: ${(err as Error).stack}`);
    res.destroy();
  }));
  private nextId = 1850000000000000000n;
  private codes = new Map<string, { clientId: string; redirectUri: string; challenge: string; scope: string[]; expiresAt: number }>();
  private accessTokens = new Map<string, Grant & { expiresAt: number }>();
  private refreshTokens = new Map<string, Grant>();
  private media = new Map<string, Media>();
  private tweets: Tweet[] = [];
  private armed: { kind: XFailure; target: 'tweets' | 'media'; skip: number } | null = null;
  private refuseRefresh = false;
  private hangRefresh = false;
  private windows = new Map<string, { remaining: number; reset: number }>();

  constructor(readonly client: { id: string; secret?: string; callbackUrls: string[] }) {}

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  imageUrl(kind: 'png' | 'gif' = 'png'): string {
    return `${this.url}/fixtures/image.${kind}`;
  }

  /**
   * What x.com/i/oauth2/authorize does once the user consents: it checks the app's client id,
   * the registered callback URL and the PKCE challenge, then issues a code (valid 30 s, docs).
   */
  issueCode(p: { clientId: string; redirectUri: string; codeChallenge: string; codeChallengeMethod: string; scope: string }): string {
    const scope = p.scope.split(' ').filter(Boolean);
    if (p.clientId !== this.client.id) this.problems.push(`authorize: unknown client_id ${p.clientId}`);
    if (!this.client.callbackUrls.includes(p.redirectUri)) this.problems.push(`authorize: redirect_uri ${p.redirectUri} is not a registered callback URL`);
    if (p.codeChallengeMethod !== 'S256') this.problems.push(`authorize: code_challenge_method ${p.codeChallengeMethod}, expected S256`);
    if (!/^[A-Za-z0-9_-]{43}$/.test(p.codeChallenge)) this.problems.push('authorize: code_challenge is not a base64url SHA-256');
    const code = randomBytes(24).toString('base64url');
    this.codes.set(code, { clientId: p.clientId, redirectUri: p.redirectUri, challenge: p.codeChallenge, scope, expiresAt: Date.now() + 30_000 });
    return code;
  }

  /**
   * Plays the person approving on x.com: reads the authorize URL's client id, callback URL, PKCE
   * challenge and scope as x.com does, issues a code for them (issueCode), and returns what x.com
   * redirects back with: the code and the state.
   */
  approve(authorizeUrl: string | URL): { code: string; state: string } {
    const q = new URL(authorizeUrl).searchParams;
    const code = this.issueCode({
      clientId: q.get('client_id')!,
      redirectUri: q.get('redirect_uri')!,
      codeChallenge: q.get('code_challenge')!,
      codeChallengeMethod: q.get('code_challenge_method')!,
      scope: q.get('scope')!,
    });
    return { code, state: q.get('state')! };
  }

  /** The next tweet (or media upload) request, `onPart` requests later, is answered with this failure. */
  failNext(kind: XFailure, onPart = 0, target: 'tweets' | 'media' = 'tweets'): void {
    this.armed = { kind, target, skip: onPart };
  }

  /** The current access tokens stop working (401), as after their two hours. */
  async expireAccessToken(): Promise<void> {
    for (const grant of this.accessTokens.values()) grant.expiresAt = 0;
  }

  /** The next refresh is refused as X refuses a revoked refresh token. */
  refuseNextRefresh(): void {
    this.refuseRefresh = true;
  }

  /** The next refresh is never answered (a token endpoint left hanging); its refresh token stays unused. */
  hangNextRefresh(): void {
    this.hangRefresh = true;
  }

  published(): PeerPost[] {
    return this.tweets.filter((t) => t.authorId === this.user.id).map(({ id, text, replyTo, images }) => ({ id, text, replyTo, images }));
  }

  private newId(): string {
    return String(this.nextId++);
  }

  private send(res: http.ServerResponse, route: string, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const now = Math.floor(Date.now() / 1000);
    let w = this.windows.get(route);
    if (!w || w.reset <= now) this.windows.set(route, (w = { remaining: LIMITS[route]!, reset: now + WINDOW_S }));
    w.remaining = Math.max(0, w.remaining - 1);
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'x-rate-limit-limit': String(LIMITS[route]),
      'x-rate-limit-remaining': String(w.remaining),
      'x-rate-limit-reset': String(w.reset),
      ...headers,
    });
    res.end(JSON.stringify(body));
  }

  /** A request shape X would refuse: answered 400 as X does, and recorded. */
  private bad(res: http.ServerResponse, route: string, what: string): void {
    this.problems.push(`${route}: ${what}`);
    const body = route === 'token'
      ? { error: 'invalid_request', error_description: what }
      : { errors: [{ message: what }], ...problem(400, 'Invalid Request', 'One or more parameters to your request was invalid.', 'https://api.twitter.com/2/problems/invalid-request') };
    this.send(res, route, 400, body);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const url = new URL(req.url ?? '/', this.url);
    const path = url.pathname;
    this.requests.push(`${req.method} ${path}`);
    const ct = String(req.headers['content-type'] ?? '');

    if (req.method === 'GET' && path.startsWith('/fixtures/')) {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      return void res.end(path.endsWith('.gif') ? GIF : PNG);
    }
    if (req.method === 'POST' && path === '/2/oauth2/token') return this.token(req, res, ct, body);

    const route = path === '/2/tweets' ? 'tweets' : path === '/2/users/me' ? 'me' : path === '/2/media/metadata' ? 'metadata' : 'media';
    const auth = String(req.headers.authorization ?? '');
    if (!auth.startsWith('Bearer ')) return this.bad(res, route, 'missing Authorization: Bearer <user access token>');
    const grant = this.accessTokens.get(auth.slice(7));
    if (!grant || grant.expiresAt <= Date.now()) return this.send(res, route, 401, UNAUTHORIZED);
    const needs = route === 'tweets' ? ['tweet.read', 'tweet.write', 'users.read'] : route === 'me' ? ['tweet.read', 'users.read'] : ['media.write'];
    const missing = needs.filter((s) => !grant.scope.includes(s));
    if (missing.length) {
      this.problems.push(`${route}: token lacks scope ${missing.join(' ')}`);
      return this.send(res, route, 403, problem(403, 'Forbidden', 'You are not permitted to perform this action.'));
    }

    if (req.method === 'GET' && path === '/2/users/me') {
      const fields = (url.searchParams.get('user.fields') ?? '').split(',');
      if (!fields.includes('profile_image_url')) this.problems.push('me: user.fields lacks profile_image_url (no avatar)');
      const { profile_image_url, ...basic } = this.user;
      return this.send(res, route, 200, { data: fields.includes('profile_image_url') ? this.user : basic });
    }
    if (route === 'media') {
      const failure = this.turn('media');
      if (answered(failure)) return this.fail(res, route, failure);
    }
    if (req.method === 'POST' && path === '/2/media/upload') return this.oneShot(res, grant, ct, body);
    if (req.method === 'POST' && path === '/2/media/upload/initialize') return this.initialize(res, grant, ct, body);
    const chunked = /^\/2\/media\/upload\/(\d+)\/(append|finalize)$/.exec(path);
    if (req.method === 'POST' && chunked) return this.chunk(res, grant, chunked[1]!, chunked[2] as 'append' | 'finalize', ct, body);
    if (req.method === 'GET' && path === '/2/media/upload') return this.status(res, grant, url.searchParams);
    if (req.method === 'POST' && path === '/2/media/metadata') return this.metadata(res, grant, ct, body);
    if (req.method === 'POST' && path === '/2/tweets') return this.createTweet(res, grant, ct, body);
    this.problems.push(`no such endpoint: ${req.method} ${path}`);
    this.send(res, route, 404, problem(404, 'Not Found Error', `Sorry, that page does not exist.`));
  }

  /** POST /2/oauth2/token: form encoded; a confidential client authenticates with HTTP Basic. */
  private token(req: http.IncomingMessage, res: http.ServerResponse, ct: string, body: Buffer): void {
    if (!ct.startsWith('application/x-www-form-urlencoded')) return this.bad(res, 'token', `content-type ${ct}, expected application/x-www-form-urlencoded`);
    const form = new URLSearchParams(body.toString());
    const basic = /^Basic (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
    if (this.client.secret !== undefined) {
      const [id, secret] = Buffer.from(basic ?? '', 'base64').toString().split(':').map(decodeURIComponent);
      if (id !== this.client.id || secret !== this.client.secret) {
        this.problems.push('token: missing or wrong HTTP Basic client credentials');
        return this.send(res, 'token', 401, { error: 'unauthorized_client', error_description: 'Missing valid authorization header' });
      }
    }
    if (form.get('client_id') !== this.client.id) return this.bad(res, 'token', `client_id ${form.get('client_id')} is not this app's`);
    const invalid = (what: string) => this.send(res, 'token', 400, { error: 'invalid_request', error_description: `Value passed for the ${what} was invalid.` });

    if (form.get('grant_type') === 'authorization_code') {
      const code = this.codes.get(form.get('code') ?? '');
      this.codes.delete(form.get('code') ?? ''); // single use
      if (!code || code.expiresAt < Date.now()) return invalid('authorization code');
      if (form.get('redirect_uri') !== code.redirectUri) return this.bad(res, 'token', `redirect_uri ${form.get('redirect_uri')} differs from the authorize request's ${code.redirectUri}`);
      const verifier = form.get('code_verifier') ?? '';
      if (!/^[A-Za-z0-9._~-]{43,128}$/.test(verifier)) return this.bad(res, 'token', 'code_verifier must be 43-128 unreserved characters (RFC 7636)');
      if (createHash('sha256').update(verifier).digest('base64url') !== code.challenge) return this.bad(res, 'token', 'code_verifier does not match the code_challenge');
      return this.send(res, 'token', 200, this.issueTokens({ userId: this.user.id, scope: code.scope }));
    }
    if (form.get('grant_type') === 'refresh_token') {
      if (this.hangRefresh) {
        this.hangRefresh = false;
        return; // no answer (close() ends it)
      }
      const presented = form.get('refresh_token') ?? '';
      const grant = this.refreshTokens.get(presented);
      this.refreshTokens.delete(presented); // rotation: a refresh token works once
      if (!grant || this.refuseRefresh) {
        this.refuseRefresh = false;
        return invalid('token');
      }
      return this.send(res, 'token', 200, this.issueTokens(grant));
    }
    this.bad(res, 'token', `grant_type ${form.get('grant_type')} is not supported`);
  }

  private issueTokens(grant: Grant) {
    const access = randomBytes(30).toString('base64url');
    this.accessTokens.set(access, { ...grant, expiresAt: Date.now() + 7200_000 });
    const out: Record<string, unknown> = { token_type: 'bearer', expires_in: 7200, access_token: access, scope: grant.scope.join(' ') };
    if (grant.scope.includes('offline.access')) {
      const refresh = randomBytes(30).toString('base64url');
      this.refreshTokens.set(refresh, grant);
      out.refresh_token = refresh;
    }
    return out;
  }

  private async multipart(res: http.ServerResponse, ct: string, body: Buffer): Promise<globalThis.FormData | null> {
    if (!ct.startsWith('multipart/form-data')) {
      this.bad(res, 'media', `content-type ${ct}, expected multipart/form-data`);
      return null;
    }
    return new Response(body, { headers: { 'content-type': ct } }).formData();
  }

  /** POST /2/media/upload, one shot: `media` (file), `media_category` tweet_image, optional `media_type`. */
  private async oneShot(res: http.ServerResponse, grant: Grant, ct: string, body: Buffer): Promise<void> {
    const form = await this.multipart(res, ct, body);
    if (!form) return;
    const file = form.get('media');
    if (!(file instanceof Blob) || file.size === 0) return this.bad(res, 'media', 'media must be a non-empty file part');
    if (form.get('media_category') !== 'tweet_image') return this.bad(res, 'media', `media_category ${form.get('media_category')}, expected tweet_image`);
    const bytes = Buffer.from(await file.arrayBuffer());
    const sniffed = bytes[0] === 0x89 && bytes[1] === 0x50 ? 'image/png' : bytes[0] === 0xff && bytes[1] === 0xd8 ? 'image/jpeg' : bytes.subarray(8, 12).toString('latin1') === 'WEBP' ? 'image/webp' : null;
    // The one-shot's media_type enum lists no GIF (GIFs take the chunked route with tweet_gif).
    if (!sniffed) return this.bad(res, 'media', 'media is not a JPEG, PNG or WebP image');
    const declared = form.get('media_type');
    if (declared !== null && declared !== sniffed) return this.bad(res, 'media', `media_type ${declared} but the bytes are ${sniffed}`);
    const id = this.newId();
    this.media.set(id, { owner: grant.userId, bytes, declared: bytes.length, state: 'succeeded', alt: '' });
    this.send(res, 'media', 200, { data: { id, media_key: `3_${id}`, size: bytes.length, expires_after_secs: 86400 } });
  }

  /** POST /2/media/upload/initialize (JSON): media_type, total_bytes, media_category. */
  private initialize(res: http.ServerResponse, grant: Grant, ct: string, body: Buffer): void {
    if (!ct.startsWith('application/json')) return this.bad(res, 'media', `content-type ${ct}, expected application/json`);
    const j = JSON.parse(body.toString() || '{}');
    if (j.media_type !== 'image/gif' || j.media_category !== 'tweet_gif') return this.bad(res, 'media', `initialize ${j.media_type}/${j.media_category}: this fake takes GIFs as tweet_gif`);
    if (!Number.isInteger(j.total_bytes) || j.total_bytes <= 0) return this.bad(res, 'media', 'total_bytes must be a positive integer');
    const id = this.newId();
    this.media.set(id, { owner: grant.userId, bytes: Buffer.alloc(0), declared: j.total_bytes, state: 'uploading', alt: '' });
    this.send(res, 'media', 200, { data: { id, media_key: `16_${id}`, expires_after_secs: 86400 } });
  }

  private async chunk(res: http.ServerResponse, grant: Grant, id: string, step: 'append' | 'finalize', ct: string, body: Buffer): Promise<void> {
    const m = this.media.get(id);
    if (!m || m.owner !== grant.userId || m.state !== 'uploading') return this.bad(res, 'media', `${step} on media ${id}, which is not an upload in progress`);
    if (step === 'finalize') {
      if (m.bytes.length !== m.declared) return this.bad(res, 'media', `finalize after ${m.bytes.length} of ${m.declared} bytes`);
      m.state = 'pending'; // processed asynchronously: STATUS says when it is usable
      return this.send(res, 'media', 200, { data: { id, media_key: `16_${id}`, size: m.declared, expires_after_secs: 86400, processing_info: { state: 'pending', check_after_secs: 1 } } });
    }
    const form = await this.multipart(res, ct, body);
    if (!form) return;
    const file = form.get('media');
    const index = Number(form.get('segment_index'));
    if (!(file instanceof Blob) || !Number.isInteger(index) || index < 0 || index > 999) return this.bad(res, 'media', 'append needs a media file part and a segment_index 0-999');
    m.bytes = Buffer.concat([m.bytes, Buffer.from(await file.arrayBuffer())]);
    this.send(res, 'media', 200, { data: { expires_at: Math.floor(Date.now() / 1000) + 86400 } });
  }

  /** GET /2/media/upload?command=STATUS&media_id= */
  private status(res: http.ServerResponse, grant: Grant, q: URLSearchParams): void {
    const m = this.media.get(q.get('media_id') ?? '');
    if (q.get('command') !== 'STATUS' || !m || m.owner !== grant.userId) return this.bad(res, 'media', 'STATUS needs command=STATUS and a media_id of this user');
    if (m.state === 'pending') m.state = 'succeeded';
    this.send(res, 'media', 200, { data: { id: q.get('media_id'), media_key: `16_${q.get('media_id')}`, processing_info: { state: m.state, progress_percent: 100 } } });
  }

  /** POST /2/media/metadata {id, metadata: {alt_text: {text}}}. */
  private metadata(res: http.ServerResponse, grant: Grant, ct: string, body: Buffer): void {
    if (!ct.startsWith('application/json')) return this.bad(res, 'metadata', `content-type ${ct}, expected application/json`);
    const j = JSON.parse(body.toString() || '{}');
    const m = this.media.get(j.id);
    if (!m || m.owner !== grant.userId) return this.bad(res, 'metadata', `id ${j.id} is not a media of this user`);
    const text = j.metadata?.alt_text?.text;
    if (typeof text !== 'string' || [...text].length > 1000) return this.bad(res, 'metadata', 'metadata.alt_text.text must be a string of at most 1000 characters');
    m.alt = text;
    this.send(res, 'metadata', 200, { data: { id: j.id, associated_metadata: { alt_text: { text } } } });
  }

  /** The armed failure, when this request of `target` is its turn (each call counts one request). */
  private turn(target: 'tweets' | 'media'): XFailure | null {
    const armed = this.armed;
    if (armed?.target !== target || armed.skip-- > 0) return null;
    this.armed = null;
    return armed.kind;
  }

  /** Answers a failure as X documents it. */
  private fail(res: http.ServerResponse, route: string, kind: Exclude<XFailure, CreatedAnyway>): void {
    const now = Math.floor(Date.now() / 1000);
    const answers: Record<Exclude<XFailure, CreatedAnyway>, [number, unknown, Record<string, string>?]> = {
      rate_limited: [429, problem(429, 'Too Many Requests', 'Too Many Requests'), { 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': String(now + 120) }],
      daily_limit: [429, problem(429, 'Too Many Requests', 'Too Many Requests'), { 'x-user-limit-24hour-limit': '17', 'x-user-limit-24hour-remaining': '0', 'x-user-limit-24hour-reset': String(now + 6 * 3600) }],
      server_error: [503, problem(503, 'Service Unavailable', 'Service Unavailable')],
      invalid_content: [400, { errors: [{ parameters: { text: ['...'] }, message: 'The text field is invalid.' }], ...problem(400, 'Invalid Request', 'One or more parameters to your request was invalid.', 'https://api.twitter.com/2/problems/invalid-request') }],
      duplicate: [403, problem(403, 'Forbidden', 'You are not allowed to create a Tweet with duplicate content.')],
      suspended: [403, problem(403, 'Forbidden', 'The user used for authentication is suspended', 'https://api.twitter.com/2/problems/user-suspended')],
      token_revoked: [401, UNAUTHORIZED],
    };
    const [status, body, headers] = answers[kind];
    this.send(res, route, status, body, headers);
  }

  /** POST /2/tweets {text, media?: {media_ids}, reply?: {in_reply_to_tweet_id}} → 201 {data: {id, text}}. */
  private createTweet(res: http.ServerResponse, grant: Grant, ct: string, body: Buffer): void {
    if (!ct.startsWith('application/json')) return this.bad(res, 'tweets', `content-type ${ct}, expected application/json`);
    const j = JSON.parse(body.toString() || '{}');
    const unknown = Object.keys(j).filter((k) => !['text', 'media', 'reply'].includes(k));
    if (unknown.length) return this.bad(res, 'tweets', `unexpected fields ${unknown.join(', ')}`);
    if (typeof j.text !== 'string' || (!j.text && !j.media)) return this.bad(res, 'tweets', 'text must be a string');
    const mediaIds: unknown = j.media?.media_ids ?? [];
    if (!Array.isArray(mediaIds) || mediaIds.length > 4 || (j.media && mediaIds.length === 0)) return this.bad(res, 'tweets', 'media.media_ids must hold 1 to 4 ids');
    for (const id of mediaIds) {
      const m = this.media.get(id);
      if (typeof id !== 'string' || !m || m.owner !== grant.userId || m.state !== 'succeeded') return this.bad(res, 'tweets', `media id ${String(id)} is not an uploaded, processed media of this user`);
    }
    const replyTo = j.reply === undefined ? null : j.reply?.in_reply_to_tweet_id;
    if (replyTo !== null && !this.tweets.some((t) => t.id === replyTo)) return this.bad(res, 'tweets', `reply.in_reply_to_tweet_id ${replyTo} is not an existing tweet`);
    const failure = this.turn('tweets');
    if (answered(failure)) return this.fail(res, 'tweets', failure);
    if (twitterText.parseTweet(j.text).weightedLength > 280) {
      return this.send(res, 'tweets', 403, problem(403, 'Forbidden', 'Your Tweet text is too long.'));
    }
    if (this.tweets.some((t) => t.authorId === grant.userId && t.text === j.text)) {
      return this.send(res, 'tweets', 403, problem(403, 'Forbidden', 'You are not allowed to create a Tweet with duplicate content.'));
    }
    const tweet: Tweet = { id: this.newId(), text: j.text, replyTo, images: mediaIds.map((id) => ({ alt: this.media.get(id)!.alt })), authorId: grant.userId };
    this.tweets.push(tweet);
    if (failure === 'drop_after_create') return void res.socket?.destroy(); // created, but the answer is lost
    if (failure === 'hang_after_create') return; // created; the answer never comes (close() ends it)
    if (failure === 'server_error_after_create') return this.fail(res, 'tweets', 'server_error'); // created, yet answered 503
    this.send(res, 'tweets', 201, { data: { id: tweet.id, text: tweet.text, edit_history_tweet_ids: [tweet.id] } });
  }
}
