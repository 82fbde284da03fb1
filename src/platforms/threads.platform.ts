import type { PlatformRules } from '../core/content-rules.js';
import type { PublishError, PublishOutcome } from '../core/retry-policy.js';
import { parseRetryAfter } from './http-errors.js';
import { header, type HttpAnswer, networkFailure, query, said, send } from './oauth-http.js';
import type { PlatformAdapter, PublishRequest } from './platform.js';
import { graphError, refreshThreads, type ThreadsOptions, threadsOAuth, type ThreadsSettings } from './threads-oauth.js';

export type { ThreadsOptions } from './threads-oauth.js';

const RULES: PlatformRules = {
  // Threads Posts: text up to 500 characters.
  maxLength: 500,
  // A carousel holds 2 to 20 items; one image is an IMAGE post.
  maxImages: 20,
  supportsSegments: true,
  // Media specifications: JPEG and PNG, 8 MB at most. Threads downloads them itself.
  imageTypes: ['image/jpeg', 'image/png'],
  maxImageBytes: 8 * 1024 * 1024,
  // Meta documents no alt-text limit for Threads; 1,000 is what other clients keep to.
  maxAltText: 1000,
};

/** How a thread stands between attempts: per part, its container and, once published, its media id. */
interface PartProgress {
  creation_id?: string;
  media_id?: string;
}

/**
 * Threads (graph.threads.net): every part is a media container (POST /{user-id}/threads) that is
 * then published (POST /{user-id}/threads_publish); Threads downloads the images from their
 * public URLs itself. Progress is saved after each container and each publish, so a retry
 * publishes the saved container instead of making another, and never publishes a part twice.
 */
export function createThreadsPlatform(options: ThreadsOptions = {}): PlatformAdapter {
  const s: ThreadsSettings = {
    appId: options.appId,
    appSecret: options.appSecret,
    graphBaseUrl: (options.graphBaseUrl ?? 'https://graph.threads.net').replace(/\/+$/, ''),
    authorizeUrl: options.authorizeUrl ?? 'https://threads.net/oauth/authorize',
    apiVersion: options.apiVersion ?? 'v1.0',
    // Meta suggests waiting about 30 seconds for media to be processed before publishing.
    statusPollMs: options.statusPollMs ?? [1000, 2000, 4000, 8000, 15_000],
  };
  return {
    name: 'threads',
    rules: RULES,
    deduplicates: false,
    oauth: threadsOAuth(s),
    refresh: (credentials, _meta, signal) => refreshThreads(s, credentials, signal),
    refreshAheadMs: 7 * 24 * 60 * 60_000,
    publish: (req) => new ThreadsPublication(s, req).run(),
  };
}

class ThreadsPublication {
  private readonly token: string;
  private readonly parts: PartProgress[];

  constructor(
    private readonly s: ThreadsSettings,
    private readonly req: PublishRequest,
  ) {
    this.token = String(req.credentials.access_token ?? '');
    const saved = Array.isArray(req.progress?.parts) ? (req.progress.parts as PartProgress[]) : [];
    this.parts = [req.content, ...req.segments].map((_, i) => ({ ...saved[i] }));
  }

  async run(): Promise<PublishOutcome> {
    const texts = [this.req.content, ...this.req.segments.map((p) => p.content)];
    let previous: string | null = null;
    for (const [i, text] of texts.entries()) {
      const part = this.parts[i]!;
      if (!part.media_id) {
        const outcome = await this.publishPart(part, text, i === 0 ? this.req.media.images : [], previous);
        if (outcome) return outcome;
      }
      previous = part.media_id!;
    }
    const head = this.parts[0]!.media_id!;
    return { kind: 'published', postId: head, postUrl: await this.permalink(head) };
  }

