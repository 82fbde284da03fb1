import { setTimeout as sleep } from 'node:timers/promises';
import { FormData } from 'undici';
import { z } from 'zod';
import type { PlatformRules } from '../core/content-rules.js';
import type { PublishError, PublishOutcome } from '../core/retry-policy.js';
import { requestNeverSent } from './http-errors.js';
import { type Answer, call, classifyAnswer, instanceOrigin, networkError, readAccount, withTimeout } from './mastodon-api.js';
import { createMastodonOAuth } from './mastodon-oauth.js';
import { fetchImage, MediaError } from './media-fetch.js';
import { type AccountMeta, type PlatformAdapter, type PublishRequest, rulesOf } from './platform.js';
import { checkPublicUrl } from './url-guard.js';

export interface MastodonOptions {
  /** Shown to users on the instance's authorization page and under each post. */
  clientName?: string;
  /** Octopost's public URL, shown with the app name. */
  website?: string | undefined;
  /** How often to ask whether an uploaded image is processed, and for how long at most. */
  mediaPollMs?: number;
  mediaWaitMs?: number;
}

const connectSchema = z.strictObject({
  instance: z.string().min(3).max(300).describe('the Mastodon instance, e.g. https://mastodon.social'),
  access_token: z.string().min(1).max(500).describe('an access token from Preferences > Development (scopes read:accounts, write:statuses, write:media)'),
});

type MastodonInput = z.infer<typeof connectSchema>;

/** Mastodon's defaults (4.3): 500 characters, links count 23, 4 attachments, images up to 16 MB. */
const DEFAULT_RULES: PlatformRules = {
  maxLength: 500,
  urlLength: 23,
  maxImages: 4,
  maxImageBytes: 16 * 1024 * 1024,
  imageTypes: ['image/jpeg', 'image/png', 'image/gif', 'image/webp'],
  supportsSegments: true,
  maxAltText: 1500,
};

const CONNECT_TIMEOUT_MS = 15_000;

/** One posted part of a delivery's thread, as saved in the delivery's progress. */
interface DonePart {
  id: string;
  url: string | null;
}

function rulesFor(meta: AccountMeta): PlatformRules {
  const n = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : undefined);
  const types = Array.isArray(meta.image_types)
    ? meta.image_types.filter((t): t is string => typeof t === 'string' && t.startsWith('image/'))
    : [];
  return {
    ...DEFAULT_RULES,
    maxLength: n(meta.max_characters) ?? DEFAULT_RULES.maxLength,
    urlLength: n(meta.url_length) ?? DEFAULT_RULES.urlLength,
    maxImages: n(meta.max_media) ?? DEFAULT_RULES.maxImages,
    maxImageBytes: n(meta.image_size_limit) ?? DEFAULT_RULES.maxImageBytes,
    imageTypes: types.length > 0 ? types : DEFAULT_RULES.imageTypes,
  };
}

function doneParts(progress: Record<string, unknown> | null): DonePart[] {
  const parts = progress?.parts;
  if (!Array.isArray(parts)) return [];
  return parts
    .filter((p): p is { id: string; url?: unknown } => !!p && typeof p === 'object' && typeof (p as any).id === 'string')
    .map((p) => ({ id: p.id, url: typeof p.url === 'string' ? p.url : null }));
}

/**
 * Mastodon, any instance, over its REST API (docs.joinmastodon.org, methods/statuses, media,
 * apps, oauth). Connects by a pasted access token or through the browser (an app registered per
 * instance, PKCE). Every status carries `Idempotency-Key: <deliveryId>:<part>`; Mastodon keeps
 * the key for one hour and answers a repeat with the status it already created, so repeating an
 * ambiguous attempt within that hour cannot post twice (`deduplicates: true`; the default retry
 * delays, 1 + 5 + 15 minutes, stay well inside it). A try that would come later, or a delivery
 * giving up, makes it `unknown` instead (`repeatWindowMs`).
 */
