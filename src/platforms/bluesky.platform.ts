import { AppBskyRichtextFacet, RichText, XRPCError, type AppBskyFeedPost, type BlobRef } from '@atproto/api';
import { countCharacters } from '../core/content-rules.js';
import { BLUESKY_RULES, type BlueskyInput, type BlueskyPlatformOptions, blueskyConnectSchema as connectSchema } from './bluesky-rules.js';

export { BLUESKY_RULES, type BlueskyInput, type BlueskyPlatformOptions };
import { DomainError, validationFailed } from '../core/errors.js';
import type { PublishError, PublishOutcome } from '../core/retry-policy.js';
import { BlueskyAuthError, classifyFailure, isAccountBlocked, isServerAnswer, quote, retryAfterMs } from './bluesky-errors.js';
import { imageSize, recordKeyFor, rkeyOf } from './bluesky-records.js';
import { BlueskySession, jwtClaims, readCredentials, sessionExpiresAt, type BlueskyCredentials } from './bluesky-session.js';
import { networkErrorCode } from './http-errors.js';
import { fetchImage, MediaError } from './media-fetch.js';
import { RefreshError, type ConnectContext, type ConnectedAccount, type PlatformAdapter, type PublishRequest } from './platform.js';
import { checkPublicUrl } from './url-guard.js';

export type BlueskyAdapter = PlatformAdapter<BlueskyInput> &
  Required<Pick<PlatformAdapter<BlueskyInput>, 'connect' | 'refresh' | 'connectSchema'>>;

const MAX_TEXT_BYTES = 3000;
const POST = 'app.bsky.feed.post';

interface StrongRef {
  uri: string;
  cid: string;
}

/**
 * Bluesky (AT Protocol), signing in with an app password on bsky.social or any PDS. Each part of
 * a post is written with a record key derived from the delivery id, so a repeated attempt
 * targets the same record and first looks it up: an ambiguous attempt is safe to repeat.
 */
export function createBlueskyPlatform(options: BlueskyPlatformOptions = {}): BlueskyAdapter {
  const defaultService = (options.defaultService ?? 'https://bsky.social').replace(/\/+$/, '');
  const appUrl = (options.appUrl ?? 'https://bsky.app').replace(/\/+$/, '');
  return {
    name: 'bluesky',
    rules: BLUESKY_RULES,
    deduplicates: true,
    connectSchema,
    connect: (input, ctx) => connect(input, ctx, defaultService),
    publish: (req) => publish(req, appUrl),
    async refresh(credentials, _meta, signal) {
      let session: BlueskySession;
      try {
        session = new BlueskySession(readCredentials(credentials), signal);
      } catch (err) {
        throw new RefreshError((err as Error).message, true);
      }
      try {
        const renewed = await session.renew();
        return { credentials: { ...renewed }, expiresAt: sessionExpiresAt(renewed.session) };
      } catch (err) {
        if (err instanceof BlueskyAuthError) throw new RefreshError(err.error.message, err.error.permanent);
        const why = isServerAnswer(err) ? `${err.status}${quote(err)}` : (networkErrorCode(err) ?? (err as Error).message);
        throw new RefreshError(`Could not renew the Bluesky session (${why}); Octopost will try again.`, false);
      }
    },
  };
}

async function connect(input: BlueskyInput, ctx: ConnectContext, defaultService: string): Promise<ConnectedAccount> {
  const url = await checkPublicUrl('service', input.service ?? defaultService, ctx.blockPrivateUrls);
  const service = url.href.replace(/\/+$/, '');
  const identifier = input.identifier.replace(/^@/, '');
  const session = new BlueskySession({ service, identifier, appPassword: input.app_password }, ctx.signal ?? AbortSignal.timeout(30_000));
  let credentials: BlueskyCredentials;
  try {
    credentials = await session.renew();
  } catch (err) {
    throw connectError(err, url.host);
  }
  const tokens = credentials.session!;
  if (jwtClaims(tokens.accessJwt)?.scope === 'com.atproto.access') {
    // Only app passwords give app-password scoped sessions; never keep the account's main password.
    await session.agent.com.atproto.server.deleteSession(undefined, { headers: { authorization: `Bearer ${tokens.refreshJwt}` } }).catch(() => {});
    throw validationFailed(
      'app_password',
      "That is the account's main password. Create an app password on Bluesky (Settings, Privacy and security, App passwords) and use it instead.",
    );
  }
  const profile = await readProfile(session, service);
  return {
    platformUserId: tokens.did,
    username: tokens.handle,
    displayName: profile.displayName || tokens.handle,
    avatarUrl: profile.avatarUrl,
    credentials: { ...credentials },
    meta: { service },
    expiresAt: sessionExpiresAt(tokens),
  };
}

