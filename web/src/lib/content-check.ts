import { useSyncExternalStore } from 'react';
import { LINK_PLACEHOLDER, withCrossLink } from '../../../src/core/cross-link.ts';
import type { ContentProblem, PlatformRules, PostContent } from '../../../src/core/content-rules.ts';
import type { Account, AccountRules, Platform, Preset } from '../api/types.ts';
import { handleOf, networkName } from './networks.ts';

/**
 * The composer's live checks: the same rules the server applies (src/core/content-rules.ts),
 * with each selected ACCOUNT's limits (a Mastodon instance sets its own; X weighs characters),
 * so what the user sees is what the API says.
 *
 * content-rules.ts brings twitter-text (X's weighted count, ~35 kB gzipped): it is loaded on
 * demand, when a page first counts, so the first page's JavaScript stays small.
 */
type RulesModule = typeof import('../../../src/core/content-rules.ts');

let rules: RulesModule | null = null;
let loading: Promise<RulesModule> | null = null;
const listeners = new Set<() => void>();

export function loadContentRules(): Promise<RulesModule> {
  loading ??= import('../../../src/core/content-rules.ts').then(
    (m) => {
      rules = m;
      listeners.forEach((l) => l());
      return m;
    },
    (err: unknown) => {
      loading = null; // try again next time (a flaky connection)
      throw err;
    },
  );
  return loading;
}

/** The content rules once loaded (null for the first moment); starts loading them. */
export function useContentRules(): RulesModule | null {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      loadContentRules().catch(() => {});
      return () => listeners.delete(listener);
    },
    () => rules,
  );
}

/** The cross-link a preset adds after the text on every network but its primary one. */
export interface CrossLink {
  template: string;
  primaryPlatform: string;
}

/** One counter: the selected accounts that count the same way (same network, same limits). */
export interface CountTarget {
  key: string;
  /** "Mastodon", or "Mastodon @me@mastodon.social" when two instances count differently. */
  label: string;
  rules: AccountRules;
  /** The post's text carries the primary network's link (a cross-posting preset). */
  crossLink: CrossLink | null;
}

const DEFAULT_TEMPLATE = 'Also on {platform}: {link}';

/** The cross-link of the preset the post is sent with, as the server applies it (post-targets.ts). */
export function crossLinkOf(preset: Preset | undefined, selected: Account[]): { link: CrossLink; primaryId: string } | null {
  if (!preset?.cross_link_enabled || !preset.primary_platform || selected.length < 2) return null;
  const primary = selected.find((a) => a.platform === preset.primary_platform);
  if (!primary) return null;
  return { link: { template: preset.cross_link_template ?? DEFAULT_TEMPLATE, primaryPlatform: primary.platform }, primaryId: primary.id };
}

/** Groups the selected accounts by how they count, as the server checks them (post.service.ts). */
export function countTargets(selected: Account[], platforms: Platform[], crossLink: { link: CrossLink; primaryId: string } | null = null): CountTarget[] {
  const groups = new Map<string, { accounts: Account[]; platform: string; rules: AccountRules; crossLink: CrossLink | null }>();
  for (const account of selected) {
    const fallback = platforms.find((p) => p.name === account.platform)?.rules;
    const r = account.rules ?? (fallback && { ...fallback, counting: fallback.counting ?? 'graphemes', url_length: fallback.url_length ?? null });
    if (!r) continue;
    const link = crossLink && crossLink.primaryId !== account.id ? crossLink.link : null;
    const key = `${account.platform}|${r.max_length}|${r.max_images}|${r.supports_segments}|${r.counting}|${r.url_length}|${link ? 'linked' : ''}`;
    const group = groups.get(key);
    if (group) group.accounts.push(account);
    else groups.set(key, { accounts: [account], platform: account.platform, rules: r, crossLink: link });
  }
  const perPlatform = new Map<string, number>();
  for (const g of groups.values()) perPlatform.set(g.platform, (perPlatform.get(g.platform) ?? 0) + 1);
  return [...groups.entries()].map(([key, g]) => {
    const name = networkName(g.platform);
    // Two groups of one network: say whose limit each is (its first account's handle).
    const who = perPlatform.get(g.platform)! > 1 && !g.crossLink ? ` ${handleOf(g.accounts[0]!)}${g.accounts.length > 1 ? ` +${g.accounts.length - 1}` : ''}` : '';
    return { key, label: `${name}${who}`, rules: g.rules, crossLink: g.crossLink };
  });
}

