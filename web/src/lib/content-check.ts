import { checkContent, type ContentProblem, countCharacters, type PostContent } from '../../../src/core/content-rules.ts';
import type { Platform } from '../api/types.ts';

/**
 * The composer's live checks: the same rules the server applies (src/core/content-rules.ts),
 * with each network's limits from GET /v1/platforms, so what the user sees is what the API says.
 */
export { countCharacters };

export interface Counter {
  platform: string;
  count: number;
  limit: number;
}

export function countersFor(text: string, platforms: Platform[]): Counter[] {
  const count = countCharacters(text);
  return platforms.map((p) => ({ platform: p.name, count, limit: p.rules.max_length }));
}

export function problemsFor(post: PostContent, platforms: Platform[]): ContentProblem[] {
  return platforms.flatMap((p) =>
    checkContent(p.name, { maxLength: p.rules.max_length, maxImages: p.rules.max_images, supportsSegments: p.rules.supports_segments }, post),
  );
}

/** Problems the server would also refuse, in the words a person reads. */
export function humanProblem(p: ContentProblem): string {
  const where = p.field === 'content' ? 'The post' : p.field.replace(/^segments\[(\d+)\]\.content$/, (_m, i) => `Reply ${Number(i) + 1}`);
  if (p.limit !== undefined && p.count !== undefined && p.field !== 'media.images') {
    return `${where} is ${p.count - p.limit} characters too long for ${p.platform} (${p.count} of ${p.limit}).`;
  }
  if (p.field === 'media.images') return `${p.platform} takes at most ${p.limit} images; this post has ${p.count}.`;
  if (p.field === 'segments') return `${p.platform} cannot post replies (a thread): remove the replies or that network.`;
  return p.message;
}

export function imageProblems(images: { url: string; alt_text?: string }[]): { errors: string[]; warnings: string[] } {
  const errors: string[] = [];
  const warnings: string[] = [];
  images.forEach((img, i) => {
    const n = i + 1;
    if (img.url.trim() === '') errors.push(`Image ${n} has no address: paste its URL or remove it.`);
    else if (!/^https?:\/\/\S+$/i.test(img.url.trim())) errors.push(`Image ${n}'s address must start with https:// or http://.`);
    if (!img.alt_text?.trim()) warnings.push(`Image ${n} has no alt text: describe it for people who cannot see it.`);
  });
  return { errors, warnings };
}
