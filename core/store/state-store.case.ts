import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CampaignData, EntityByKind, EntityKind } from '../campaign.ts';
import { entityProblems } from '../validate-campaign-data.ts';
import { ENTITY_KINDS, ENTITY_LISTS } from './entity-data.ts';
import type { StateStore } from './state-store.ts';

/** How a state-store implementation is plugged into the contract suite. */
export interface StateStoreContractOptions {
  /**
   * True when two instances can be open on one backing at once and hear each other's writes
   * through subscribe() (Redis); false when the backing passes from one instance to the next
   * through close() (a snapshot file).
   */
  concurrentInstances: boolean;
  /** Runs after each test, once the suite has closed every store it opened. */
  cleanup?: () => Promise<void>;
}

const SAMPLES: { [K in EntityKind]: (id: string, name: string) => EntityByKind[K] } = {
  advertiser: (id, name) => ({ id, name, domain: 'acme.example', status: 'active' }),
  campaign: (id, name) => ({
    id,
    advertiserId: 'adv-1',
    name,
    status: 'active',
    startAt: '2025-01-01T00:00:00Z',
    endAt: '2025-12-31T23:59:59Z',
    timeZone: 'Europe/Paris',
    totalBudgetMicros: 1_000_000_000,
    dailyBudgetMicros: 50_000_000,
    pacing: 'even',
    goal: { type: 'clicks', targetMicros: 400_000 },
    frequencyCaps: [{ max: 3, windowSec: 86_400 }],
  }),
  lineItem: (id, name) => ({
    id,
    campaignId: 'cmp-1',
    name,
    status: 'paused',
    targeting: {
      countries: ['FRA', 'DEU'],
      domains: { block: ['bad.example'] },
      dayParts: [{ days: [1, 2, 3], startHour: 8, endHour: 20 }],
    },
    bidStrategy: { type: 'max', targetCpmMicros: 1_500_000 },
    maxCpmMicros: 3_000_000,
    creativeIds: ['cr-1', 'cr-2'],
  }),
  creative: (id, name) => ({
    id,
    advertiserId: 'adv-1',
    name,
    format: 'banner',
    w: 300,
    h: 250,
    markup: '<a href="{{CLICK_URL}}"><img src="https://cdn.acme.example/a.png"></a>',
    adomain: ['acme.example'],
    categories: ['IAB1'],
    attributes: [],
    landingUrl: 'https://acme.example/spring',
  }),
  scoreTable: (id, name) => ({
    id,
    lineItemId: `li-of-${name.replaceAll(' ', '-')}`,
    version: 3,
    ctr: {
      bias: -4.2,
      segments: { 'dp1:auto-intender': 0.8, 'eid:liveramp.com': 0.1 },
      context: { deviceType: { '4': 0.2 }, inventoryType: { app: -0.3 }, hour: { '20': 0.15 } },
    },
    cvr: { bias: -3, segments: { 'crm:income': 0.01 }, segmentValues: 'numeric' },
  }),
  allocation: (id, name) => ({
    id,
    version: 7,
    createdAtMs: 1_735_689_600_000,
    campaigns: {
      'cmp-1': {
        campaignId: 'cmp-1',
        dailyBudgetMicros: 50_000_000,
        reason: 'normal',
        note: name,
        budgetArms: [{ armId: 'li-1', lineItemId: 'li-1', share: 1, dailyBudgetMicros: 50_000_000 }],
        creativeGroups: [{ groupId: 'li-1', variants: [{ creativeId: 'cr-1', weight: 1 }] }],
      },
    },
  }),
};

function sample<K extends EntityKind>(kind: K, id: string, name = `${kind} ${id}`): EntityByKind[K] {
  return SAMPLES[kind](id, name);
}

const EMPTY: CampaignData = {
  advertisers: [],
  campaigns: [],
  lineItems: [],
  creatives: [],
  scoreTables: [],
  allocations: [],
};

/** One entity of every kind, ids in each list already sorted as load() returns them. */
function dataSet(tag: string): CampaignData {
  return {
    advertisers: [sample('advertiser', `${tag}-a1`), sample('advertiser', `${tag}-a2`)],
    campaigns: [sample('campaign', `${tag}-c1`)],
    lineItems: [sample('lineItem', `${tag}-l1`), sample('lineItem', `${tag}-l2`)],
    creatives: [sample('creative', `${tag}-k1`)],
    scoreTables: [sample('scoreTable', `${tag}-s1`)],
    allocations: [sample('allocation', `${tag}-current`)],
  };
}

/** Data of one kind only, the other lists empty. */
function only<K extends EntityKind>(kind: K, entities: EntityByKind[K][]): CampaignData {
  return { ...EMPTY, [ENTITY_LISTS[kind]]: entities };
}

/** Runs `mutate` and swallows the TypeError a frozen object throws: either outcome is allowed. */
function tryMutate(mutate: () => void): void {
  try {
    mutate();
  } catch (err) {
    expect(err).toBeInstanceOf(TypeError);
  }
}

