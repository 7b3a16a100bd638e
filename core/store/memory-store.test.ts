import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { rejection as rejectionOf } from '../../tests/support/rejection.ts';
import type { Advertiser, CampaignData } from '../campaign.ts';
import type { StoreError } from './errors.ts';
import { MemoryStateStore, type MemoryStateStoreOptions } from './memory-store.ts';
import { stateStoreContract } from './state-store.case.ts';

const rejection = (p: Promise<unknown>) => rejectionOf<StoreError>(p);

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'outbid-memory-store-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

stateStoreContract(
  'MemoryStateStore',
  async (backing) => new MemoryStateStore({ snapshotPath: join(root, 'contract', `${backing}.json`) }),
  { concurrentInstances: false },
);

const advertiser = (id: string, name = 'Acme'): Advertiser => ({
  id,
  name,
  domain: 'acme.example',
  status: 'active',
});

const data = (...advertisers: Advertiser[]): CampaignData => ({
  advertisers,
  campaigns: [],
  lineItems: [],
  creatives: [],
  scoreTables: [],
  allocations: [],
});

describe('MemoryStateStore', () => {
  let testNo = 0;
  /** A directory of its own for each test, not created yet. */
  let dir: string;
  let path: string;
  const stores: MemoryStateStore[] = [];
  const openStore = (options: MemoryStateStoreOptions = {}) => {
    const store = new MemoryStateStore({ snapshotPath: path, ...options });
    stores.push(store);
    return store;
  };

  beforeEach(() => {
    testNo += 1;
    dir = join(root, `test-${testNo}`);
    path = join(dir, 'state.json');
  });
  afterEach(async () => {
    vi.useRealTimers();
    await Promise.all(stores.splice(0).map((s) => s.close().catch(() => undefined)));
  });

  it('survives close and reopen, in the documented file format', async () => {
    const store = openStore();
    await store.replaceAll(data(advertiser('a2'), advertiser('a1')));
    await store.put('advertiser', advertiser('a3', 'Third'));
    await store.close();
    const expected = data(advertiser('a1'), advertiser('a2'), advertiser('a3', 'Third'));
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({
      formatVersion: 1,
      version: 2,
      data: expected,
    });
    const reopened = openStore();
    expect(await reopened.load()).toEqual({ version: 2, data: expected });
  });

  it('writes the snapshot once the debounce delay after the first unsaved write has passed', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const store = openStore({ snapshotDebounceMs: 1000 });
    await store.put('advertiser', advertiser('a1'));
    await vi.advanceTimersByTimeAsync(999);
    await store.put('advertiser', advertiser('a2'));
    expect(await readdir(root)).not.toContain(`test-${testNo}`);
    await vi.advanceTimersByTimeAsync(1);
    await vi.waitFor(async () =>
      expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({
        formatVersion: 1,
        version: 2,
        data: data(advertiser('a1'), advertiser('a2')),
      }),
    );
  });

  it('leaves no temporary file behind', async () => {
    const store = openStore({ snapshotDebounceMs: 0 });
    for (let i = 0; i < 5; i++) {
      await store.put('advertiser', advertiser(`a${i}`));
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await store.close();
    expect(await readdir(dir)).toEqual(['state.json']);
    expect(JSON.parse(await readFile(path, 'utf8')).version).toBe(5);
  });

  it('close() writes a snapshot still waiting for its debounce delay', async () => {
    const store = openStore({ snapshotDebounceMs: 60_000 });
    await store.put('advertiser', advertiser('a1'));
    await store.close();
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({
      formatVersion: 1,
      version: 1,
      data: data(advertiser('a1')),
    });
  });

  it.each([
    ['truncated JSON', '{"formatVersion":1,"version":3,"data":{"advertisers":[', 'not valid JSON'],
    [
      'an unknown format version',
      JSON.stringify({ formatVersion: 2, version: 1, data: data() }),
      'formatVersion is 2',
    ],
    ['a negative version', JSON.stringify({ formatVersion: 1, version: -1, data: data() }), 'version is -1'],
    [
      'a missing list',
      JSON.stringify({ formatVersion: 1, version: 1, data: { advertisers: [] } }),
      'data.campaigns is not an array',
    ],
    [
      'an invalid entity',
      JSON.stringify({ formatVersion: 1, version: 1, data: data({ id: 'a1', name: 'Acme' } as Advertiser) }),
      'data.advertisers[0] advertiser',
    ],
    [
      'a duplicate id',
      JSON.stringify({ formatVersion: 1, version: 1, data: data(advertiser('a1'), advertiser('a1')) }),
      'duplicate advertiser id a1',
    ],
  ])(
    'a snapshot with %s fails ready() naming the file and the problem, and is left untouched',
    async (_, content, problem) => {
      await mkdir(dir, { recursive: true });
      await writeFile(path, content);
      const store = openStore({ snapshotDebounceMs: 0 });
      const err = await rejection(store.ready());
      expect(err.code).toBe('STORE_SNAPSHOT_INVALID');
      expect(err.message).toContain(path);
      expect(err.message).toContain(problem);
      // Writing would replace the file the operator has to repair: every call must refuse.
      expect((await rejection(store.put('advertiser', advertiser('a1')))).code).toBe(
        'STORE_SNAPSHOT_INVALID',
      );
      await store.close();
      expect(await readFile(path, 'utf8')).toBe(content);
    },
  );

  it('loads a format-1 snapshot written before score tables existed', async () => {
    await mkdir(dir, { recursive: true });
    const { scoreTables: _, allocations: __, ...legacy } = data(advertiser('a1'));
    await writeFile(path, JSON.stringify({ formatVersion: 1, version: 4, data: legacy }));
    const store = openStore();
    expect(await store.load()).toEqual({ version: 4, data: data(advertiser('a1')) });
  });

  it('a snapshot path that cannot be read fails ready() with STORE_SNAPSHOT_UNREADABLE', async () => {
    await mkdir(path, { recursive: true });
    const err = await rejection(openStore().ready());
    expect(err.code).toBe('STORE_SNAPSHOT_UNREADABLE');
    expect(err.message).toContain(path);
  });

  it('reports a failed background snapshot, keeps serving, and retries on the next flush', async () => {
    const errors: StoreError[] = [];
    const store = openStore({ snapshotDebounceMs: 0, onError: (err) => errors.push(err) });
    await store.ready();
    // A file where the snapshot directory should be makes the write fail.
    await writeFile(dir, 'in the way');
    await store.put('advertiser', advertiser('a1'));
    await vi.waitFor(() => expect(errors.map((e) => e.code)).toEqual(['STORE_SNAPSHOT_WRITE_FAILED']));
    expect(errors[0]?.message).toContain(path);
    expect(await store.get('advertiser', 'a1')).toEqual(advertiser('a1'));
    await rm(dir);
    await store.close();
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({
      formatVersion: 1,
      version: 1,
      data: data(advertiser('a1')),
    });
  });

  it('close() rejects when the last snapshot cannot be written', async () => {
    const store = openStore({ snapshotDebounceMs: 60_000 });
    await store.ready();
    await writeFile(dir, 'in the way');
    await store.put('advertiser', advertiser('a1'));
    const err = await rejection(store.close());
    expect(err.code).toBe('STORE_SNAPSHOT_WRITE_FAILED');
    expect(err.message).toContain(path);
  });

  it('a throwing subscriber is reported and the others still hear the write', async () => {
    const errors: StoreError[] = [];
    const store = openStore({ onError: (err) => errors.push(err) });
    const seen: number[] = [];
    store.subscribe(() => {
      throw new Error('listener bug');
    });
    store.subscribe((v) => seen.push(v));
    const v = await store.put('advertiser', advertiser('a1'));
    await vi.waitFor(() => expect(seen).toEqual([v]));
    expect(errors.map((e) => [e.code, (e.cause as Error).message])).toEqual([
      ['STORE_LISTENER_FAILED', 'listener bug'],
    ]);
  });

  it('without a snapshot path it keeps data in memory only', async () => {
    const store = new MemoryStateStore();
    stores.push(store);
    await store.put('advertiser', advertiser('a1'));
    expect(await store.load()).toEqual({ version: 1, data: data(advertiser('a1')) });
    await store.close();
    const another = new MemoryStateStore();
    stores.push(another);
    expect(await another.load()).toEqual({ version: 0, data: data() });
  });

  it('rejects calls after close() with STORE_CLOSED', async () => {
    const store = openStore();
    await store.close();
    expect((await rejection(store.load())).code).toBe('STORE_CLOSED');
    expect((await rejection(store.put('advertiser', advertiser('a1')))).code).toBe('STORE_CLOSED');
  });
});
