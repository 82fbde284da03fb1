import { platformDisplayName, withCrossLink } from '../core/cross-link.js';
import type { AppContext } from '../services/context.js';
import { type DeliveryRecord, findDeliveryById } from '../store/delivery.repository.js';
import type { PublishPayload } from '../store/post.repository.js';

/**
 * The text a cross-linked delivery publishes: the post with the primary's link when the primary
 * was published, the post alone otherwise, with a note saying so (shown in the delivery's detail).
 */
export async function crossLinkedContent(
  ctx: AppContext,
  delivery: DeliveryRecord,
  post: PublishPayload,
): Promise<{ content: string; detail: string | null }> {
  if (!delivery.crossLinkFrom || !post.crossLink) return { content: post.content, detail: null };
  const primary = await findDeliveryById(ctx.store.db, delivery.crossLinkFrom);
  const name = platformDisplayName(post.crossLink.primaryPlatform);
  if (primary?.status === 'published' && primary.remoteUrl) {
    return { content: withCrossLink(post.content, post.crossLink.template, post.crossLink.primaryPlatform, primary.remoteUrl), detail: null };
  }
  const why = !primary ? 'was removed' : primary.status === 'published' ? 'has no public link' : `ended ${primary.status}`;
  return { content: post.content, detail: `Published without the cross-link: the ${name} post (the primary) ${why}.` };
}
