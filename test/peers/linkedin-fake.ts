import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FailureKind, PeerPost } from '../platforms/conformance.js';

/**
 * A local LinkedIn that answers as its documentation says (learn.microsoft.com/linkedin):
 * OAuth 2.0 authorization code flow (/oauth/v2/authorization, /oauth/v2/accessToken), OpenID
 * userinfo (/v2/userinfo), the Images API (initializeUpload + PUT of the bytes) and the Posts API
 * (POST /rest/posts, 201 with x-restli-id). Every request shape it checks and finds wrong is kept
 * in `problems` (and answered as LinkedIn would), so tests can assert there were none.
 */
export interface LinkedInFakeOptions {
  clientId: string;
  clientSecret: string;
  /** Whether the app is approved for programmatic refresh tokens (most apps are not). */
  grantsRefreshTokens?: boolean;
}

export interface LinkedInFakePost {
  urn: string;
  author: string;
  /** The commentary as sent (little text format). */
  commentary: string;
  /** What LinkedIn shows: the commentary with its escapes read. */
  text: string;
  media: { id: string; altText?: string }[];
}

const RESERVED = '|{}@[]()<>#\\*_~';
const DAY = 24 * 60 * 60_000;

interface Token {
  sub: string;
  expiresAt: number;
  /** userinfo calls still to refuse, as LinkedIn does for a moment after issuing a token. */
  lag: number;
}

export class LinkedInFake {
  readonly member = { sub: 'x7Pq2LmN9a', name: 'Ada Lovelace', email: 'ada@example.test', picture: 'https://media.licdn.test/ada.jpg' };
  readonly problems: string[] = [];
  readonly posts: LinkedInFakePost[] = [];
  /** "METHOD /path" of every request, in order. */
  readonly requests: string[] = [];
  /** Fresh tokens refuse this many userinfo calls with 401 REVOKED_ACCESS_TOKEN. */
  tokenLag = 0;
  url = '';
  private server: Server | null = null;
  private readonly codes = new Map<string, { redirectUri: string; used: boolean }>();
  private readonly tokens = new Map<string, Token>();
  private readonly refreshTokens = new Map<string, { sub: string; expiresAt: number }>();
  private readonly images = new Map<string, { owner: string; uploadId: string; bytes: number }>();
  private failure: FailureKind | null = null;
  private createThenFail = false;
  private refuseRefresh = false;

  constructor(private readonly options: LinkedInFakeOptions) {}

