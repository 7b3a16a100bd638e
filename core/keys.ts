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
  /**
   * Impressions of one user in one frequency-cap scope: a sorted set of impression ids scored by
   * epoch ms, with a TTL of the scope's longest window. The `{userKeyHash}` hash tag puts every
   * scope of one user in one Cluster slot, so one Lua script checks all of a request's scopes.
   */
  frequencyImpressions: (prefix: string, userKeyHash: string, scopeId: string) =>
    `${prefix}outbid:freq:{${userKeyHash}}:imp:${scopeId}`,
  /** Bid-time frequency reservations of one user in one scope: hold ids scored by expiry epoch ms (same slot as the impressions). */
  frequencyHolds: (prefix: string, userKeyHash: string, scopeId: string) =>
    `${prefix}outbid:freq:{${userKeyHash}}:hold:${scopeId}`,
  /**
   * Budget counters of one campaign (hash: `spent`, `spent:<dayKey>`, `seq` of lease ids). A
   * campaign's budget keys share the `{c:<campaignId>}` hash tag, not `{outbid}`: each script stays
   * in one Cluster slot while different campaigns spread over the nodes.
   */
  budget: (prefix: string, campaignId: string) => `${prefix}{c:${campaignId}}:budget`,
  /** Live budget leases of one campaign (hash: `<holder>|<dayKey>` → `amount|expiresAtMs|leaseId`). */
  budgetLeases: (prefix: string, campaignId: string) => `${prefix}{c:${campaignId}}:leases`,
  /** Settlements of a holder's reservations made by another instance, for the holder to collect (list). */
  budgetInbox: (prefix: string, campaignId: string, holder: string) =>
    `${prefix}{c:${campaignId}}:inbox:${holder}`,
  /** Marker of one billed bid (string with a TTL), so a retried billing notice counts once. */
  budgetBilled: (prefix: string, campaignId: string, bidId: string) =>
    `${prefix}{c:${campaignId}}:billed:${bidId}`,
} as const;