export function createMastodonPlatform(options: MastodonOptions = {}): PlatformAdapter<MastodonInput> {
  const clientName = options.clientName ?? 'Octopost';
  const pollMs = options.mediaPollMs ?? 1000;
  const waitMs = options.mediaWaitMs ?? 30_000;

  const adapter: PlatformAdapter<MastodonInput> = {
    name: 'mastodon',
    rules: DEFAULT_RULES,
    rulesFor,
    deduplicates: true,
    repeatWindowMs: 60 * 60_000,
    connectSchema,
    oauth: createMastodonOAuth({ clientName, website: options.website }),

    async connect(input, ctx) {
      const url = await checkPublicUrl('instance', instanceOrigin(input.instance), ctx.blockPrivateUrls);
      return readAccount(url.origin, input.access_token.trim(), withTimeout(ctx.signal, CONNECT_TIMEOUT_MS));
    },

    async publish(req) {
      const { instance, access_token: token } = req.credentials as { instance?: unknown; access_token?: unknown };
      if (typeof instance !== 'string' || typeof token !== 'string') {
        return { kind: 'failed', error: { code: 'credentials_missing', message: 'The account has no Mastodon access token; reconnect it.', permanent: true, reconnect: true } };
      }
      const host = new URL(instance).host;
      const texts = [req.content, ...req.segments.map((s) => s.content)];
      const done = doneParts(req.progress);
      let mediaIds: string[] = [];
      // Images belong to the head; once the head is posted, a resumed thread needs none.
      if (done.length === 0 && req.media.images.length > 0) {
        const uploaded = await uploadImages(req, instance, host, token);
        if (!Array.isArray(uploaded)) return { kind: 'failed', error: uploaded };
        mediaIds = uploaded;
      }
      for (let index = done.length; index < texts.length; index++) {
        const body: Record<string, unknown> = { status: texts[index], visibility: 'public' };
        if (index === 0 && mediaIds.length > 0) body.media_ids = mediaIds;
        if (index > 0) body.in_reply_to_id = done[index - 1]!.id;
        const posted = await postStatus(instance, host, token, body, `${req.deliveryId}:${index}`, req.signal);
        if ('kind' in posted) return posted;
        done.push(posted);
        await req.saveProgress({ parts: [...done] }); // a copy: later parts must not change what was saved
      }
      return { kind: 'published', postId: done[0]!.id, postUrl: done[0]!.url };
    },
  };

  /** Uploads each image (POST /api/v2/media) and waits until Mastodon has processed it. */
  async function uploadImages(req: PublishRequest, instance: string, host: string, token: string): Promise<string[] | PublishError> {
    const rules = rulesOf(adapter, req.account.meta);
    const ids: string[] = [];
    for (const image of req.media.images) {
      let file;
      try {
        file = await fetchImage(image.url, { maxBytes: rules.maxImageBytes, types: rules.imageTypes, platform: 'Mastodon' }, req.signal);
      } catch (err) {
        if (err instanceof MediaError) return err.error;
        throw err;
      }
      const form = new FormData();
      form.append('file', new Blob([new Uint8Array(file.data)], { type: file.mimeType }), `image.${file.mimeType.split('/')[1]}`);
      if (image.alt_text) form.append('description', image.alt_text);
      let answer: Answer;
      try {
        answer = await call(instance, '/api/v2/media', { token, multipart: form, signal: req.signal });
      } catch (err) {
        return networkError(err, host, req.signal, false); // an upload alone never creates a post
      }
      const id = answer.json?.id;
      if ((answer.status !== 200 && answer.status !== 202) || (typeof id !== 'string' && typeof id !== 'number')) {
        return answer.status >= 200 && answer.status < 300
          ? { code: 'unexpected_answer', message: `${host} accepted the image but its answer had no media id.`, permanent: false, httpStatus: answer.status }
          : classifyAnswer(answer, host);
      }
      // 202: the thumbnail is ready, the full size is still processing (`url` is null).
      if (answer.status === 202 || answer.json.url == null) {
        const failure = await waitProcessed(instance, host, token, String(id), req.signal);
        if (failure) return failure;
      }
      ids.push(String(id));
    }
    return ids;
  }

  /** Polls GET /api/v1/media/:id (206 while processing, 200 with a `url` when done), bounded. */
  async function waitProcessed(instance: string, host: string, token: string, id: string, signal: AbortSignal): Promise<PublishError | null> {
    const deadline = Date.now() + waitMs;
    const stillProcessing: PublishError = {
      code: 'media_processing',
      message: `${host} is still processing an uploaded image after ${Math.round(waitMs / 1000)} s.`,
      permanent: false,
    };
    for (;;) {
      try {
        await sleep(pollMs, undefined, { signal });
      } catch {
        return stillProcessing; // the attempt's time ran out; nothing was posted
      }
      let answer: Answer;
      try {
        answer = await call(instance, `/api/v1/media/${encodeURIComponent(id)}`, { token, signal });
      } catch (err) {
        return networkError(err, host, signal, false);
      }
      if (answer.status === 200 && answer.json?.url) return null;
      if (answer.status !== 206 && answer.status !== 200) return classifyAnswer(answer, host);
      if (Date.now() >= deadline) return stillProcessing;
    }
  }

  return adapter;
}

/** POST /api/v1/statuses; returns the part posted or the outcome to report. */
async function postStatus(
  instance: string,
  host: string,
  token: string,
  body: Record<string, unknown>,
  idempotencyKey: string,
  signal: AbortSignal,
): Promise<DonePart | PublishOutcome> {
  let answer: Answer;
  try {
    answer = await call(instance, '/api/v1/statuses', { token, json: body, headers: { 'idempotency-key': idempotencyKey }, signal });
  } catch (err) {
    const sent = !requestNeverSent(err);
    return { kind: sent ? 'ambiguous' : 'failed', error: networkError(err, host, signal, sent) };
  }
  const id = answer.json?.id;
  if (answer.status >= 200 && answer.status < 300) {
    if (typeof id !== 'string' && typeof id !== 'number') {
      // Something answered 2xx without a status: it may well have been created.
      return { kind: 'ambiguous', error: { code: 'unexpected_answer', message: `${host} answered ${answer.status} without the created post; it may exist.`, permanent: false, httpStatus: answer.status } };
    }
    const url = typeof answer.json.url === 'string' ? answer.json.url : typeof answer.json.uri === 'string' ? answer.json.uri : null;
    return { id: String(id), url };
  }
  const error = classifyAnswer(answer, host);
  // A gateway that gave up (502/504) may have left Mastodon creating the status behind it.
  const maybeCreated = answer.status === 502 || answer.status === 504;
  return { kind: maybeCreated ? 'ambiguous' : 'failed', error };
}