function connectError(err: unknown, host: string): Error {
  if (err instanceof BlueskyAuthError) {
    if (err.error.code === 'suspended') return validationFailed('identifier', err.error.message);
    const said = err.error.message.match(/ Bluesky said: .*$/)?.[0] ?? '';
    return validationFailed(
      'app_password',
      `Bluesky refused this identifier and app password. Check the handle (or email) and the app password, or create a new app password.${said}`,
    );
  }
  if (err instanceof XRPCError && err.status === 429) {
    const wait = retryAfterMs(err.headers);
    return new DomainError('rate_limited', `Bluesky is rate limiting sign-ins; try again${wait ? ` in ${Math.ceil(wait / 1000)} s` : ' later'}.`, {
      ...(wait && { retryAfterMs: wait }),
    });
  }
  const why = isServerAnswer(err) ? `it answered ${err.status}${quote(err)}` : `${networkErrorCode(err) ?? (err as Error).message}`;
  return new DomainError('unavailable', `Could not sign in to Bluesky at ${host} (${why}). Try again later.`, { field: 'service' });
}

/**
 * Display name and avatar: app.bsky.actor.getProfile where the service offers it (bsky.social
 * forwards it to the AppView), else the account's own profile record (a PDS without an AppView).
 */
async function readProfile(session: BlueskySession, service: string): Promise<{ displayName?: string; avatarUrl: string | null }> {
  try {
    const { data } = await session.call((a) => a.app.bsky.actor.getProfile({ actor: session.did }));
    return { ...(data.displayName && { displayName: data.displayName }), avatarUrl: data.avatar ?? null };
  } catch {
    try {
      const { data } = await session.call((a) =>
        a.com.atproto.repo.getRecord({ repo: session.did, collection: 'app.bsky.actor.profile', rkey: 'self' }),
      );
      const value = data.value as { displayName?: string; avatar?: { ref?: { $link?: string; toString(): string } } };
      const cid = value.avatar?.ref?.$link ?? value.avatar?.ref?.toString();
      const avatarUrl = cid ? `${service}/xrpc/com.atproto.sync.getBlob?did=${encodeURIComponent(session.did)}&cid=${cid}` : null;
      return { ...(value.displayName && { displayName: value.displayName }), avatarUrl };
    } catch {
      return { avatarUrl: null }; // no profile yet: the handle stands in for the name
    }
  }
}

async function publish(req: PublishRequest, appUrl: string): Promise<PublishOutcome> {
  let credentials: BlueskyCredentials;
  try {
    credentials = readCredentials(req.credentials);
  } catch (err) {
    return { kind: 'failed', error: (err as BlueskyAuthError).error };
  }
  const texts = [req.content, ...req.segments.map((s) => s.content)];
  const tooLong = texts.map(lengthProblem).find((p) => p !== undefined);
  if (tooLong) return { kind: 'failed', error: tooLong };

  const session = new BlueskySession(credentials, req.signal, (renewed) =>
    req.saveCredentials({ ...renewed }, sessionExpiresAt(renewed.session)),
  );
  const done = readProgress(req.progress, texts.length);
  // On a repeat (or after a crash that kept some progress) a part may exist without being recorded.
  const lookUp = req.attempt > 1 || req.progress !== null;
  let sending = false;
  try {
    for (let part = done.length; part < texts.length; part++) {
      const text = texts[part]!;
      const rkey = recordKeyFor(req.deliveryId, part);
      let ref = lookUp ? await findOwn(session, rkey, text) : undefined;
      if (!ref) {
        const record = await buildRecord(session, req, text, part, done);
        sending = true;
        ref = await createPart(session, rkey, text, record);
        sending = false;
      }
      done.push(ref);
      await req.saveProgress({ parts: [...done] });
    }
  } catch (err) {
    if (err instanceof MediaError) return { kind: 'failed', error: err.error };
    if (err instanceof RecordConflict) return { kind: 'failed', error: err.error };
    return classifyFailure(err, sending, req.signal, new URL(credentials.service).host);
  }
  // A handle whose DNS or domain check fails reads "handle.invalid"; the DID always works in links.
  const handle = session.current.session?.handle ?? req.account.username;
  const profile = handle && handle !== 'handle.invalid' ? handle : session.current.session?.did ?? req.account.platformUserId;
  return { kind: 'published', postId: done[0]!.uri, postUrl: `${appUrl}/profile/${profile}/post/${rkeyOf(done[0]!.uri)}` };
}

/** The PDS would refuse these anyway (400); refusing first keeps a thread from going out half. */
function lengthProblem(text: string, index: number): PublishError | undefined {
  const where = index === 0 ? 'The post' : `Part ${index + 1} of the thread`;
  const graphemes = countCharacters(text);
  if (graphemes > BLUESKY_RULES.maxLength) {
    return { code: 'too_long', message: `${where} has ${graphemes} characters; Bluesky allows ${BLUESKY_RULES.maxLength}. Nothing was sent.`, permanent: true };
  }
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_TEXT_BYTES) {
    return { code: 'too_long', message: `${where} takes ${bytes} bytes; Bluesky allows ${MAX_TEXT_BYTES} (long emoji sequences count many bytes). Nothing was sent.`, permanent: true };
  }
  return undefined;
}

