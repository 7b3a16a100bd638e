import type { Allocation } from '../core/index.ts';
import type { ArmStats } from './arm-stats.ts';
import type { CampaignInput } from './optimize-campaign.ts';

/** One campaign's statistics for a cycle: rows per period for its budget arms and its creative variants. */
export interface CampaignStats {
  /** Rows keyed by budget arm id (line item id, or `${lineItemId}:${segmentId}`). */
  budget: readonly ArmStats[];
  /** Rows keyed by `variantArmId(groupId, creativeId)`. */
  creatives: readonly ArmStats[];
}

/** The stats window of one cycle, epoch ms, `untilMs` exclusive. */
export interface StatsWindow {
  sinceMs: number;
  untilMs: number;
}

/**
 * Where a cycle's statistics come from (the ClickHouse rollup reader in production). One batched
 * call per cycle, given the campaigns so that it knows each one's arms (line items or segments) and
 * creative groups; a campaign absent from the map has no data. Throwing means the store is down:
 * every campaign then falls back (OPT_STATS_UNAVAILABLE) and the cycle still returns.
 */
export interface StatsReader {
  read(campaigns: readonly CampaignInput[], window: StatsWindow): Promise<ReadonlyMap<string, CampaignStats>>;
}

/** Where an allocation goes (the Redis writer in production); bidders hot-swap to it by `version`. */
export interface AllocationWriter {
  write(allocation: Allocation): Promise<void>;
}

/** The stats key of a creative variant within its group: a creative may serve in several groups. */
export function variantArmId(groupId: string, creativeId: string): string {
  return `${groupId}|${creativeId}`;
}