/**
 * The contract every `StateStore` implementation passes. `open(backing)` opens a store on the
 * named backing (a snapshot file, a Redis key prefix): the same name reaches the same data, a new
 * name an empty store. Names are unique per test; the suite closes every store it opens.
 */
export function stateStoreContract(
  name: string,
  open: (backing: string) => Promise<StateStore>,
  options: StateStoreContractOptions,
): void {
  describe(`${name} (StateStore contract)`, () => {
    let backings = 0;
    const opened: StateStore[] = [];
    const newBacking = () => {
      backings += 1;
      return `backing-${backings}`;
    };
    const openStore = async (backing: string = newBacking()) => {
      const store = await open(backing);
      opened.push(store);
      await store.ready();
      return store;
    };

    afterEach(async () => {
      await Promise.all(opened.splice(0).map((store) => store.close()));
      await options.cleanup?.();
    });

    it('an empty store is at version 0 with no data', async () => {
      const store = await openStore();
      expect(await store.version()).toBe(0);
      expect(await store.load()).toEqual({ version: 0, data: EMPTY });
      expect(await store.get('advertiser', 'nope')).toBeUndefined();
    });

    it.each(ENTITY_KINDS)('put, get and delete round-trip a %s', async (kind) => {
      const store = await openStore();
      const entity = sample(kind, 'e1');
      expect(entityProblems(kind, entity)).toEqual([]);
      const v1 = await store.put(kind, entity);
      expect(v1).toBeGreaterThan(0);
      expect(await store.get(kind, 'e1')).toEqual(entity);
      expect(await store.load()).toEqual({ version: v1, data: only(kind, [entity]) });
      for (const other of ENTITY_KINDS.filter((k) => k !== kind)) {
        expect(await store.get(other, 'e1')).toBeUndefined();
      }
      const v2 = await store.delete(kind, 'e1');
      expect(v2).toBeGreaterThan(v1);
      expect(await store.get(kind, 'e1')).toBeUndefined();
      expect(await store.load()).toEqual({ version: v2, data: EMPTY });
    });

    it('put replaces the entity with the same id', async () => {
      const store = await openStore();
      await store.put('campaign', sample('campaign', 'c1', 'Before'));
      const v = await store.put('campaign', sample('campaign', 'c1', 'After'));
      expect(await store.get('campaign', 'c1')).toEqual(sample('campaign', 'c1', 'After'));
      expect(await store.load()).toEqual({
        version: v,
        data: only('campaign', [sample('campaign', 'c1', 'After')]),
      });
    });

    it('ids are scoped to their kind', async () => {
      const store = await openStore();
      await store.put('advertiser', sample('advertiser', 'x'));
      await store.put('creative', sample('creative', 'x'));
      await store.delete('advertiser', 'x');
      expect(await store.get('advertiser', 'x')).toBeUndefined();
      expect(await store.get('creative', 'x')).toEqual(sample('creative', 'x'));
    });

    it('load lists each kind sorted by id', async () => {
      const store = await openStore();
      for (const id of ['li-c', 'li-a', 'li-b']) await store.put('lineItem', sample('lineItem', id));
      const { data } = await store.load();
      expect(data.lineItems.map((li) => li.id)).toEqual(['li-a', 'li-b', 'li-c']);
    });

    it('versions strictly increase with every write and version() and load() agree', async () => {
      const store = await openStore();
      const versions = [
        await store.put('advertiser', sample('advertiser', 'a1')),
        await store.put('advertiser', sample('advertiser', 'a2')),
        await store.delete('advertiser', 'a1'),
        await store.replaceAll(dataSet('r')),
        await store.put('creative', sample('creative', 'k9')),
        await store.replaceAll(EMPTY),
      ];
      const increasing = versions.every((v, i) => v > (i === 0 ? 0 : versions[i - 1]!));
      expect(increasing, `versions ${versions.join(', ')}`).toBe(true);
      const last = versions[versions.length - 1];
      expect(await store.version()).toBe(last);
      expect((await store.load()).version).toBe(last);
    });

    it('deleting a missing id leaves the version unchanged', async () => {
      const store = await openStore();
      expect(await store.delete('lineItem', 'missing')).toBe(0);
      const v = await store.put('lineItem', sample('lineItem', 'l1'));
      expect(await store.delete('lineItem', 'missing')).toBe(v);
      expect(await store.delete('campaign', 'l1')).toBe(v);
      expect(await store.version()).toBe(v);
    });

    it('replaceAll replaces everything', async () => {
      const store = await openStore();
      for (const kind of ENTITY_KINDS) await store.put(kind, sample(kind, 'old'));
      const before = await store.version();
      const v1 = await store.replaceAll(dataSet('new'));
      expect(v1).toBeGreaterThan(before);
      expect(await store.load()).toEqual({ version: v1, data: dataSet('new') });
      for (const kind of ENTITY_KINDS) expect(await store.get(kind, 'old')).toBeUndefined();
      expect(await store.get('lineItem', 'new-l2')).toEqual(sample('lineItem', 'new-l2'));
      const v2 = await store.replaceAll(EMPTY);
      expect(v2).toBeGreaterThan(v1);
      expect(await store.load()).toEqual({ version: v2, data: EMPTY });
    });

    it('replaceAll takes a data set written before score tables existed as having none', async () => {
      const store = await openStore();
      await store.put('scoreTable', sample('scoreTable', 'old'));
      const { scoreTables: _, ...legacy } = dataSet('legacy');
      const v = await store.replaceAll(legacy);
      expect(await store.load()).toEqual({ version: v, data: { ...dataSet('legacy'), scoreTables: [] } });
    });

    it('callers cannot change stored entities through the objects they pass or get back', async () => {
      const store = await openStore();
      const passed = sample('lineItem', 'l1', 'Original');
      await store.put('lineItem', passed);
      passed.name = 'changed after put';
      passed.creativeIds.push('cr-9');
      expect(await store.get('lineItem', 'l1')).toEqual(sample('lineItem', 'l1', 'Original'));

      const got = (await store.get('lineItem', 'l1')) as EntityByKind['lineItem'];
      tryMutate(() => {
        got.name = 'changed after get';
      });
      tryMutate(() => {
        got.creativeIds.push('cr-9');
      });
      expect(await store.get('lineItem', 'l1')).toEqual(sample('lineItem', 'l1', 'Original'));

      const seed = dataSet('s');
      await store.replaceAll(seed);
      (seed.advertisers as EntityByKind['advertiser'][]).pop();
      (seed.campaigns[0] as EntityByKind['campaign']).name = 'changed after replaceAll';
      const loaded = await store.load();
      tryMutate(() => {
        (loaded.data.advertisers[0] as EntityByKind['advertiser']).name = 'changed after load';
      });
      tryMutate(() => {
        (loaded.data.campaigns as EntityByKind['campaign'][]).length = 0;
      });
      expect(await store.load()).toEqual({ version: loaded.version, data: dataSet('s') });
    });

    it('subscribers hear every write once, with its new version', async () => {
      const store = await openStore();
      const seen: number[] = [];
      store.subscribe((v) => seen.push(v));
      const expected = [
        await store.put('advertiser', sample('advertiser', 'a1')),
        await store.put('campaign', sample('campaign', 'c1')),
        await store.delete('advertiser', 'a1'),
        await store.replaceAll(dataSet('r')),
      ];
      await store.delete('advertiser', 'missing');
      expected.push(await store.put('creative', sample('creative', 'k1')));
      await vi.waitFor(() => expect(seen).toEqual(expected));
    });

    it('unsubscribe stops notifications to that listener only', async () => {
      const store = await openStore();
      const first: number[] = [];
      const second: number[] = [];
      const unsubscribeFirst = store.subscribe((v) => first.push(v));
      store.subscribe((v) => second.push(v));
      const v1 = await store.put('advertiser', sample('advertiser', 'a1'));
      await vi.waitFor(() => expect(second).toEqual([v1]));
      expect(first).toEqual([v1]);
      unsubscribeFirst();
      const v2 = await store.put('advertiser', sample('advertiser', 'a2'));
      // The second listener is the barrier: once it has v2, the first would have had it too.
      await vi.waitFor(() => expect(second).toEqual([v1, v2]));
      expect(first).toEqual([v1]);
    });

    it('a store reopened on the same backing sees the data and version', async () => {
      const backing = newBacking();
      const first = await openStore(backing);
      await first.replaceAll(dataSet('p'));
      await first.put('creative', sample('creative', 'p-k0'));
      const v = await first.delete('lineItem', 'p-l2');
      const expected = await first.load();
      await first.close();
      const second = await openStore(backing);
      expect(await second.version()).toBe(v);
      expect(await second.load()).toEqual(expected);
      expect(await second.put('advertiser', sample('advertiser', 'p-a3'))).toBeGreaterThan(v);
    });

    it.runIf(options.concurrentInstances)(
      'a second instance on the same backing hears and sees the first one’s writes',
      async () => {
        const backing = newBacking();
        const writer = await openStore(backing);
        const reader = await openStore(backing);
        const seen: number[] = [];
        reader.subscribe((v) => seen.push(v));
        // ready() also waits for the subscription, so the next write cannot be missed.
        await reader.ready();
        const v1 = await writer.put('lineItem', sample('lineItem', 'l1'));
        await vi.waitFor(() => expect(seen).toEqual([v1]));
        expect(await reader.get('lineItem', 'l1')).toEqual(sample('lineItem', 'l1'));
        const v2 = await writer.replaceAll(dataSet('w'));
        const v3 = await writer.delete('campaign', 'w-c1');
        await vi.waitFor(() => expect(seen).toEqual([v1, v2, v3]));
        expect(await reader.load()).toEqual({ version: v3, data: { ...dataSet('w'), campaigns: [] } });
        const v4 = await reader.put('advertiser', sample('advertiser', 'from-reader'));
        expect(v4).toBeGreaterThan(v3);
        expect(await writer.get('advertiser', 'from-reader')).toEqual(sample('advertiser', 'from-reader'));
      },
    );
  });
}
