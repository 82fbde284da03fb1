import { setTimeout as sleep } from 'node:timers/promises';
import { FormData } from 'undici';
import type { PlatformRules } from '../core/content-rules.js';
import type { PublishOutcome } from '../core/retry-policy.js';
import { fetchImage, MediaError } from './media-fetch.js';
import { type XAnswer, type XCall, classifyXAnswer, networkFailure, xRequest } from './x-http.js';

/*
 * Images for a tweet, by the X API v2 media endpoints (docs.x.com "Upload media", "Initialize /
 * Append / Finalize Media upload", "Get Media upload status", "Create Media metadata"):
 *  - JPEG, PNG, WebP: one-shot POST /2/media/upload, multipart `media` (the bytes) +
 *    `media_category=tweet_image` + `media_type`; answer {data: {id, media_key, size, ...}}.
 *  - GIF: the one-shot's media_type and media_category enums have no GIF, so the chunked route
 *    with `tweet_gif`: POST /2/media/upload/initialize (JSON), POST /2/media/upload/{id}/append
 *    (multipart `media` + `segment_index`), POST /2/media/upload/{id}/finalize, then
 *    GET /2/media/upload?command=STATUS&media_id= while processing_info says pending/in_progress.
 *  - Alt text: POST /2/media/metadata {id, metadata: {alt_text: {text}}} (JSON).
 * Nothing here creates a post, so every failure is `failed` (an upload that may have arrived
 * leaves only an unused media id, which expires).
 */

export type Step<T> = { ok: true; value: T } | { ok: false; outcome: PublishOutcome };

const CHUNK_BYTES = 1024 * 1024;

interface Ctx {
  apiBaseUrl: string;
  token: string;
  rules: PlatformRules;
  signal: AbortSignal;
}

/** Uploads the images in order and returns their media ids. */
export async function uploadImages(ctx: Ctx, images: { url: string; alt_text?: string }[]): Promise<Step<string[]>> {
  const ids: string[] = [];
  for (const [i, image] of images.entries()) {
    const what = images.length > 1 ? `image ${i + 1}` : 'the image';
    let fetched;
    try {
      fetched = await fetchImage(image.url, { maxBytes: ctx.rules.maxImageBytes, types: ctx.rules.imageTypes, platform: 'X' }, ctx.signal);
    } catch (err) {
      if (err instanceof MediaError) return { ok: false, outcome: { kind: 'failed', error: err.error } };
      const message = `Could not download ${what} (${image.url}) in time; nothing was posted.`;
      return { ok: false, outcome: { kind: 'failed', error: { code: 'media_unreachable', message, permanent: false } } };
    }
    const uploaded = fetched.mimeType === 'image/gif'
      ? await uploadChunked(ctx, fetched.data, what)
      : await uploadOneShot(ctx, fetched.data, fetched.mimeType, what);
    if (!uploaded.ok) return uploaded;
    if (image.alt_text) {
      const alt = await send(ctx, `${ctx.apiBaseUrl}/2/media/metadata`, { method: 'POST', json: { id: uploaded.value, metadata: { alt_text: { text: image.alt_text } } } }, `the alt text of ${what}`);
      if (!alt.ok) return alt;
    }
    ids.push(uploaded.value);
  }
  return { ok: true, value: ids };
}

async function uploadOneShot(ctx: Ctx, data: Buffer, mimeType: string, what: string): Promise<Step<string>> {
  const form = new FormData();
  // Blob takes ArrayBuffer-backed views only (a Buffer may sit on a shared pool): copy, at most 5 MB.
  form.append('media', new Blob([Uint8Array.from(data)], { type: mimeType }), `image.${mimeType.split('/')[1]}`);
  form.append('media_category', 'tweet_image');
  form.append('media_type', mimeType);
  const answer = await send(ctx, `${ctx.apiBaseUrl}/2/media/upload`, { method: 'POST', form }, what);
  return answer.ok ? mediaId(answer.value, what) : answer;
}

async function uploadChunked(ctx: Ctx, data: Buffer, what: string): Promise<Step<string>> {
  const init = await send(ctx, `${ctx.apiBaseUrl}/2/media/upload/initialize`, {
    method: 'POST',
    json: { media_type: 'image/gif', total_bytes: data.length, media_category: 'tweet_gif' },
  }, what);
  if (!init.ok) return init;
  const id = mediaId(init.value, what);
  if (!id.ok) return id;
  const base = `${ctx.apiBaseUrl}/2/media/upload/${encodeURIComponent(id.value)}`;
  for (let index = 0; index * CHUNK_BYTES < data.length; index++) {
    const form = new FormData();
    form.append('media', new Blob([Uint8Array.from(data.subarray(index * CHUNK_BYTES, (index + 1) * CHUNK_BYTES))], { type: 'application/octet-stream' }), 'chunk');
    form.append('segment_index', String(index));
    const appended = await send(ctx, `${base}/append`, { method: 'POST', form }, what);
    if (!appended.ok) return appended;
  }
  let answer = await send(ctx, `${base}/finalize`, { method: 'POST' }, what);
  // Animated GIFs are processed after FINALIZE: a tweet may use the id only once it succeeded.
  for (;;) {
    if (!answer.ok) return answer;
    const info = answer.value.json?.data?.processing_info;
    const state = typeof info?.state === 'string' ? info.state : 'succeeded';
    if (state === 'succeeded') return { ok: true, value: id.value };
    if (state === 'failed') {
      const reason = typeof info.error?.message === 'string' ? ` X said: "${info.error.message}".` : '';
      return { ok: false, outcome: { kind: 'failed', error: { code: 'media_processing_failed', message: `X could not process ${what}; use another image.${reason}`, permanent: true } } };
    }
    const waitS = typeof info.check_after_secs === 'number' && info.check_after_secs > 0 ? info.check_after_secs : 1;
    try {
      await sleep(waitS * 1000, undefined, { signal: ctx.signal });
    } catch (err) {
      return { ok: false, outcome: networkFailure(err, ctx.signal, false, what) };
    }
    answer = await send(ctx, `${ctx.apiBaseUrl}/2/media/upload?command=STATUS&media_id=${encodeURIComponent(id.value)}`, { method: 'GET' }, what);
  }
}

function mediaId(answer: XAnswer, what: string): Step<string> {
  const id = answer.json?.data?.id;
  if (typeof id === 'string' && id) return { ok: true, value: id };
  const message = `X accepted ${what} but its answer had no media id.`;
  return { ok: false, outcome: { kind: 'failed', error: { code: 'bad_answer', message, permanent: false, httpStatus: answer.status } } };
}

/** One media request; anything but a 2xx becomes the failed outcome to return. */
async function send(ctx: Ctx, url: string, call: Omit<XCall, 'token' | 'signal'>, what: string): Promise<Step<XAnswer>> {
  let answer: XAnswer;
  try {
    answer = await xRequest(url, { ...call, token: ctx.token, signal: ctx.signal });
  } catch (err) {
    return { ok: false, outcome: networkFailure(err, ctx.signal, false, what) };
  }
  if (answer.status >= 200 && answer.status < 300) return { ok: true, value: answer };
  return { ok: false, outcome: { kind: 'failed', error: classifyXAnswer(answer, what) } };
}
