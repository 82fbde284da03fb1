import type { PlatformRules } from '../core/content-rules.js';
import type { PublishError, PublishOutcome } from '../core/retry-policy.js';
import { judgeCreateRefusal } from './duplicate-after-5xx.js';
import { parseRetryAfter } from './http-errors.js';
import { type LinkedInOptions, type LinkedInSettings, linkedInOAuth, refreshLinkedIn } from './linkedin-oauth.js';
import { fetchImage, MediaError } from './media-fetch.js';
import { header, type HttpAnswer, networkFailure, said, send } from './oauth-http.js';
import type { PlatformAdapter, PublishRequest } from './platform.js';

export type { LinkedInOptions } from './linkedin-oauth.js';

/** A version LinkedIn serves (versions live about a year; an old one is refused with 426). */
export const LINKEDIN_API_VERSION = '202605';

const RULES: PlatformRules = {
  // Posts API: commentary up to 3,000 characters.
  maxLength: 3000,
  // A multiImage post carries 2 to 20 images (MultiImage API); one image is a single media post.
  maxImages: 20,
  supportsSegments: false,
  imageTypes: ['image/jpeg', 'image/png', 'image/gif'],
  // The Images API limits pixels (under 36,152,320), not bytes; this is Octopost's download ceiling.
  maxImageBytes: 20 * 1024 * 1024,
  // Posts API, Media content: altText up to 4,086 characters.
  maxAltText: 4086,
};

/**
 * LinkedIn, personal profile: posts with the Posts API (POST /rest/posts, versioned with
 * LinkedIn-Version and Rest.li 2.0.0), images through the Images API. LinkedIn takes no
 * idempotency key, so a post whose answer was lost cannot be repeated safely.
 */
export function createLinkedInPlatform(options: LinkedInOptions = {}): PlatformAdapter {
  const s: LinkedInSettings = {
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    apiBaseUrl: trimSlash(options.apiBaseUrl ?? 'https://api.linkedin.com'),
    oauthBaseUrl: trimSlash(options.oauthBaseUrl ?? 'https://www.linkedin.com/oauth/v2'),
    apiVersion: options.apiVersion ?? LINKEDIN_API_VERSION,
  };
  return {
    name: 'linkedin',
    rules: RULES,
    deduplicates: false,
    oauth: linkedInOAuth(s),
    refresh: (credentials, _meta, signal) => refreshLinkedIn(s, credentials, signal),
    // Without a refresh token the member must sign in again: a week ahead leaves time to do it.
    refreshAheadMs: 7 * 24 * 60 * 60_000,
    publish: (req) => publish(s, req),
  };
}

async function publish(s: LinkedInSettings, req: PublishRequest): Promise<PublishOutcome> {
  if (req.segments.length > 0) {
    // checkContent refuses these before scheduling; this guards a post that slipped past it.
    return fail('segments_unsupported', 'LinkedIn has no threads: remove the segments (or join them into the text), then retry.', true);
  }
  const token = String(req.credentials.access_token ?? '');
  const author = typeof req.account.meta.author === 'string' ? req.account.meta.author : `urn:li:person:${req.account.platformUserId}`;
  const api = (path: string, body: unknown) =>
    send(`${s.apiBaseUrl}${path}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'linkedin-version': s.apiVersion,
        'x-restli-protocol-version': '2.0.0',
        'content-type': 'application/json',
      },
      body: JSON.stringify(body),
      signal: req.signal,
    });

  const media: { id: string; altText?: string }[] = [];
  for (const image of req.media.images) {
    const uploaded = await uploadImage(image.url, author, token, api, req.signal);
    if (typeof uploaded !== 'string') return uploaded;
    media.push(image.alt_text ? { id: uploaded, altText: image.alt_text } : { id: uploaded });
  }

  const post: Record<string, unknown> = {
    author,
    commentary: escapeLittleText(req.content),
    visibility: 'PUBLIC',
    distribution: { feedDistribution: 'MAIN_FEED', targetEntities: [], thirdPartyDistributionChannels: [] },
    lifecycleState: 'PUBLISHED',
    isReshareDisabledByAuthor: false,
  };
  if (media.length === 1) post.content = { media: media[0] };
  if (media.length > 1) post.content = { multiImage: { images: media } };

  let answer: HttpAnswer;
  try {
    answer = await api('/rest/posts', post);
  } catch (err) {
    return networkFailure('LinkedIn', err, req.signal, true);
  }
  if (answer.status === 201 || answer.status === 200) {
    // The new post is named only by the x-restli-id header (Posts API, "Create Posts").
    const urn = header(answer, 'x-restli-id') ?? null;
    return { kind: 'published', postId: urn, postUrl: urn ? `https://www.linkedin.com/feed/update/${urn}` : null };
  }
  const refused = { kind: 'failed' as const, error: classifyLinkedIn(answer) };
  // LinkedIn names the post a duplicate repeats ("Content is a duplicate of urn:li:share:...").
  const original = /urn:li:(?:share|ugcPost):\d+/.exec(answer.text)?.[0];
  return judgeCreateRefusal(req, refused, 0, {}, {
    network: 'LinkedIn',
    what: 'the post',
    duplicate: refused.error.code === 'duplicate',
    ...(original && { existing: `https://www.linkedin.com/feed/update/${original}` }),
  });
}