function readProgress(progress: Record<string, unknown> | null, count: number): StrongRef[] {
  const parts = progress?.parts;
  if (!Array.isArray(parts)) return [];
  const done: StrongRef[] = [];
  for (const p of parts.slice(0, count)) {
    if (typeof p?.uri !== 'string' || !p.uri.startsWith('at://') || typeof p?.cid !== 'string') break;
    done.push({ uri: p.uri, cid: p.cid });
  }
  return done;
}

/** A record at our key that holds another text: never report someone else's post as ours. */
class RecordConflict extends Error {
  readonly error: PublishError;
  constructor(rkey: string) {
    super(`record ${rkey} holds another text`);
    this.error = {
      code: 'record_conflict',
      message: `A different post already uses the record key ${rkey} on Bluesky (the post was edited after an earlier attempt, or keys collided). Check the account's posts, then publish again as a new post.`,
      permanent: true,
    };
  }
}

/** The part posted earlier at `rkey`, if any (com.atproto.repo.getRecord: 400 RecordNotFound when absent). */
async function findOwn(session: BlueskySession, rkey: string, text: string): Promise<StrongRef | undefined> {
  try {
    const { data } = await session.call((a) => a.com.atproto.repo.getRecord({ repo: session.did, collection: POST, rkey }));
    if ((data.value as { text?: unknown }).text !== text) throw new RecordConflict(rkey);
    return { uri: data.uri, cid: data.cid! };
  } catch (err) {
    if (err instanceof XRPCError && err.status === 400 && err.error === 'RecordNotFound') return undefined;
    throw err;
  }
}

/**
 * com.atproto.repo.createRecord at our key. A 5xx, an "already exists" answer or an unreadable
 * success may hide a record that was written (the reference PDS answers 500 when the key is
 * taken): look it up before reporting a failure.
 */
async function createPart(session: BlueskySession, rkey: string, text: string, record: AppBskyFeedPost.Record): Promise<StrongRef> {
  try {
    const { data } = await session.call((a) => a.com.atproto.repo.createRecord({ repo: session.did, collection: POST, rkey, record }));
    return { uri: data.uri, cid: data.cid };
  } catch (err) {
    const maybeWritten =
      err instanceof XRPCError && !isAccountBlocked(err) &&
      (err.status >= 500 || err.status === 2 || /already exists/i.test(`${err.error} ${err.message}`));
    if (maybeWritten) {
      const found = await findOwn(session, rkey, text).catch((e) => (e instanceof RecordConflict ? Promise.reject(e) : undefined));
      if (found) return found;
    }
    throw err;
  }
}

async function buildRecord(session: BlueskySession, req: PublishRequest, text: string, part: number, done: StrongRef[]): Promise<AppBskyFeedPost.Record> {
  const rt = new RichText({ text });
  rt.detectFacetsWithoutResolution();
  const facets = await resolveMentions(session, rt.facets ?? []);
  const record: AppBskyFeedPost.Record = { $type: POST, text: rt.text, createdAt: new Date().toISOString() };
  if (facets.length > 0) record.facets = facets;
  if (part > 0) record.reply = { root: done[0]!, parent: done[part - 1]! };
  if (part === 0 && req.media.images.length > 0) {
    const images = [];
    for (const image of req.media.images) {
      const fetched = await fetchImage(image.url, { maxBytes: BLUESKY_RULES.maxImageBytes, types: BLUESKY_RULES.imageTypes, platform: 'bluesky' }, req.signal);
      const { data } = await session.call((a) => a.com.atproto.repo.uploadBlob(fetched.data, { encoding: fetched.mimeType }));
      const size = imageSize(fetched.data, fetched.mimeType);
      images.push({ image: data.blob as BlobRef, alt: image.alt_text ?? '', ...(size && { aspectRatio: size }) });
    }
    record.embed = { $type: 'app.bsky.embed.images', images };
  }
  return record;
}

/**
 * Mentions must carry the DID. A handle Bluesky does not know (400) stays plain text, as in the
 * app; any other failure fails the attempt rather than posting without the mention.
 */
async function resolveMentions(session: BlueskySession, facets: AppBskyRichtextFacet.Main[]): Promise<AppBskyRichtextFacet.Main[]> {
  const kept: AppBskyRichtextFacet.Main[] = [];
  for (const facet of facets) {
    const mention = facet.features.find((f) => AppBskyRichtextFacet.isMention(f)) as AppBskyRichtextFacet.Mention | undefined;
    if (!mention) {
      kept.push(facet);
      continue;
    }
    try {
      const { data } = await session.call((a) => a.com.atproto.identity.resolveHandle({ handle: mention.did }));
      kept.push({ index: facet.index, features: [{ $type: 'app.bsky.richtext.facet#mention', did: data.did }] });
    } catch (err) {
      if (!(err instanceof XRPCError && err.status === 400 && !isAccountBlocked(err) && err.error !== 'ExpiredToken')) throw err;
    }
  }
  return kept;
}
