import type { Allocation, StateStore } from '../../core/index.ts';
import type { AllocationWriter } from '../ports.ts';

/** The id of the one allocation entity in the state store. */
export const ALLOCATION_ID = 'current';

/**
 * Writes allocations to the state store (Redis, or the embedded store) as the `allocation` entity
 * `current`: one write, so every bidder swaps to the whole new version at once when the store
 * announces it, within its change-notification latency and without a restart.
 */
export function stateStoreAllocationWriter(store: StateStore): AllocationWriter {
  return {
    async write(allocation: Allocation): Promise<void> {
      await store.put('allocation', { id: ALLOCATION_ID, ...allocation });
    },
  };
}

/** The allocation bidders serve now: the highest version in the store, if any. */
export function currentAllocation(data: {
  allocations?: readonly (Allocation & { id: string })[];
}): Allocation | undefined {
  let best: (Allocation & { id: string }) | undefined;
  for (const a of data.allocations ?? []) if (best === undefined || a.version > best.version) best = a;
  if (best === undefined) return undefined;
  const { id: _, ...allocation } = best;
  return allocation;
}
