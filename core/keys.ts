import type { EntityKind } from './campaign.ts';

/**
 * Redis key builders: the contract between bidder, API and optimizer. Call sites never build keys
 * by hand. Every key carries the `{outbid}` hash tag for campaign-model keys so multi-key writes
 * (MULTI) stay in one Redis Cluster slot.
 */
export const redisKeys = {
  /** Hash of id → JSON for one entity kind. */
  entities: (prefix: string, kind: EntityKind) => `${prefix}{outbid}:entities:${kind}`,
  /** Integer version bumped on every campaign-model write. */
  version: (prefix: string) => `${prefix}{outbid}:version`,
  /** Pub/sub channel announcing a new version. */
  changes: (prefix: string) => `${prefix}outbid:changes`,
  /**
   * One user profile (JSON segments, with a TTL), by the salted hash of a user id. No `{outbid}`
   * hash tag: profiles are many and independent, and one tag would put them all on one Cluster node.
   */
  profile: (prefix: string, keyHash: string) => `${prefix}outbid:profile:${keyHash}`,
} as const;
