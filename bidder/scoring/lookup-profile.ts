import type { ProfileSegments, ProfileStore } from '../../core/index.ts';

/** How a profile lookup ended (the `result` label of outbid_profile_lookups_total). */
export type LookupResult = 'hit' | 'miss' | 'timeout' | 'error';

/**
 * Looks a user up with a hard time limit: a slow or failing profile store costs the bid its user
 * segments, never the bid itself (ARCHITECTURE.md "Failure policy").
 */
export async function lookupProfile(
  store: ProfileStore,
  keys: readonly string[],
  timeoutMs: number,
): Promise<{ profile: ProfileSegments | undefined; result: LookupResult }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), Math.max(0, timeoutMs));
  });
  try {
    const found = await Promise.race([store.get(keys), timeout]);
    if (found === 'timeout') return { profile: undefined, result: 'timeout' };
    return { profile: found, result: found === undefined ? 'miss' : 'hit' };
  } catch {
    return { profile: undefined, result: 'error' };
  } finally {
    clearTimeout(timer);
  }
}
