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

/** Counts user-perceived characters (graphemes), the way people and most networks count. */
export function countCharacters(text: string): number {
  let n = 0;
  for (const _ of segmenter.segment(text)) n++;
  return n;
}
const segmenter = new Intl.Segmenter('en', { granularity: 'grapheme' });

export function checkContent(platform: string, rules: PlatformRules, post: PostContent): ContentProblem[] {
  const problems: ContentProblem[] = [];
  const parts = [post.content, ...post.segments.map((s) => s.content)];
  parts.forEach((text, index) => {
    const count = countCharacters(text);
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