  /** Creates (or reuses) the part's container, waits until Threads has it ready, publishes it. Returns an outcome only on failure. */
  private async publishPart(part: PartProgress, text: string, images: { url: string; alt_text?: string }[], replyTo: string | null): Promise<PublishOutcome | null> {
    if (part.creation_id) {
      const ready = await this.waitUntilReady(part.creation_id);
      if (ready === 'expired') delete part.creation_id;
      else if (ready !== 'ready') return ready;
    }
    if (!part.creation_id) {
      const created = await this.createContainer(text, images, replyTo);
      if (typeof created !== 'string') return created;
      part.creation_id = created;
      await this.save();
      const ready = await this.waitUntilReady(created);
      if (ready === 'expired') return fail('container_expired', 'Threads let the new media container expire before it could be published.', false);
      if (ready !== 'ready') return ready;
    }
    let answer: HttpAnswer;
    try {
      answer = await this.post('threads_publish', { creation_id: part.creation_id });
    } catch (err) {
      return networkFailure('Threads', err, this.req.signal, true);
    }
    if (answer.status !== 200 || typeof answer.json?.id !== 'string') return { kind: 'failed', error: classifyThreads(answer) };
    part.media_id = answer.json.id;
    await this.save();
    return null;
  }

  /** One IMAGE container, or a CAROUSEL of item containers; TEXT without images. Returns the creation id. */
  private async createContainer(text: string, images: { url: string; alt_text?: string }[], replyTo: string | null): Promise<string | PublishOutcome> {
    const reply: Record<string, string> = replyTo ? { reply_to_id: replyTo } : {};
    if (images.length === 0) return this.container({ media_type: 'TEXT', text, ...reply });
    if (images.length === 1) return this.container({ media_type: 'IMAGE', image_url: images[0]!.url, ...alt(images[0]!), text, ...reply });
    const children: string[] = [];
    for (const image of images) {
      const child = await this.container({ media_type: 'IMAGE', is_carousel_item: 'true', image_url: image.url, ...alt(image) });
      if (typeof child !== 'string') return child;
      children.push(child);
    }
    return this.container({ media_type: 'CAROUSEL', children: children.join(','), text, ...reply });
  }

  private async container(fields: Record<string, string>): Promise<string | PublishOutcome> {
    let answer: HttpAnswer;
    try {
      answer = await this.post('threads', fields);
    } catch (err) {
      // A container is not a post: nothing is visible until it is published.
      return networkFailure('Threads', err, this.req.signal, false);
    }
    if (answer.status === 200 && typeof answer.json?.id === 'string') return answer.json.id;
    return { kind: 'failed', error: classifyThreads(answer) };
  }

  /**
   * Reads the container's status (GET /{container-id}?fields=status,error_message) until it is
   * FINISHED, waiting between reads while it is IN_PROGRESS (Threads is downloading the media).
   */
  private async waitUntilReady(id: string): Promise<'ready' | 'expired' | PublishOutcome> {
    for (let read = 0; ; read++) {
      let answer: HttpAnswer;
      try {
        answer = await this.get(id, { fields: 'status,error_message' });
      } catch (err) {
        return networkFailure('Threads', err, this.req.signal, false);
      }
      if (answer.status !== 200) return { kind: 'failed', error: classifyThreads(answer) };
      const status = String(answer.json?.status ?? '');
      if (status === 'FINISHED') return 'ready';
      if (status === 'EXPIRED') return 'expired';
      if (status === 'PUBLISHED') {
        // An earlier attempt published it, but its answer (the media id) never arrived.
        return {
          kind: 'ambiguous',
          error: { code: 'already_published', message: 'An earlier attempt published this part on Threads, but its answer was lost; check the profile before retrying.', permanent: false },
        };
      }
      if (status === 'ERROR') {
        const why = answer.json?.error_message ? ` (${answer.json.error_message})` : '';
        return fail('media_failed', `Threads could not process the post's media${why}. Check that each image URL is public and a JPEG or PNG under 8 MB, then retry.`, true);
      }
      const wait = this.s.statusPollMs[read];
      if (wait === undefined || this.req.signal.aborted) {
        return fail('media_processing', 'Threads is still processing the media; a retry publishes the same container.', false);
      }
      await sleep(wait, this.req.signal);
    }
  }

  /** The post's public URL (GET /{media-id}?fields=permalink); the profile's when that read fails. */
  private async permalink(mediaId: string): Promise<string> {
    const profile = `https://www.threads.net/@${this.req.account.username}`;
    try {
      const answer = await this.get(mediaId, { fields: 'permalink' });
      return answer.status === 200 && typeof answer.json?.permalink === 'string' ? answer.json.permalink : profile;
    } catch {
      return profile;
    }
  }

  private save(): Promise<void> {
    return this.req.saveProgress({ parts: this.parts.map((p) => ({ ...p })) });
  }

