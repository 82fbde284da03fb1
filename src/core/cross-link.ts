/**
 * Cross-posting presets (shared/api.md, presets): the primary network's post goes out first and
 * its link is filled into the template, which is added after the others' text.
 * Placeholders: {platform} (the primary's name), {link}, {title} (the post's first line) and
 * {excerpt} (its first 100 characters).
 */
export const DEFAULT_CROSS_LINK_TEMPLATE = 'Also on {platform}: {link}';

/**
 * A stand-in for the primary's link while checking limits before it exists: as long as a Bluesky
 * post URL with a long handle (X and Mastodon count any link as 23 characters anyway).
 */
export const LINK_PLACEHOLDER = 'https://bsky.app/profile/a-rather-long-handle.bsky.social/post/3kxxxxxxxxxxx';

const PLATFORM_NAMES: Record<string, string> = {
  x: 'X',
  bluesky: 'Bluesky',
  mastodon: 'Mastodon',
  linkedin: 'LinkedIn',
  threads: 'Threads',
  webhook: 'the web',
};

export function platformDisplayName(platform: string): string {
  return PLATFORM_NAMES[platform] ?? platform;
}

export function withCrossLink(content: string, template: string, primaryPlatform: string, link: string): string {
  const firstLine = content.split('\n', 1)[0]!.trim();
  const excerpt = [...content].length > 100 ? `${[...content].slice(0, 99).join('').trimEnd()}…` : content;
  const filled = template.replace(/\{(platform|link|title|excerpt)\}/g, (_m, key: string) =>
    key === 'platform' ? platformDisplayName(primaryPlatform) : key === 'link' ? link : key === 'title' ? firstLine : excerpt,
  );
  return `${content}\n\n${filled}`;
}
