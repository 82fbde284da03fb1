import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FailureKind, PeerPost } from '../platforms/conformance.js';

/**
 * A local Threads (graph.threads.net) answering as Meta documents it: the OAuth code exchange,
 * th_exchange_token and th_refresh_token, /me, media containers (POST /{user-id}/threads, whose
 * image it downloads itself from image_url as Meta does), their status, threads_publish and
 * permalinks. Errors use the Graph API body {"error": {message, type, code, error_subcode,
 * fbtrace_id}}. Request shapes it finds wrong are kept in `problems`.
 */
export interface ThreadsFakeOptions {
  appId: string;
  appSecret: string;
}

export interface ThreadsContainer {
  id: string;
  mediaType: string;
  text: string;
  replyTo: string | null;
  carouselItem: boolean;
  children: string[];
  imageUrl?: string;
  altText?: string;
  status: 'IN_PROGRESS' | 'FINISHED' | 'ERROR' | 'EXPIRED' | 'PUBLISHED';
  errorMessage?: string;
  /** When processing of the downloaded image ends (epoch ms); IN_PROGRESS until then. */
  readyAt: number;
}

interface Media {
  id: string;
  containerId: string;
  text: string;
  replyTo: string | null;
  alts: string[];
}

type Stage = 'create' | 'publish';
const DAY = 24 * 60 * 60_000;

export class ThreadsFake {
  readonly user = { id: '25942093478653217', username: 'ada.codes', name: 'Ada Lovelace', picture: 'https://scontent.cdninstagram.test/ada.jpg' };
  readonly problems: string[] = [];
  readonly containers = new Map<string, ThreadsContainer>();
  readonly media: Media[] = [];
  /** "METHOD /path" of every request, in order. */
  readonly requests: string[] = [];
  /** How long processing a downloaded image takes; the container stays IN_PROGRESS meanwhile. */
  processingMs = 0;
  url = '';
  private server: Server | null = null;
  private readonly codes = new Map<string, { redirectUri: string; used: boolean }>();
  private readonly tokens = new Map<string, { long: boolean; issuedAt: number; expiresAt: number }>();
  private failure: { kind: FailureKind; stage: Stage; part: number } | null = null;
  private refuseRefresh = false;
  private dropPublishAnswer = false;
  private seq = 1;