  get oauthBaseUrl(): string {
    return `${this.url}/oauth/v2`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err) => this.json(res, 500, { message: String(err), status: 500 }));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  /** The member's posts as the conformance suite reads them. */
  published(): PeerPost[] {
    return this.posts.map((p) => ({ id: p.urn, text: p.text, replyTo: null, images: p.media.map((m) => ({ alt: m.altText ?? '' })) }));
  }

  /** The next POST /rest/posts is answered with this failure. LinkedIn has no threads: every part is 0. */
  failNext(kind: FailureKind): void {
    this.failure = kind;
  }

  /** The next POST /rest/posts creates the post, then answers 500 as if it had not. */
  createThenFailNext(): void {
    this.createThenFail = true;
  }

  expireAccessTokens(): void {
    for (const token of this.tokens.values()) token.expiresAt = Date.now() - 1000;
  }

  refuseNextRefresh(): void {
    this.refuseRefresh = true;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const body = await readBody(req);
    this.requests.push(`${req.method} ${url.pathname}`);
    const route = `${req.method} ${url.pathname}`;
    if (route === 'GET /oauth/v2/authorization') return this.authorize(url, res);
    if (route === 'POST /oauth/v2/accessToken') return this.accessToken(req, body, res);
    if (route === 'GET /v2/userinfo') return this.userinfo(req, res);
    if (route === 'POST /rest/images' && url.searchParams.get('action') === 'initializeUpload') return this.initializeUpload(req, body, res);
    if (req.method === 'PUT' && url.pathname.startsWith('/dms-uploads/')) return this.upload(req, url, body, res);
    if (route === 'POST /rest/posts') return this.createPost(req, body, res);
    this.problems.push(`unexpected request ${route}`);
    this.json(res, 404, { message: `No resource found for ${url.pathname}`, status: 404 });
  }

  /** The member consents at once; LinkedIn then sends the browser back with the code and state. */
  private authorize(url: URL, res: ServerResponse): void {
    const p = url.searchParams;
    const scopes = (p.get('scope') ?? '').split(' ');
    const wrong = [
      p.get('response_type') !== 'code' && 'response_type must be code',
      p.get('client_id') !== this.options.clientId && 'unknown client_id',
      !/^https?:\/\//.test(p.get('redirect_uri') ?? '') && 'redirect_uri missing',
      !p.get('state') && 'state missing',
      !['openid', 'profile', 'w_member_social'].every((s) => scopes.includes(s)) && `scope lacks openid profile w_member_social: "${p.get('scope')}"`,
    ].filter(Boolean) as string[];
    if (wrong.length) {
      this.problems.push(...wrong.map((w) => `authorize: ${w}`));
      return this.json(res, 400, { error: 'invalid_request', error_description: wrong.join('; ') });
    }
    const code = token('AQ');
    this.codes.set(code, { redirectUri: p.get('redirect_uri')!, used: false });
    const back = new URL(p.get('redirect_uri')!);
    back.searchParams.set('code', code);
    back.searchParams.set('state', p.get('state')!);
    res.writeHead(302, { location: back.href }).end();
  }

  private accessToken(req: IncomingMessage, body: Buffer, res: ServerResponse): void {
    if (!String(req.headers['content-type']).startsWith('application/x-www-form-urlencoded')) {
      this.problems.push(`accessToken: content-type ${req.headers['content-type']}`);
      return this.json(res, 400, { error: 'invalid_request', error_description: 'A required parameter "grant_type" is missing' });
    }
    const f = new URLSearchParams(body.toString());
    if (f.get('client_id') !== this.options.clientId || f.get('client_secret') !== this.options.clientSecret) {
      this.problems.push('accessToken: wrong client_id or client_secret');
      return this.json(res, 401, { error: 'invalid_client', error_description: 'Client authentication failed' });
    }
    if (f.get('grant_type') === 'authorization_code') {
      const code = this.codes.get(f.get('code') ?? '');
      if (!code || code.used || code.redirectUri !== f.get('redirect_uri')) {
        this.problems.push('accessToken: unknown or used code, or redirect_uri differs from the authorize request');
        return this.json(res, 400, { error: 'invalid_request', error_description: 'Unable to retrieve access token: appid/redirect uri/code verifier does not match authorization code. Or authorization code expired.' });
      }
      code.used = true;
      return this.json(res, 200, this.issue(this.member.sub, null));
    }
    if (f.get('grant_type') === 'refresh_token') {
      const refresh = this.refreshTokens.get(f.get('refresh_token') ?? '');
      if (this.refuseRefresh || !refresh || refresh.expiresAt < Date.now()) {
        this.refuseRefresh = false;
        return this.json(res, 400, { error: 'invalid_request', error_description: 'The provided authorization grant or refresh token is invalid, expired or revoked.' });
      }
      return this.json(res, 200, this.issue(refresh.sub, f.get('refresh_token')!));
    }
    this.problems.push(`accessToken: grant_type ${f.get('grant_type')}`);
    this.json(res, 400, { error: 'unsupported_grant_type', error_description: 'grant_type is not supported' });
  }

  /** A 60-day access token; approved apps also get a 365-day refresh token, kept (not rotated) on refresh. */
  private issue(sub: string, refreshToken: string | null): Record<string, unknown> {
    const access = token('AQV');
    this.tokens.set(access, { sub, expiresAt: Date.now() + 60 * DAY, lag: this.tokenLag });
    const answer: Record<string, unknown> = { access_token: access, expires_in: 5_184_000, scope: 'email,openid,profile,w_member_social', token_type: 'Bearer', id_token: 'eyJ.fake.jwt' };
    if (this.options.grantsRefreshTokens) {
      const refresh = refreshToken ?? token('AQX');
      if (!refreshToken) this.refreshTokens.set(refresh, { sub, expiresAt: Date.now() + 365 * DAY });
      answer.refresh_token = refresh;
      answer.refresh_token_expires_in = Math.floor((this.refreshTokens.get(refresh)!.expiresAt - Date.now()) / 1000);
    }
    return answer;
  }

  /** The token's member, or null after answering 401 as LinkedIn does. */
  private member401(req: IncomingMessage, res: ServerResponse): Token | null {
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const t = bearer ? this.tokens.get(bearer) : undefined;
    if (!t) {
      this.json(res, 401, { serviceErrorCode: 65600, message: 'Invalid access token', status: 401 });
      return null;
    }
    if (t.expiresAt < Date.now()) {
      // EXPIRED_ACCESS_TOKEN's serviceErrorCode is not documented; 65602 is a guess.
      this.json(res, 401, { status: 401, serviceErrorCode: 65602, code: 'EXPIRED_ACCESS_TOKEN', message: 'The token used in the request has expired' });
      return null;
    }
    return t;
  }

  private userinfo(req: IncomingMessage, res: ServerResponse): void {
    const t = this.member401(req, res);
    if (!t) return;
    if (t.lag > 0) {
      t.lag--;
      return this.json(res, 401, { status: 401, serviceErrorCode: 65601, code: 'REVOKED_ACCESS_TOKEN', message: 'The token used in the request has been revoked by the user' });
    }
    const [given, family] = this.member.name.split(' ');
    this.json(res, 200, { sub: t.sub, email_verified: true, name: this.member.name, locale: { country: 'GB', language: 'en' }, given_name: given, family_name: family, email: this.member.email, picture: this.member.picture });
  }

  /** Versioned /rest calls need LinkedIn-Version and Rest.li 2.0.0 (api-guide/concepts/versioning). */
  private restCall(req: IncomingMessage, body: Buffer, res: ServerResponse): { token: Token; json: any } | null {
    const version = req.headers['linkedin-version'];
    if (typeof version !== 'string' || !/^\d{6}(\.\d{2})?$/.test(version)) {
      this.problems.push(`${req.url}: LinkedIn-Version header ${version ?? 'missing'}`);
      this.json(res, 426, { status: 426, code: 'VERSION_MISSING', message: 'A version must be present. Please specify a version by adding the LinkedIn-Version header.' });
      return null;
    }
    if (req.headers['x-restli-protocol-version'] !== '2.0.0') this.problems.push(`${req.url}: X-Restli-Protocol-Version ${req.headers['x-restli-protocol-version'] ?? 'missing'}`);
    if (!String(req.headers['content-type']).startsWith('application/json')) this.problems.push(`${req.url}: content-type ${req.headers['content-type']}`);
    const t = this.member401(req, res);
    if (!t) return null;
    try {
      return { token: t, json: JSON.parse(body.toString()) };
    } catch {
      this.problems.push(`${req.url}: body is not JSON`);
      this.json(res, 400, { status: 400, code: 'ILLEGAL_ARGUMENT', message: 'Request body could not be converted to data map' });
      return null;
    }
  }

  private initializeUpload(req: IncomingMessage, body: Buffer, res: ServerResponse): void {
    const call = this.restCall(req, body, res);
    if (!call) return;
    const owner = call.json?.initializeUploadRequest?.owner;
    if (owner !== `urn:li:person:${call.token.sub}`) {
      this.problems.push(`initializeUpload: owner ${owner} is not the token's member`);
      return this.json(res, 403, { status: 403, serviceErrorCode: 100, code: 'ACCESS_DENIED', message: `Not enough permissions to access: owner ${owner}` });
    }
    const uploadId = token('D4E');
    const image = `urn:li:image:${token('C4E')}`;
    this.images.set(image, { owner, uploadId, bytes: 0 });
    this.json(res, 200, { value: { uploadUrlExpiresAt: Date.now() + DAY, uploadUrl: `${this.url}/dms-uploads/${uploadId}/uploaded-image/0?ca=vector_feedshare&cn=uploads`, image } });
  }

  private upload(req: IncomingMessage, url: URL, body: Buffer, res: ServerResponse): void {
    const uploadId = url.pathname.split('/')[2];
    const image = [...this.images.values()].find((i) => i.uploadId === uploadId);
    if (!image) {
      this.problems.push(`upload: unknown upload URL ${url.pathname}`);
      return this.json(res, 404, { status: 404, message: 'Not Found' });
    }
    if (!this.member401(req, res)) return;
    if (body.length === 0) {
      this.problems.push('upload: empty body');
      return this.json(res, 400, { status: 400, message: 'Empty upload' });
    }
    image.bytes = body.length;
    res.writeHead(201).end();
  }

  private createPost(req: IncomingMessage, body: Buffer, res: ServerResponse): void {
    const call = this.restCall(req, body, res);
    if (!call) return;
    const post = call.json;
    const author = `urn:li:person:${call.token.sub}`;
    const missing = ['author', 'commentary', 'visibility', 'distribution', 'lifecycleState'].filter((f) => post[f] === undefined);
    if (missing.length) {
      this.problems.push(`posts: missing ${missing.join(', ')}`);
      return this.json(res, 422, { message: missing.map((f) => `ERROR :: /${f} :: field is required but not found and has no default value`).join('\n'), status: 422 });
    }
    if (post.author !== author) {
      this.problems.push(`posts: author ${post.author} is not the token's member ${author}`);
      return this.json(res, 403, { status: 403, serviceErrorCode: 100, code: 'ACCESS_DENIED', message: `Not enough permissions to access: author ${post.author}` });
    }
    const d = post.distribution;
    if (post.visibility !== 'PUBLIC' || post.lifecycleState !== 'PUBLISHED' || d?.feedDistribution !== 'MAIN_FEED' || !Array.isArray(d?.targetEntities) || !Array.isArray(d?.thirdPartyDistributionChannels)) {
      this.problems.push(`posts: visibility/lifecycleState/distribution ${JSON.stringify([post.visibility, post.lifecycleState, d])}`);
    }
    const media: { id: string; altText?: string }[] = post.content?.multiImage?.images ?? (post.content?.media ? [post.content.media] : []);
    if (post.content?.multiImage && (media.length < 2 || media.length > 20)) this.problems.push(`posts: multiImage with ${media.length} images`);
    for (const m of media) {
      const image = this.images.get(m.id);
      if (!image || image.bytes === 0 || image.owner !== author) {
        this.problems.push(`posts: image ${m.id} unknown, not uploaded or not the author's`);
        return this.json(res, 422, { message: `ERROR :: /content/media/id :: ${m.id} is not a valid image`, status: 422 });
      }
    }
    const text = this.readLittle(String(post.commentary));
    if (this.failure) return this.fail(res);
    if (this.posts.some((p) => p.author === author && p.text === text && text !== '')) {
      return this.json(res, 422, duplicateBody(this.posts.find((p) => p.text === text)!.urn));
    }
    const urn = `urn:li:share:${7_000_000_000_000_000_000n + BigInt(this.posts.length + 1)}`;
    this.posts.push({ urn, author, commentary: post.commentary, text, media });
    if (this.createThenFail) {
      this.createThenFail = false;
      return this.json(res, 500, { message: 'Internal Server Error', status: 500 });
    }
    res.writeHead(201, { 'x-restli-id': urn, 'x-linkedin-id': urn }).end();
  }

  /**
   * Reads little text: `\x` is x; an unescaped reserved character is markup (a hashtag, a
   * mention, a template), and LinkedIn cuts a text at a stray one. The fake records a problem
   * and cuts there too.
   */
  private readLittle(commentary: string): string {
    let out = '';
    for (let i = 0; i < commentary.length; i++) {
      const c = commentary[i]!;
      if (c === '\\' && i + 1 < commentary.length && RESERVED.includes(commentary[i + 1]!)) {
        out += commentary[++i];
        continue;
      }
      if (c === '#') {
        const tag = /^#[\p{L}\p{N}]+/u.exec(commentary.slice(i))?.[0];
        if (tag && !/[\p{L}\p{N}_]/u.test(commentary[i - 1] ?? ' ')) {
          out += tag;
          i += tag.length - 1;
          continue;
        }
      }
      if (RESERVED.includes(c)) {
        this.problems.push(`posts: commentary has an unescaped "${c}" at ${i}: ${JSON.stringify(commentary)}`);
        return out;
      }
      out += c;
    }
    if ([...out].length > 3000) this.problems.push(`posts: commentary longer than 3000 characters`);
    return out;
  }

  private fail(res: ServerResponse): void {
    const kind = this.failure!;
    this.failure = null;
    const answers: Record<FailureKind, [number, unknown]> = {
      rate_limited: [429, { status: 429, serviceErrorCode: 101, code: 'TOO_MANY_REQUESTS', message: 'Resource level throttle MEMBER DAY limit for calls to this resource is reached.' }],
      server_error: [500, { message: 'Internal Server Error', status: 500 }],
      invalid_content: [422, { message: 'ERROR :: /commentary :: commentary is not a valid little text', status: 422 }],
      duplicate: [422, duplicateBody('urn:li:share:7000000000000000001')],
      suspended: [403, { status: 403, serviceErrorCode: 100, code: 'ACCESS_DENIED', message: 'Member is restricted from creating content' }],
      token_revoked: [401, { status: 401, serviceErrorCode: 65601, code: 'REVOKED_ACCESS_TOKEN', message: 'The token used in the request has been revoked by the user' }],
    };
    const [status, body] = answers[kind];
    this.json(res, status, body);
  }

  private json(res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'content-type': 'application/json', 'x-restli-protocol-version': '2.0.0' }).end(JSON.stringify(body));
  }
}

/** The 422 LinkedIn answers for a repeated commentary (as seen in answers quoted in public issues). */
function duplicateBody(urn: string): unknown {
  return {
    errorDetailType: 'com.linkedin.common.error.BadRequest',
    message: `com.linkedin.content.common.exception.BadRequestResponseException: Content is a duplicate of ${urn}`,
    errorDetails: { inputErrors: [{ description: 'Duplicate post is detected', input: {}, code: 'DUPLICATE_POST' }] },
    status: 422,
  };
}

function token(prefix: string): string {
  return `${prefix}${randomBytes(18).toString('base64url')}`;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
