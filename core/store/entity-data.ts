import type { CampaignData, EntityByKind, EntityKind } from '../campaign.ts';

/** The `CampaignData` list that holds each entity kind. */
export const ENTITY_LISTS = {
  advertiser: 'advertisers',
  campaign: 'campaigns',
  lineItem: 'lineItems',
  creative: 'creatives',
  scoreTable: 'scoreTables',
  allocation: 'allocations',
} as const satisfies Record<EntityKind, keyof CampaignData>;

/** Every entity kind, in the order stores read and write them. */
export const ENTITY_KINDS = Object.keys(ENTITY_LISTS) as EntityKind[];

/** The entities of one kind in a data set; a list absent from older data sets (`scoreTables`) is empty. */
export function entitiesOf<K extends EntityKind>(data: CampaignData, kind: K): readonly EntityByKind[K][] {
  return (data[ENTITY_LISTS[kind]] ?? []) as readonly EntityByKind[K][];
}

/** Freezes a value and everything it contains; returns it. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/**
 * A deeply frozen copy of a JSON value. The JSON round trip (rather than structuredClone) makes
 * the embedded store keep exactly what Redis would: `undefined` properties are dropped.
 */
export function frozenCopy<T>(value: T): T {
  return deepFreeze(JSON.parse(JSON.stringify(value)) as T);
}

/** Orders entities by id (UTF-16 code units, locale-independent) so every store lists them alike. */
export function byId(a: { id: string }, b: { id: string }): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