  constructor(private readonly options: ThreadsFakeOptions) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err) => this.error(res, 500, 2, `Service temporarily unavailable: ${err}`));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  published(): PeerPost[] {
    return this.media.map((m) => ({ id: m.id, text: m.text, replyTo: m.replyTo, images: m.alts.map((alt) => ({ alt })) }));
  }

  /** The next publish (or, with stage 'create', container creation) of thread part `part` fails so. */
  failNext(kind: FailureKind, part = 0, stage: Stage = 'publish'): void {
    this.failure = { kind, stage, part };
  }

  /** Ages every long-lived token to a day before its expiry: old enough to refresh, close to the end. */
  ageTokens(): void {
    for (const t of this.tokens.values()) if (t.long) Object.assign(t, { issuedAt: Date.now() - 59 * DAY, expiresAt: Date.now() + DAY });
  }

  expireTokens(): void {
    for (const t of this.tokens.values()) t.expiresAt = Date.now() - 1000;
  }

  refuseNextRefresh(): void {
    this.refuseRefresh = true;
  }

  /** The next threads_publish succeeds but its answer is lost (the connection drops). */
  loseNextPublishAnswer(): void {
    this.dropPublishAnswer = true;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const body = await readBody(req);
    this.requests.push(`${req.method} ${url.pathname}`);
    // Graph API parameters come in the query string or a form body, alike.
    const p = new URLSearchParams(url.search);
    if (req.method === 'POST') {
      if (!String(req.headers['content-type']).startsWith('application/x-www-form-urlencoded')) this.problems.push(`${url.pathname}: content-type ${req.headers['content-type']}`);
      for (const [k, v] of new URLSearchParams(body.toString())) p.set(k, v);
    }
    const route = `${req.method} ${url.pathname.replace(/^\/v1\.0\//, '/{v}/')}`;
    if (route === 'GET /oauth/authorize') return this.authorize(p, res);
    if (route === 'POST /oauth/access_token') return this.codeExchange(p, res);
    if (route === 'GET /access_token') return this.longLived(p, res);
    if (route === 'GET /refresh_access_token') return this.refresh(p, res);
    if (!route.includes('/{v}/')) {
      this.problems.push(`unexpected request ${req.method} ${url.pathname}`);
      return this.error(res, 400, 100, `Unsupported request ${url.pathname}`);
    }
    if (!this.validToken(p, res)) return;
    const [, , node, edge] = url.pathname.split('/');
    if (route === 'GET /{v}/me') return this.json(res, 200, this.profile(p));
    if (req.method === 'POST' && (edge === 'threads' || edge === 'threads_publish')) {
      if (!this.ownUser(node!, res)) return;
      return edge === 'threads' ? this.createContainer(p, res) : this.publish(p, res);
    }
    if (req.method === 'GET' && !edge) return this.read(node!, p, res);
    this.problems.push(`unexpected request ${req.method} ${url.pathname}`);
    this.error(res, 400, 100, `Unsupported ${req.method} request`);
  }

  private authorize(p: URLSearchParams, res: ServerResponse): void {
    const scopes = (p.get('scope') ?? '').split(',');
    const wrong = [
      p.get('client_id') !== this.options.appId && 'unknown client_id',
      !/^https?:\/\//.test(p.get('redirect_uri') ?? '') && 'redirect_uri missing',
      p.get('response_type') !== 'code' && 'response_type must be code',
      !p.get('state') && 'state missing',
      !(scopes.includes('threads_basic') && scopes.includes('threads_content_publish')) && `scope "${p.get('scope')}"`,
    ].filter(Boolean) as string[];
    if (wrong.length) {
      this.problems.push(...wrong.map((w) => `authorize: ${w}`));
      return this.error(res, 400, 100, wrong.join('; '));
    }
    const code = `AQ${randomBytes(24).toString('base64url')}`;
    this.codes.set(code, { redirectUri: p.get('redirect_uri')!, used: false });
    const back = new URL(p.get('redirect_uri')!);
    back.searchParams.set('code', code);
    back.searchParams.set('state', p.get('state')!);
    // Meta appends "#_" to the redirect; browsers keep fragments out of the request.
    res.writeHead(302, { location: `${back.href}#_` }).end();
  }

  private codeExchange(p: URLSearchParams, res: ServerResponse): void {
    if (p.get('client_id') !== this.options.appId || p.get('client_secret') !== this.options.appSecret) {
      this.problems.push('access_token: wrong client_id or client_secret');
      return this.error(res, 400, 101, 'Error validating client secret.');
    }
    const code = this.codes.get(p.get('code') ?? '');
    if (p.get('grant_type') !== 'authorization_code' || !code || code.used || code.redirectUri !== p.get('redirect_uri')) {
      this.problems.push('access_token: wrong grant_type, unknown or used code, or another redirect_uri');
      return this.error(res, 400, 100, 'Invalid verification code format.', 36008);
    }
    code.used = true;
    const token = this.issue(false, 3600_000);
    // user_id is a JSON number, larger than a double holds exactly: written by hand, as Meta does.
    res.writeHead(200, { 'content-type': 'application/json' }).end(`{"access_token":"${token}","user_id":${this.user.id}}`);
  }

  private longLived(p: URLSearchParams, res: ServerResponse): void {
    const short = this.tokens.get(p.get('access_token') ?? '');
    if (p.get('grant_type') !== 'th_exchange_token' || p.get('client_secret') !== this.options.appSecret) {
      this.problems.push('th_exchange_token: wrong grant_type or client_secret');
      return this.error(res, 400, 101, 'Error validating client secret.');
    }
    if (!short || short.long || short.expiresAt < Date.now()) {
      this.problems.push('th_exchange_token: not a live short-lived token');
      return this.error(res, 400, 190, 'Invalid OAuth access token - Cannot parse access token');
    }
    this.json(res, 200, { access_token: this.issue(true, 60 * DAY), token_type: 'bearer', expires_in: 5_183_944 });
  }

  private refresh(p: URLSearchParams, res: ServerResponse): void {
    const t = this.tokens.get(p.get('access_token') ?? '');
    if (p.get('grant_type') !== 'th_refresh_token') this.problems.push(`refresh: grant_type ${p.get('grant_type')}`);
    if (this.refuseRefresh || !t || !t.long || t.expiresAt < Date.now()) {
      this.refuseRefresh = false;
      return this.error(res, 400, 190, 'Error validating access token: The session has been invalidated because the user changed their password or Facebook has changed the session for security reasons.', 460);
    }
    if (t.issuedAt > Date.now() - DAY) {
      this.problems.push('refresh: token younger than 24 hours');
      return this.error(res, 400, 100, 'The access token must be at least 24 hours old to be refreshed.');
    }
    this.json(res, 200, { access_token: this.issue(true, 60 * DAY), token_type: 'bearer', expires_in: 5_183_944 });
  }

  private issue(long: boolean, lifetimeMs: number): string {
    const token = `TH${long ? 'AA' : 'QV'}${randomBytes(30).toString('base64url')}`;
    this.tokens.set(token, { long, issuedAt: Date.now(), expiresAt: Date.now() + lifetimeMs });
    return token;
  }

  private validToken(p: URLSearchParams, res: ServerResponse): boolean {
    const token = p.get('access_token');
    const t = token ? this.tokens.get(token) : undefined;
    if (!token) this.problems.push('access_token missing');
    if (!t || !t.long || t.expiresAt < Date.now()) {
      this.error(res, 400, 190, t ? 'Error validating access token: Session has expired.' : 'Invalid OAuth access token - Cannot parse access token', t ? 463 : undefined);
      return false;
    }
    return true;
  }

  private ownUser(node: string, res: ServerResponse): boolean {
    if (node === this.user.id || node === 'me') return true;
    this.problems.push(`request for user ${node}, not the token's user`);
    this.error(res, 400, 100, `Unsupported post request. Object with ID '${node}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`, 33);
    return false;
  }

  private profile(p: URLSearchParams): Record<string, string> {
    const fields = (p.get('fields') ?? '').split(',');
    if (!fields.includes('id') || !fields.includes('username')) this.problems.push(`me: fields ${p.get('fields')}`);
    const all: Record<string, string> = { id: this.user.id, username: this.user.username, name: this.user.name, threads_profile_picture_url: this.user.picture };
    return Object.fromEntries(Object.entries(all).filter(([k]) => k === 'id' || fields.includes(k)));
  }

  private createContainer(p: URLSearchParams, res: ServerResponse): void {
    const type = p.get('media_type') ?? '';
    const carouselItem = p.get('is_carousel_item') === 'true';
    const text = p.get('text') ?? '';
    const replyTo = p.get('reply_to_id');
    const children = (p.get('children') ?? '').split(',').filter(Boolean);
    const invalid =
      (!['TEXT', 'IMAGE', 'CAROUSEL'].includes(type) && `media_type ${type}`) ||
      (type === 'TEXT' && !text && 'text is required for a TEXT post') ||
      (type === 'IMAGE' && !p.get('image_url') && 'image_url is required for an IMAGE post') ||
      (carouselItem && type !== 'IMAGE' && 'a carousel item must be an IMAGE or VIDEO') ||
      ([...text].length > 500 && 'Param text must be at most 500 characters long.') ||
      (replyTo && !this.media.some((m) => m.id === replyTo) && `reply_to_id ${replyTo} does not exist`) ||
      (type === 'CAROUSEL' && (children.length < 2 || children.length > 20) && `a carousel needs 2 to 20 children, not ${children.length}`) ||
      (type === 'CAROUSEL' && children.some((c) => !this.containers.get(c)?.carouselItem) && 'children must be carousel item containers of this user');
    if (invalid) {
      this.problems.push(`threads: ${invalid}`);
      return this.error(res, 400, 100, `Invalid parameter: ${invalid}`);
    }
    const container: ThreadsContainer = { id: this.nextId(), mediaType: type, text, replyTo, carouselItem, children, status: type === 'IMAGE' ? 'IN_PROGRESS' : 'FINISHED', readyAt: 0 };
    if (!carouselItem && this.failure?.stage === 'create' && this.failure.part === this.partOf(container)) return this.fail(res);
    if (type === 'IMAGE') {
      container.imageUrl = p.get('image_url')!;
      if (p.get('alt_text')) container.altText = p.get('alt_text')!;
      void this.download(container);
    }
    this.containers.set(container.id, container);
    this.json(res, 200, { id: container.id });
  }

  /** Meta cURLs the image itself: a JPEG or PNG of at most 8 MB, from a public server. */
  private async download(container: ThreadsContainer): Promise<void> {
    try {
      const response = await fetch(container.imageUrl!);
      const bytes = Buffer.from(await response.arrayBuffer());
      const jpegOrPng = (bytes[0] === 0xff && bytes[1] === 0xd8) || bytes.subarray(1, 4).toString('latin1') === 'PNG';
      if (!response.ok || !jpegOrPng || bytes.length > 8 * 1024 * 1024) throw new Error(`HTTP ${response.status}, ${bytes.length} bytes`);
      container.readyAt = Date.now() + this.processingMs;
      container.status = 'FINISHED';
    } catch {
      container.status = 'ERROR';
      container.errorMessage = 'UNKNOWN';
    }
  }

  private read(id: string, p: URLSearchParams, res: ServerResponse): void {
    const container = this.containers.get(id);
    if (container) {
      if (p.get('fields') !== 'status,error_message') this.problems.push(`container read with fields ${p.get('fields')}`);
      const status = this.statusOf(container);
      return this.json(res, 200, { status, id, ...(container.errorMessage && { error_message: container.errorMessage }) });
    }
    const media = this.media.find((m) => m.id === id);
    if (!media) {
      this.problems.push(`read of unknown object ${id}`);
      return this.error(res, 400, 100, `Object with ID '${id}' does not exist`, 33);
    }
    this.json(res, 200, { permalink: `https://www.threads.net/@${this.user.username}/post/${Buffer.from(id).toString('base64url').slice(0, 11)}`, id });
  }

  /** A carousel is ready when every child is; an error in one is the carousel's. */
  private statusOf(c: ThreadsContainer): ThreadsContainer['status'] {
    if (c.status === 'FINISHED' && c.readyAt > Date.now()) return 'IN_PROGRESS';
    if (c.mediaType !== 'CAROUSEL' || c.status !== 'FINISHED') return c.status;
    const children = c.children.map((id) => this.statusOf(this.containers.get(id)!));
    if (children.includes('ERROR')) return 'ERROR';
    return children.every((k) => k === 'FINISHED') ? 'FINISHED' : 'IN_PROGRESS';
  }

  private publish(p: URLSearchParams, res: ServerResponse): void {
    const container = this.containers.get(p.get('creation_id') ?? '');
    if (!container || container.carouselItem) {
      this.problems.push(`threads_publish: creation_id ${p.get('creation_id')} is not a container of this user`);
      return this.error(res, 400, 100, 'Invalid parameter', 4279009);
    }
    if (container.status === 'PUBLISHED') {
      // Meta refuses a second publish of a container; its exact code is not documented.
      this.problems.push(`threads_publish: container ${container.id} published twice`);
      return this.error(res, 400, 100, 'The media container has already been published.');
    }
    if (this.statusOf(container) !== 'FINISHED') {
      this.problems.push(`threads_publish: container ${container.id} is ${this.statusOf(container)}`);
      return this.error(res, 400, 24, 'The requested resource does not exist: media is not ready to be published.', 4279009);
    }
    if (this.failure?.stage === 'publish' && this.failure.part === this.partOf(container)) return this.fail(res);
    container.status = 'PUBLISHED';
    const items = container.mediaType === 'CAROUSEL' ? container.children.map((id) => this.containers.get(id)!) : container.mediaType === 'IMAGE' ? [container] : [];
    const media: Media = { id: this.nextId(), containerId: container.id, text: container.text, replyTo: container.replyTo, alts: items.map((i) => i.altText ?? '') };
    this.media.push(media);
    if (this.dropPublishAnswer) {
      this.dropPublishAnswer = false;
      res.socket?.destroy();
      return;
    }
    this.json(res, 200, { id: media.id });
  }

  /** Which part of a thread a container is: 0 for a head, else one more than the post it replies to. */
  private partOf(c: { replyTo: string | null }): number {
    let part = 0;
    for (let parent = c.replyTo; parent; part++) parent = this.media.find((m) => m.id === parent)?.replyTo ?? null;
    return part;
  }

  private fail(res: ServerResponse): void {
    const kind = this.failure!.kind;
    this.failure = null;
    const answers: Record<FailureKind, [number, number, string, number?, Record<string, string>?]> = {
      // Meta documents no reset header for Threads; the Graph API's BUC header is sent here.
      rate_limited: [403, 4, 'Application request limit reached', undefined, { 'x-business-use-case-usage': JSON.stringify({ [this.user.id]: [{ type: 'threads', call_count: 100, total_cputime: 40, total_time: 60, estimated_time_to_regain_access: 17 }] }) }],
      server_error: [500, 2, 'Service temporarily unavailable'],
      invalid_content: [400, 100, 'Invalid parameter', 2207001],
      // Threads documents no duplicate error; Graph API's 506 "Duplicate Post" stands in for it.
      duplicate: [400, 506, 'Duplicate status message'],
      suspended: [400, 368, 'The action attempted has been deemed abusive or is otherwise disallowed'],
      token_revoked: [400, 190, 'Error validating access token: The user has not authorized application.', 458],
    };
    const [status, code, message, subcode, headers] = answers[kind];
    this.error(res, status, code, message, subcode, headers);
  }

  private nextId(): string {
    return `1789${String(this.seq++).padStart(13, '0')}`;
  }

  private error(res: ServerResponse, status: number, code: number, message: string, subcode?: number, headers: Record<string, string> = {}): void {
    const type = code === 190 ? 'OAuthException' : 'THApiException';
    const error = { message, type, code, ...(subcode !== undefined && { error_subcode: subcode }), fbtrace_id: `A${randomBytes(8).toString('hex')}` };
    this.json(res, status, { error }, headers);
  }

  private json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