  /** Graph API POSTs take their parameters as a form body (the token among them, out of URLs and logs). */
  private post(edge: 'threads' | 'threads_publish', fields: Record<string, string>): Promise<HttpAnswer> {
    return send(`${this.s.graphBaseUrl}/${this.s.apiVersion}/${this.req.account.platformUserId}/${edge}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...fields, access_token: this.token }).toString(),
      signal: this.req.signal,
    });
  }

  private get(id: string, params: Record<string, string>): Promise<HttpAnswer> {
    return send(`${this.s.graphBaseUrl}/${this.s.apiVersion}/${id}?${query({ ...params, access_token: this.token })}`, { method: 'GET', signal: this.req.signal });
  }
}

const RATE_LIMIT_CODES = [4, 17, 32, 613];

/**
 * Graph API errors as Threads answers them (developers.facebook.com/docs/graph-api/guides/error-handling):
 * 190 is a token that no longer works; 4/17/32/613 are rate limits; 1, 2 and is_transient pass;
 * 10 and 200-299 are missing permissions; 100 and 24 are invalid parameters.
 */
export function classifyThreads(answer: HttpAnswer, now = Date.now()): PublishError {
  const e = graphError(answer);
  const status = answer.status;
  const base = { httpStatus: status };
  const code = e.code !== undefined ? `, code ${e.code}${e.subcode !== undefined ? `/${e.subcode}` : ''}` : '';
  const quote = said('Threads', e.message);
  if (e.code === 190 || status === 401) {
    return { ...base, code: 'token_invalid', message: `Threads refused the connection's token (expired, revoked or the password changed); reconnect the account.${quote}`, permanent: true, reconnect: true };
  }
  if (RATE_LIMIT_CODES.includes(e.code ?? -1) || status === 429) {
    const retryAfterMs = parseRetryAfter(header(answer, 'retry-after'), now) ?? regainAccessMs(answer);
    return {
      ...base,
      code: 'rate_limited',
      message: `Threads is rate limiting this account or app (${status}${code}).${quote}`,
      permanent: false,
      ...(retryAfterMs ? { retryAfterMs } : {}),
    };
  }
  if (e.code === 1 || e.code === 2 || e.transient || status >= 500) {
    return { ...base, code: 'server_error', message: `Threads had a passing problem (${status}${code}).${quote}`, permanent: false };
  }
  if (e.code === 10 || (e.code !== undefined && e.code >= 200 && e.code < 300)) {
    return { ...base, code: 'permission_denied', message: `Threads says the app lacks a permission to post for this account (${status}${code}); reconnect it and grant publishing.${quote}`, permanent: true, reconnect: true };
  }
  if (e.code === 368 || /restricted|suspended|disabled|blocked/i.test(e.message)) {
    return { ...base, code: 'suspended', message: `Threads does not let this account post right now (restricted or blocked${code}); check the account in the Threads app.${quote}`, permanent: true };
  }
  if (e.code === 506 || /duplicate/i.test(e.message)) {
    return { ...base, code: 'duplicate', message: `Threads refused the post as a duplicate (${status}${code}); change the text to post it again.${quote}`, permanent: true };
  }
  return { ...base, code: 'invalid_content', message: `Threads refused the post (${status}${code}); fix it, then retry.${quote}`, permanent: true };
}

/**
 * Meta documents no reset header for Threads. Graph API's X-Business-Use-Case-Usage carries
 * estimated_time_to_regain_access (minutes) when Meta sends it; read it if present.
 */
function regainAccessMs(answer: HttpAnswer): number | undefined {
  const raw = header(answer, 'x-business-use-case-usage');
  if (!raw) return undefined;
  try {
    const usage = JSON.parse(raw) as Record<string, { estimated_time_to_regain_access?: number }[]>;
    const minutes = Math.max(0, ...Object.values(usage).flat().map((u) => Number(u.estimated_time_to_regain_access ?? 0)));
    return minutes > 0 ? minutes * 60_000 : undefined;
  } catch {
    return undefined;
  }
}

function alt(image: { alt_text?: string }): Record<string, string> {
  return image.alt_text ? { alt_text: image.alt_text } : {};
}

function fail(code: string, message: string, permanent: boolean): PublishOutcome {
  return { kind: 'failed', error: { code, message, permanent } };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
