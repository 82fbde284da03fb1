import { describe, expect, it } from 'vitest';
import { checkContent, countFor, type PlatformRules } from '../../src/core/content-rules.js';
import { withCrossLink } from '../../src/core/cross-link.js';

const X: PlatformRules = { maxLength: 280, maxImages: 4, supportsSegments: true, counting: 'x-weighted' };
const MASTODON: PlatformRules = { maxLength: 500, maxImages: 4, supportsSegments: true, urlLength: 23, maxAltText: 1500 };
const BLUESKY: PlatformRules = { maxLength: 300, maxImages: 4, supportsSegments: true };
const post = (content: string, extra: Partial<{ segments: { content: string }[]; images: { url: string; alt_text?: string }[] }> = {}) => ({
  content,
  segments: extra.segments ?? [],
  media: { images: extra.images ?? [] },
});

describe('counting per network', () => {
  const longUrl = `https://example.com/${'a'.repeat(300)}`;

  it('X weighs CJK and emoji as 2 and any link as 23 (twitter-text)', () => {
    expect(countFor(X, 'hello')).toBe(5);
    expect(countFor(X, '日本語')).toBe(6);
    expect(countFor(X, '👍')).toBe(2);
    expect(countFor(X, `see ${longUrl}`)).toBe(4 + 23);
    expect(checkContent('x', X, post('字'.repeat(141)))[0]).toMatchObject({ platform: 'x', limit: 280, count: 282 });
    expect(checkContent('x', X, post('字'.repeat(140)))).toEqual([]);
  });

  it('Mastodon counts a link as 23 and a remote mention by its local part', () => {
    expect(countFor(MASTODON, `read ${longUrl} now`)).toBe(5 + 23 + 4);
    expect(countFor(MASTODON, 'hi @alice@mastodon.social')).toBe('hi @alice'.length);
    expect(checkContent('mastodon', MASTODON, post(`${'a'.repeat(470)} ${longUrl}`))).toEqual([]);
  });

  it('Bluesky counts graphemes: 300 emoji pass, 301 characters do not, nor 3,001 bytes', () => {
    expect(checkContent('bluesky', BLUESKY, post('👍'.repeat(300)))).toEqual([]);
    const bytes = checkContent('bluesky', { ...BLUESKY, maxBytes: 3000 }, post('👨‍👩‍👧'.repeat(200)));
    expect(bytes).toEqual([expect.objectContaining({ field: 'content', limit: 3000, count: 3600 })]);
    expect(checkContent('bluesky', BLUESKY, post('a'.repeat(301)))[0]).toMatchObject({ field: 'content', limit: 300, count: 301 });
  });

  it('checks every segment and the alt text of every image', () => {
    const problems = checkContent(
      'mastodon',
      MASTODON,
      post('ok', { segments: [{ content: 'fine' }, { content: 'b'.repeat(501) }], images: [{ url: 'https://e.x/1.png', alt_text: 'c'.repeat(1501) }] }),
    );
    expect(problems.map((p) => p.field)).toEqual(['segments[1].content', 'media.images[0].alt_text']);
  });
});

describe('cross-link template', () => {
  it('fills platform, link, title and excerpt', () => {
    const text = withCrossLink('Big news\nMore below', '{title} | {excerpt} | {platform}: {link}', 'bluesky', 'https://bsky.app/p/1');
    expect(text).toBe('Big news\nMore below\n\nBig news | Big news\nMore below | Bluesky: https://bsky.app/p/1');
  });
  it('cuts the excerpt at 100 characters', () => {
    const text = withCrossLink('x'.repeat(150), '{excerpt}', 'x', 'u');
    expect(text.split('\n\n')[1]).toHaveLength(100);
  });
});

describe('image types named by the URL', () => {
  const LINKEDIN: PlatformRules = { maxLength: 3000, maxImages: 20, supportsSegments: false, imageTypes: ['image/jpeg', 'image/png', 'image/gif'] };
  it('refuses a type the network does not take, before sending', () => {
    const problems = checkContent('linkedin', LINKEDIN, post('hi', { images: [{ url: 'https://cdn.example/a.PNG?v=2' }, { url: 'https://cdn.example/b.webp' }] }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ field: 'media.images[1].url', platform: 'linkedin' });
    expect(problems[0]!.message).toContain('webp');
  });
  it('leaves URLs without an extension to the check at sending', () => {
    expect(checkContent('linkedin', LINKEDIN, post('hi', { images: [{ url: 'https://cdn.example/image?id=7' }] }))).toEqual([]);
  });
});
