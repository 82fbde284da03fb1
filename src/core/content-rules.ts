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
  /** Characters (Unicode code points) allowed in one post or segment. */
  maxLength: number;
  maxImages: number;
  supportsSegments: boolean;
}

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
    // A text no longer in UTF-16 units than the limit cannot have more graphemes: skip counting.
    const count = text.length <= rules.maxLength ? 0 : countCharacters(text);
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
  });
  if (post.segments.length > 0 && !rules.supportsSegments) {
    problems.push({ platform, field: 'segments', message: `${platform} does not support threads (segments).` });
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