const toRules = (r: AccountRules): PlatformRules => ({
  maxLength: r.max_length,
  maxImages: r.max_images,
  supportsSegments: r.supports_segments,
  counting: r.counting,
  ...(r.url_length !== null && r.url_length !== undefined && { urlLength: r.url_length }),
});

/** The text as it goes out to this target: with the cross-link (its link not known yet) when it carries one. */
const asSent = (t: CountTarget, text: string) => (t.crossLink ? withCrossLink(text, t.crossLink.template, t.crossLink.primaryPlatform, LINK_PLACEHOLDER) : text);

export interface Counter {
  key: string;
  label: string;
  count: number;
  limit: number;
  withLink: boolean;
}

/** The count of `text` for each target; `main`: the post itself (a cross-link is added to it, not to replies). */
export function countersFor(mod: RulesModule, text: string, targets: CountTarget[], main: boolean): Counter[] {
  return targets.map((t) => {
    const withLink = main && t.crossLink !== null;
    return { key: t.key, label: t.label, count: mod.countFor(toRules(t.rules), withLink ? asSent(t, text) : text), limit: t.rules.max_length, withLink };
  });
}

export function problemsFor(mod: RulesModule | null, post: PostContent, targets: CountTarget[]): ContentProblem[] {
  if (!mod) return []; // for the first moment: the server checks again anyway
  return targets.flatMap((t) =>
    mod.checkContent(t.crossLink ? `${t.label} (with the cross-link)` : t.label, toRules(t.rules), { ...post, content: asSent(t, post.content) }),
  );
}

/** Problems the server would also refuse, in the words a person reads. */
export function humanProblem(p: ContentProblem): string {
  const where = p.field === 'content' ? 'The post' : p.field.replace(/^segments\[(\d+)\]\.content$/, (_m, i) => `Reply ${Number(i) + 1}`);
  if (p.limit !== undefined && p.count !== undefined && p.field !== 'media.images' && !p.field.startsWith('media.')) {
    return `${where} is ${(p.count - p.limit).toLocaleString()} characters too long for ${p.platform} (${p.count.toLocaleString()} of ${p.limit.toLocaleString()}).`;
  }
  if (p.field === 'media.images') return `${p.platform} takes at most ${p.limit} images; this post has ${p.count}.`;
  if (p.field === 'segments') return `${p.platform} cannot post replies (a thread): remove the replies or that network.`;
  const alt = /^media\.images\[(\d+)\]\.alt_text$/.exec(p.field);
  if (alt && p.limit !== undefined) return `Image ${Number(alt[1]) + 1}'s alt text is too long for ${p.platform} (${p.count} of ${p.limit} characters).`;
  return p.message;
}

/**
 * The server's refusal of the content (422 with details.field, platform, limit and count), in
 * the same words as the live checks: shown under the field at fault.
 */
export function serverContentProblem(details: Record<string, unknown>, message: string): { field: string; text: string } | null {
  const field = typeof details.field === 'string' ? details.field : null;
  if (!field || !(field === 'content' || /^segments(\[|$)/.test(field) || field.startsWith('media.'))) return null;
  const platform = typeof details.platform === 'string' ? networkName(details.platform) : null;
  if (platform === null) return { field, text: message };
  const limit = typeof details.limit === 'number' ? details.limit : undefined;
  const count = typeof details.count === 'number' ? details.count : undefined;
  return { field, text: humanProblem({ platform, field, message, ...(limit !== undefined && { limit }), ...(count !== undefined && { count }) }) };
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
