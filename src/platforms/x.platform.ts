import type { PlatformRules } from '../core/content-rules.js';
import type { PublishOutcome } from '../core/retry-policy.js';
import { judgeCreateRefusal } from './duplicate-after-5xx.js';
import type { PlatformAdapter, PublishRequest } from './platform.js';
import { classifyXAnswer, networkFailure, type XAnswer, xRequest } from './x-http.js';
import { type Step, uploadImages } from './x-media.js';
import { createXOAuth, refreshXToken, type XEndpoints } from './x-oauth.js';

export interface XPlatformOptions {
  /** OAuth 2.0 client id of the X developer app (OCTOPOST_X_CLIENT_ID); absent: X cannot be connected. */
  clientId?: string | undefined;
  /** Its client secret (OCTOPOST_X_CLIENT_SECRET); absent for a public client (PKCE only). */
  clientSecret?: string | undefined;
  /** Base of the X API v2 and its token endpoint. */
  apiBaseUrl?: string | undefined;
  /** Where the browser authorizes the app. */
  authorizeUrl?: string | undefined;
}

/**
 * X counts with twitter-text (a URL counts 23, CJK and emoji 2); 280 weighted characters, four
 * images of at most 5 MB each, alt text up to 1000 characters (X API v2 docs, "Upload media" and
 * "Create Media metadata").
 */
export const X_RULES: PlatformRules = {
  counting: 'x-weighted',
  maxLength: 280,
  maxImages: 4,
  maxImageBytes: 5 * 1024 * 1024,
  imageTypes: ['image/jpeg', 'image/png', 'image/gif', 'image/webp'],
  supportsSegments: true,
  maxAltText: 1000,
};

/**
 * What a retry needs: the ids of the thread's parts already on X, in order (and the part X
 * answered with a 5xx, `server_error_on`: duplicate-after-5xx.ts).
 */
interface XProgress {
  tweet_ids: string[];
}

/**
 * X (Twitter) through the X API v2 with a user's OAuth 2.0 token. POST /2/tweets takes no
 * idempotency key and there is no way to find a tweet by a key of ours, so an attempt whose
 * answer was lost is never repeated (`deduplicates: false`): the delivery becomes `unknown`.
 */
export function createXPlatform(options: XPlatformOptions = {}): PlatformAdapter<never> {
  const endpoints: XEndpoints = {
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    apiBaseUrl: (options.apiBaseUrl ?? 'https://api.x.com').replace(/\/+$/, ''),
    authorizeUrl: options.authorizeUrl ?? 'https://x.com/i/oauth2/authorize',
  };
  return {
    name: 'x',
    rules: X_RULES,
    deduplicates: false,
    oauth: createXOAuth(endpoints),
    // Access tokens last two hours: renew a quarter of an hour ahead.
    refreshAheadMs: 15 * 60_000,
    refresh: (credentials, _meta, signal) => refreshXToken(endpoints, credentials, signal),
    publish: (req) => publish(endpoints.apiBaseUrl, req),
  };
}

async function publish(apiBaseUrl: string, req: PublishRequest): Promise<PublishOutcome> {
  const token = req.credentials.access_token;
  if (typeof token !== 'string' || !token) {
    return { kind: 'failed', error: { code: 'unauthorized', message: 'No X access token is stored for this account; reconnect it.', permanent: true, reconnect: true } };
  }
  const parts = [req.content, ...req.segments.map((s) => s.content)];
  const done = doneSoFar(req.progress, parts.length);
  for (let i = done.length; i < parts.length; i++) {
    const what = parts.length === 1 ? 'the post' : i === 0 ? 'the first part of the thread' : `part ${i + 1} of the thread`;
    let mediaIds: string[] = [];
    // Images go with the first part; once it is on X a retry never uploads them again.
    if (i === 0 && req.media.images.length > 0) {
      const uploaded = await uploadImages({ apiBaseUrl, token, rules: X_RULES, signal: req.signal }, req.media.images);
      if (!uploaded.ok) return uploaded.outcome;
      mediaIds = uploaded.value;
    }
    const created = await createTweet(apiBaseUrl, token, req.signal, {
      text: parts[i]!,
      ...(mediaIds.length > 0 && { media: { media_ids: mediaIds } }),
      ...(i > 0 && { reply: { in_reply_to_tweet_id: done[i - 1]! } }),
    }, what);
    if (!created.ok) {
      const refused = created.outcome;
      if (refused.kind !== 'failed') return refused;
      return judgeCreateRefusal(req, refused, i, { tweet_ids: [...done] }, { network: 'X', what, duplicate: refused.error.code === 'duplicate_content' });
    }
    done.push(created.value);
    const progress: XProgress = { tweet_ids: [...done] };
    await req.saveProgress({ ...progress });
  }
  const head = done[0]!;
  return { kind: 'published', postId: head, postUrl: `https://x.com/${encodeURIComponent(req.account.username)}/status/${head}` };
}

/** The parts an earlier attempt created (saved progress), trusted only if well formed. */
function doneSoFar(progress: Record<string, unknown> | null, parts: number): string[] {
  const ids = progress?.tweet_ids;
  if (!Array.isArray(ids) || ids.length > parts || !ids.every((id) => typeof id === 'string' && id.length > 0)) return [];
  return [...ids];
}

/** POST /2/tweets (docs.x.com "Create or Edit Post"): answers 201 {data: {id, text}}. */
async function createTweet(
  apiBaseUrl: string,
  token: string,
  signal: AbortSignal,
  body: { text: string; media?: { media_ids: string[] }; reply?: { in_reply_to_tweet_id: string } },
  what: string,
): Promise<Step<string>> {
  // Out of time before sending (the images took it): certainly nothing was created.
  if (signal.aborted) {
    return { ok: false, outcome: { kind: 'failed', error: { code: 'timeout', message: `Time ran out before ${what} was sent to X; nothing was posted.`, permanent: false } } };
  }
  let answer: XAnswer;
  try {
    answer = await xRequest(`${apiBaseUrl}/2/tweets`, { method: 'POST', token, json: body, signal });
  } catch (err) {
    return { ok: false, outcome: networkFailure(err, signal, true, what) };
  }
  if (answer.status >= 200 && answer.status < 300) {
    const id = answer.json?.data?.id;
    if (typeof id === 'string' && id) return { ok: true, value: id };
    // A success without an id: the tweet likely exists, but which one is unknown.
    const message = `X accepted ${what} (${answer.status}) but its answer had no post id. Check the X account before publishing again.`;
    return { ok: false, outcome: { kind: 'ambiguous', error: { code: 'bad_answer', message, permanent: false, httpStatus: answer.status } } };
  }
  return { ok: false, outcome: { kind: 'failed', error: classifyXAnswer(answer, what) } };
}
