/**
 * Why a delivery whose outcome is unknown waits for a person, for accounts that do not deduplicate.
 * Not "X cannot...": a webhook may or may not, depending on how its account was connected.
 */
export const NOT_REPEATED = 'Sending it again could post it twice on this account, so Octopost will not do it by itself: check the account, then retry or leave it.';

/** The message of a delivery left `unknown`: what happened, why it is not repeated (`note`), what to do. */
export function unknownMessage(what: string, note?: string): string {
  return [what, note, NOT_REPEATED].filter(Boolean).join(' ');
}
