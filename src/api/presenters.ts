import type { PlatformRegistry } from '../platforms/registry.js';
import { deduplicatesOf, rulesOf } from '../platforms/platform.js';
import { toIso } from '../core/time.js';
import type { AccountRecord } from '../store/account.repository.js';
import type { DeliveryRecord } from '../store/delivery.repository.js';
import type { PresetView } from '../services/preset.service.js';
import type { PostView } from '../services/post-queries.js';

/** Turns stored records into the wire format of shared/api.md. Never exposes credentials. */
export function presentPost(view: PostView) {
  const { post, deliveries, platformOf } = view;
  const platforms = [...new Set(post.accountIds.map((id) => platformOf.get(id) ?? 'unknown'))];
  return {
    id: post.id,
    content: post.content,
    accounts: post.accountIds,
    platforms,
    status: post.status,
    scheduled_for: toIso(post.scheduledFor),
    media: post.media,
    segments: post.segments,
    platform_options: post.platformOptions,
    stagger_minutes: post.staggerMinutes,
    platform_results: platformResults(deliveries),
    deliveries: deliveries.map((d) => presentDelivery(d, view)),
    created_at: toIso(post.createdAt)!,
    updated_at: toIso(post.updatedAt)!,
    published_at: toIso(post.publishedAt),
  };
}

function presentDelivery(d: DeliveryRecord, view: PostView) {
  const waiting = d.status === 'pending' || d.status === 'retrying';
  const history = view.attempts
    ?.filter((a) => a.deliveryId === d.id)
    .map((a) => ({ attempt: a.attempt, started_at: toIso(a.startedAt)!, finished_at: toIso(a.finishedAt)!, outcome: a.outcome, error: a.error }));
  return {
    id: d.id,
    account_id: d.accountId,
    platform: d.platform,
    status: d.status,
    attempts: d.attempts,
    due_at: toIso(d.dueAt)!,
    next_attempt_at: waiting ? toIso(d.dueAt) : null,
    last_error: d.lastError,
    post_id: d.remoteId,
    post_url: d.remoteUrl,
    published_at: toIso(d.publishedAt),
    waiting_for: d.blocked ? d.crossLinkFrom : null,
    stop_requested: d.status === 'publishing' && d.stopAfterAttempt === d.attempts,
    detail: d.detail,
    ...(history && { history }),
  };
}

/**
 * Kept for compatibility with the hosted API: keyed by platform, or "<platform>:<account id>" for
 * every account of a platform that appears more than once. Only finished deliveries appear.
 */
function platformResults(deliveries: DeliveryRecord[]) {
  const perPlatform = new Map<string, number>();
  for (const d of deliveries) perPlatform.set(d.platform, (perPlatform.get(d.platform) ?? 0) + 1);
  const results: Record<string, { success: boolean; post_id?: string | null; post_url?: string | null; error?: string }> = {};
  for (const d of deliveries) {
    if (d.status !== 'published' && d.status !== 'failed' && d.status !== 'unknown') continue;
    const key = perPlatform.get(d.platform)! > 1 ? `${d.platform}:${d.accountId}` : d.platform;
    results[key] =
      d.status === 'published'
        ? { success: true, post_id: d.remoteId, post_url: d.remoteUrl }
        : { success: false, error: d.lastError?.message ?? d.status };
  }
  return results;
}

export function presentAccount(a: AccountRecord, platforms: PlatformRegistry) {
  const adapter = platforms.get(a.platform);
  const rules = adapter ? rulesOf(adapter, a.meta) : { maxLength: 0, maxImages: 0, supportsSegments: false };
  return {
    id: a.id,
    platform: a.platform,
    platform_user_id: a.platformUserId,
    username: a.username,
    display_name: a.displayName,
    avatar_url: a.avatarUrl,
    is_active: a.isActive,
    inactive_reason: a.isActive ? null : (a.inactiveReason ?? 'The network refused the credentials; reconnect the account.'),
    token_expires_at: toIso(a.tokenExpiresAt),
    rules: {
      max_length: rules.maxLength,
      max_images: rules.maxImages,
      supports_segments: rules.supportsSegments,
      counting: rules.counting ?? 'graphemes',
      url_length: rules.urlLength ?? null,
    },
    deduplicates: deduplicatesOf(adapter, a.meta),
    connected_at: toIso(a.connectedAt)!,
    last_used_at: toIso(a.lastUsedAt),
  };
}

export function presentPreset(p: PresetView) {
  return {
    id: p.id,
    name: p.name,
    accounts: p.accounts,
    platforms: p.platforms,
    primary_platform: p.primaryPlatform,
    cross_link_enabled: p.crossLinkEnabled,
    cross_link_template: p.crossLinkTemplate,
    is_default: p.isDefault,
    is_system: p.isSystem,
    created_at: p.isSystem ? null : toIso(p.createdAt),
    updated_at: p.isSystem ? null : toIso(p.updatedAt),
  };
}
