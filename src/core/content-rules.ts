import twitterText from 'twitter-text';

/**
 * Pure content rules per platform: what a post must satisfy before anything is sent.
 * The API refuses a post that breaks them at creation and when scheduled (422 naming the
 * platform, the limit and the count), not at publish time. The web app's counters reuse them.
 */
export interface ContentProblem {
  platform: string;
  field: string;
  message: string;
  limit?: number;
  count?: number;
}

export interface PostContent {
  content: string;
  segments: { content: string }[];
  media: { images: { url: string; alt_text?: string | undefined }[] };
}

export interface PlatformRules {
  /** Characters allowed in one post or segment, counted as `counting` says. */
  maxLength: number;
  maxImages: number;
  supportsSegments: boolean;
  /** 'graphemes' (default: what a person sees) or X's weighted count (twitter-text: CJK and emoji count 2, URLs 23). */
  counting?: 'graphemes' | 'x-weighted';
  /** Each http(s) URL counts as this many characters whatever its length (Mastodon: 23). */
  urlLength?: number;
  /** Largest image accepted, in bytes, and its types (checked when the image is fetched to be sent). */
  maxImageBytes?: number;
  imageTypes?: string[];
  /** Characters of alt text per image. */
  maxAltText?: number;
  /** UTF-8 bytes of one post or segment, besides its characters (Bluesky: 3000, reached by emoji-heavy text). */
  maxBytes?: number;
}

/** The length of one post or segment as the network counts it. */
export function countFor(rules: Pick<PlatformRules, 'counting' | 'urlLength'>, text: string): number {
  if (rules.counting === 'x-weighted') return twitterText.parseTweet(text).weightedLength;
  if (rules.urlLength !== undefined) {
    // Mastodon: a link counts as urlLength characters, and a remote mention as its local part.
    const placeholder = 'x'.repeat(rules.urlLength);
    text = text.replace(URL_IN_TEXT, placeholder).replace(REMOTE_MENTION, '$1');
  }
  return countCharacters(text);
}
const URL_IN_TEXT = /https?:\/\/[^\s<>"]+/giu;
const REMOTE_MENTION = /(@[a-z0-9_]+(?:[a-z0-9_.-]*[a-z0-9_])?)@[a-z0-9.-]+\.[a-z]{2,}/giu;

/**
 * Counts user-perceived characters (graphemes), the way people and most networks count.
 * Intl.Segmenter gets slower than linear on long texts (100k characters took seconds on Node 20),
 * so plain ASCII (one grapheme per unit) is counted directly and other text is segmented in
 * pieces of about a thousand units, cut only at a grapheme boundary (see `isBoundary`).
 */
export function countCharacters(text: string): number {
  if (ASCII.test(text)) return text.length;
  let n = 0;
  for (const piece of pieces(text)) for (const _ of segmenter.segment(piece)) n++;
  return n;
}
const ASCII = /^[\x00-\x7f]*$/;
const utf8 = new TextEncoder();
const PIECE = 1000;
const WINDOW = 64;
const segmenter = new Intl.Segmenter('en', { granularity: 'grapheme' });

function* pieces(text: string): Generator<string> {
  let start = 0;
  while (text.length - start > PIECE + WINDOW) {
    let cut = start + PIECE;
    while (cut < text.length - WINDOW && !isBoundary(text, cut)) cut++;
    yield text.slice(start, cut);
    start = cut;
  }
  yield text.slice(start);
}

/**
 * Whether a grapheme boundary falls at `at`, judged from the 64 units on each side: grapheme
 * rules look only at neighbouring characters (longest real clusters, family emoji, are ~30 units).
 */
function isBoundary(text: string, at: number): boolean {
  const from = Math.max(0, at - WINDOW);
  for (const { index } of segmenter.segment(text.slice(from, at + WINDOW))) {
    if (from + index === at) return true;
    if (from + index > at) return false;
  }
  return false;
}

export function checkContent(platform: string, rules: PlatformRules, post: PostContent): ContentProblem[] {
  const problems: ContentProblem[] = [];
  const parts = [post.content, ...post.segments.map((s) => s.content)];
  parts.forEach((text, index) => {
    // A text no longer in UTF-16 units than the limit cannot count more, except in X's weighting
    // (a CJK character counts 2) or with links counted at a fixed length: skip counting then.
    const plain = rules.counting !== 'x-weighted' && rules.urlLength === undefined;
    const count = plain && text.length <= rules.maxLength ? 0 : countFor(rules, text);
    if (count > rules.maxLength) {
      const where = index === 0 ? 'content' : `segments[${index - 1}].content`;
      problems.push({
        platform,
        field: where,
        message: `${where} has ${count} characters; ${platform} allows at most ${rules.maxLength}.`,
        limit: rules.maxLength,
        count,
      });
    }
    if (rules.maxBytes !== undefined && text.length * 3 > rules.maxBytes) {
      const bytes = utf8.encode(text).length;
      if (bytes > rules.maxBytes) {
        const where = index === 0 ? 'content' : `segments[${index - 1}].content`;
        problems.push({ platform, field: where, message: `${where} takes ${bytes} bytes; ${platform} allows at most ${rules.maxBytes} (emoji and accents take several).`, limit: rules.maxBytes, count: bytes });
      }
    }
  });
  if (post.segments.length > 0 && !rules.supportsSegments) {
    problems.push({ platform, field: 'segments', message: `${platform} does not support threads (segments).` });
  }
  if (rules.maxAltText !== undefined) {
    post.media.images.forEach((image, i) => {
      const length = image.alt_text ? countCharacters(image.alt_text) : 0;
      if (length > rules.maxAltText!) {
        problems.push({
          platform,
          field: `media.images[${i}].alt_text`,
          message: `media.images[${i}].alt_text has ${length} characters; ${platform} allows at most ${rules.maxAltText}.`,
          limit: rules.maxAltText,
          count: length,
        });
      }
    });
  }
  if (rules.imageTypes) {
    post.media.images.forEach((image, i) => {
      const type = typeFromUrl(image.url);
      if (type && !rules.imageTypes!.includes(type)) {
        const accepted = rules.imageTypes!.map((t) => t.replace('image/', '')).join(', ');
        problems.push({
          platform,
          field: `media.images[${i}].url`,
          message: `media.images[${i}] is ${type.replace('image/', '')}; ${platform} accepts ${accepted}.`,
        });
      }
    });
  }
  if (post.media.images.length > rules.maxImages) {
    problems.push({
      platform,
      field: 'media.images',
      message: `${post.media.images.length} images attached; ${platform} allows at most ${rules.maxImages}.`,
      limit: rules.maxImages,
      count: post.media.images.length,
    });
  }
  return problems;
}

const TYPE_OF_EXTENSION: Record<string, string> = { jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', gif: 'image/gif', webp: 'image/webp' };

/**
 * An image's type as its URL's extension says, when it says one. Only this is checked before
 * sending (fetching every image at creation would make it slow and depend on the image host);
 * the bytes' real type and size are checked when the image is fetched to be sent.
 */
export function typeFromUrl(url: string): string | undefined {
  const path = url.split(/[?#]/, 1)[0]!;
  const ext = /\.([a-z0-9]+)$/i.exec(path)?.[1]?.toLowerCase();
  return ext ? TYPE_OF_EXTENSION[ext] : undefined;
}