/** Images API: initializeUpload names the image and where to PUT its bytes. Returns the image URN. */
async function uploadImage(
  url: string,
  owner: string,
  token: string,
  api: (path: string, body: unknown) => Promise<HttpAnswer>,
  signal: AbortSignal,
): Promise<string | PublishOutcome> {
  let image;
  try {
    image = await fetchImage(url, { maxBytes: RULES.maxImageBytes, types: RULES.imageTypes, platform: 'LinkedIn' }, signal);
  } catch (err) {
    if (err instanceof MediaError) return { kind: 'failed', error: err.error };
    // The image server dropped the connection mid-download: nothing was sent to LinkedIn yet.
    return fail('media_unreachable', `Could not download the image ${url} (${(err as Error).message}).`, false);
  }
  let init: HttpAnswer;
  try {
    init = await api('/rest/images?action=initializeUpload', { initializeUploadRequest: { owner } });
  } catch (err) {
    return networkFailure('LinkedIn', err, signal, false);
  }
  const uploadUrl = init.json?.value?.uploadUrl;
  const urn = init.json?.value?.image;
  if (init.status !== 200 || typeof uploadUrl !== 'string' || typeof urn !== 'string') {
    return { kind: 'failed', error: classifyLinkedIn(init) };
  }
  let put: HttpAnswer;
  try {
    put = await send(uploadUrl, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': image.mimeType },
      body: image.data,
      signal,
    });
  } catch (err) {
    return networkFailure('LinkedIn', err, signal, false);
  }
  if (put.status < 200 || put.status >= 300) return { kind: 'failed', error: classifyLinkedIn(put) };
  return urn;
}

/**
 * The characters the "little" text format reserves, each to be backslash-escaped to stay plain
 * text, or a hashtag (# then letters or digits, not inside a word): a little HashtagElement,
 * kept as is so that it stays a hashtag.
 */
const LITTLE_TOKEN = /(?<![\p{L}\p{N}_])#[\p{L}\p{N}]+|[|{}@[\]()<>#\\*_~]/gu;

/**
 * Escapes commentary for the Posts API's little text format (learn.microsoft.com, "little Text
 * Format": all reserved characters need a backslash, even outside elements). Unescaped, LinkedIn
 * cuts the post at the first one or reads it as markup (a mention, a template).
 */
export function escapeLittleText(text: string): string {
  return text.replace(LITTLE_TOKEN, (token) => (token.length > 1 ? token : `\\${token}`));
}

/**
 * LinkedIn's answers (learn.microsoft.com/linkedin/shared/api-guide/concepts/error-handling):
 * a JSON body with status, serviceErrorCode, code and message.
 */
export function classifyLinkedIn(answer: HttpAnswer, now = Date.now()): PublishError {
  const status = answer.status;
  const body = answer.json ?? {};
  const text = typeof body.message === 'string' ? body.message : answer.text;
  const quote = said('LinkedIn', text);
  const base = { httpStatus: status };
  if (status === 401) {
    return { ...base, code: 'token_invalid', message: `LinkedIn refused the connection's token (expired or revoked); reconnect the account.${quote}`, permanent: true, reconnect: true };
  }
  if (status === 429) {
    const retryAfterMs = parseRetryAfter(header(answer, 'retry-after'), now) ?? dailyReset(text, now);
    return {
      ...base,
      code: 'rate_limited',
      message: `LinkedIn is rate limiting this app or member (429)${retryAfterMs ? `, for ${Math.ceil(retryAfterMs / 60_000)} min or more` : ''}.${quote}`,
      permanent: false,
      ...(retryAfterMs ? { retryAfterMs } : {}),
    };
  }
  const details = JSON.stringify(body.errorDetails ?? '');
  if ((status === 422 || status === 409) && (/DUPLICATE_POST/.test(details) || /content is a duplicate/i.test(text))) {
    return { ...base, code: 'duplicate', message: `LinkedIn refused the post as a duplicate of one already on the profile; change the text to post it again.${quote}`, permanent: true };
  }
  if (status === 403) {
    return { ...base, code: 'forbidden', message: `LinkedIn refused to let this member post (403: access denied or the member is restricted). Check the account on LinkedIn, then reconnect it if permissions changed.${quote}`, permanent: true };
  }
  if (status === 426) {
    return { ...base, code: 'api_version', message: `LinkedIn no longer serves the API version Octopost asked for (426); update Octopost or its LinkedIn API version.${quote}`, permanent: true };
  }
  if (status >= 500 || status === 408) {
    return { ...base, code: 'server_error', message: `LinkedIn answered ${status}.${quote}`, permanent: false };
  }
  return { ...base, code: 'invalid_content', message: `LinkedIn refused the post (${status}); fix it, then retry.${quote}`, permanent: true };
}

/**
 * LinkedIn sends no reset header, but documents that its daily limits reset at midnight UTC
 * (api-guide/concepts/rate-limits). A "DAY limit" refusal therefore lasts until then; other 429s
 * (infrastructure protection) pass sooner and get the retry policy's own delays.
 */
function dailyReset(message: string, now: number): number | undefined {
  if (!/\bDAY limit\b/i.test(message)) return undefined;
  const midnight = new Date(now);
  midnight.setUTCHours(24, 0, 0, 0);
  return midnight.getTime() - now;
}

function fail(code: string, message: string, permanent: boolean): PublishOutcome {
  return { kind: 'failed', error: { code, message, permanent } };
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}
