import type { CampaignData, EntityByKind, EntityKind } from '../campaign.ts';

/**
 * Live state shared by bidders, the API and the optimizer. Two implementations pass one contract
 * suite (`state-store.case.ts`): the embedded in-process store (snapshotted to `DATA_DIR`) and
 * Redis. Writes bump a monotonically increasing version; subscribers are told after each write
 * (from any process, for Redis) so bidders can rebuild their targeting index.
 */
export interface StateStore {
  /** Every entity, with the version it was read at; each list sorted by id. Entities are frozen: share, never mutate. */
  load(): Promise<{ version: number; data: CampaignData }>;
  /** One entity by id (frozen), or undefined. */
  get<K extends EntityKind>(kind: K, id: string): Promise<EntityByKind[K] | undefined>;
  /** Creates or replaces an entity; returns the new version. Values are validated by the caller. */
  put<K extends EntityKind>(kind: K, entity: EntityByKind[K]): Promise<number>;
  /** Deletes an entity; returns the new version (unchanged when it did not exist). */
  delete(kind: EntityKind, id: string): Promise<number>;
  /** Replaces everything at once (used to seed); returns the new version. */
  replaceAll(data: CampaignData): Promise<number>;
  /** The current version (0 for an empty, never-written store). */
  version(): Promise<number>;
  /**
   * Calls `listener` (asynchronously) with the new version after every write, from this or another
   * process. Versions only increase and each is delivered once; one that arrives after a newer one is
   * dropped, and load() then returns the newer state anyway. Returns an unsubscribe function.
   */
  subscribe(listener: (version: number) => void): () => void;
  /** Resolves when the store can serve (connected, snapshot loaded) and, if anyone subscribed, the subscription is live. */
  ready(): Promise<void>;
  /** Persists what needs persisting and releases connections. */
  close(): Promise<void>;
}
