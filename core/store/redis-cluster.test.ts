import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { profiles } from '../../bin/profiles.ts';
import { ConfigError, loadConfig } from '../../config/load-config.ts';
import { type RedisCluster, startRedisCluster } from '../../tests/setup/redis-cluster.ts';
import { freePort } from '../../tests/setup/services.ts';
import { rejection as rejectionOf } from '../../tests/support/rejection.ts';
import type { Advertiser } from '../campaign.ts';
import { RedisBudgetStore } from './budget-redis-store.ts';
import { budgetStoreContract } from './budget-store.case.ts';
import type { StoreError } from './errors.ts';
import { RedisFrequencyStore } from './frequency-redis-store.ts';
import { frequencyStoreContract } from './frequency-store.case.ts';
import { profileStoreContract } from './profile-store.case.ts';
import { profileKeyHash } from './profile-store.ts';
import { RedisProfileStore } from './redis-profile-store.ts';
import { RedisStateStore } from './redis-store.ts';
import { stateStoreContract } from './state-store.case.ts';

/**
 * Every Redis-backed store on a real 3-master Redis Cluster (REDIS_CLUSTER=true): the four
 * contract suites, plus proof that keys of different campaigns and users spread over the nodes
 * while each multi-key script stays in one slot, and that a dead node fails fast.
 */

const rejection = (p: Promise<unknown>) => rejectionOf<StoreError>(p);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let cluster: RedisCluster;
beforeAll(async () => {
  // Logs its start time: 2.1–7.2 s over 9 runs, of which PING answers took 40–160 ms and the rest
  // was redis-cli --cluster create (it polls the join once a second); cluster_state:ok followed within 30 ms.
  cluster = await startRedisCluster({ masters: 3 });
}, 60_000);
afterAll(async () => {
  await cluster?.stop();
});

// The cluster belongs to this file; prefixes still keep each store's keys apart.
let prefixes = 0;
const newPrefix = () => {
  prefixes += 1;
  return `t${prefixes}:`;
};
const opts = () => ({ url: cluster.url, cluster: true, prefix: newPrefix() });
const realWait = async (ms: number) => {
  await sleep(ms);
};

stateStoreContract(
  'RedisStateStore on Redis Cluster',
  async (backing) => {
    return new RedisStateStore({ url: cluster.url, cluster: true, prefix: `state:${backing}:` });
  },
  {
    concurrentInstances: true,
  },
);
profileStoreContract('RedisProfileStore on Redis Cluster', async () => ({
  store: new RedisProfileStore(opts()),
  advance: realWait,
}));
budgetStoreContract('RedisBudgetStore on Redis Cluster', async () => ({
  store: new RedisBudgetStore(opts()),
  advance: realWait,
}));
frequencyStoreContract('RedisFrequencyStore on Redis Cluster', async () => new RedisFrequencyStore(opts()));

/** Each node's keys under `prefix`, asked of the node itself (KEYS on a cluster node lists only its own). */
async function keysByNode(prefix: string): Promise<string[][]> {
  return Promise.all(
    cluster.nodes.map(async ({ port }) => {
      const node = new Redis({ host: '127.0.0.1', port, lazyConnect: true });
      try {
        return (await node.keys(`${prefix}*`)).sort();
      } finally {
        node.disconnect();
      }
    }),
  );
}

const limits = { totalMicros: 1_000_000, dailyMicros: 1_000_000, dayKey: '2025-03-01' };
const CAMPAIGNS = Array.from({ length: 12 }, (_, i) => `cmp-${i}`);
const USERS = Array.from({ length: 12 }, (_, i) => `user-${i}`);
const advertiser = (id: string): Advertiser => ({
  id,
  name: 'Acme',
  domain: 'acme.example',
  status: 'active',
});

describe('Redis Cluster key placement', () => {
  const stores: { close(): Promise<void> }[] = [];
  const track = <S extends { close(): Promise<void> }>(s: S): S => {
    stores.push(s);
    return s;
  };
  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()));
  });

  it('spreads campaigns over every node, each campaign with all its budget keys on one node', async () => {
    const prefix = 'spread-budget:';
    const store = track(new RedisBudgetStore({ url: cluster.url, cluster: true, prefix }));
    for (const campaignId of CAMPAIGNS) {
      // A lease, then a settle that notifies the holder: all four key kinds (leases, budget, billed, inbox).
      const { leaseId } = await store.lease({
        campaignId,
        holder: 'h1',
        wantMicros: 500,
        limits,
        ttlMs: 60_000,
      });
      await store.settle({
        campaignId,
        holder: 'h1',
        leaseId,
        dayKey: limits.dayKey,
        bidId: `bid-${campaignId}`,
        costMicros: 100,
        reservationId: 'r1',
        notifyHolder: true,
      });
    }
    const byNode = await keysByNode(prefix);
    const campaignsOf = (keys: string[]) => new Set(keys.map((k) => /\{c:([^}]+)\}/.exec(k)?.[1]));
    // Every node serves some campaign: one hash tag for all campaigns would put them on one node.
    for (const keys of byNode) expect(campaignsOf(keys).size).toBeGreaterThan(0);
    // No campaign is split over two nodes, and each has its 4 keys.
    const seen = byNode.flatMap((keys) => [...campaignsOf(keys)]);
    expect(seen.sort()).toEqual([...CAMPAIGNS].sort());
    for (const keys of byNode) {
      for (const c of campaignsOf(keys)) expect(keys.filter((k) => k.includes(`{c:${c}}`))).toHaveLength(4);
    }
    const spend = await store.spend('cmp-0', limits.dayKey);
    expect(spend.totalMicros).toBe(100);
  });

  it('spreads users over every node, each user with every frequency scope on one node', async () => {
    const prefix = 'spread-freq:';
    const store = track(new RedisFrequencyStore({ url: cluster.url, cluster: true, prefix }));
    const scopes = ['c:1', 'li:1', 'li:2'].map((id) => ({ id, caps: [{ max: 3, windowSec: 3600 }] }));
    const now = Date.UTC(2025, 0, 1);
    for (const user of USERS) {
      // One script over 3 scopes (6 keys): CROSSSLOT unless the user's keys share a slot.
      expect(await store.reserve(user, scopes, now, `hold-${user}`, 30_000)).toEqual(new Set());
      expect(await store.record(user, scopes, now, `imp-${user}`)).toEqual([
        'recorded',
        'recorded',
        'recorded',
      ]);
    }
    const byNode = await keysByNode(prefix);
    const usersOf = (keys: string[]) => new Set(keys.map((k) => /\{([^}]+)\}/.exec(k)?.[1]));
    for (const keys of byNode) expect(usersOf(keys).size).toBeGreaterThan(0);
    expect(byNode.flatMap((keys) => [...usersOf(keys)]).sort()).toEqual([...USERS].sort());
    // impressions + holds per scope.
    for (const keys of byNode)
      for (const u of usersOf(keys)) expect(keys.filter((k) => k.includes(`{${u}}`))).toHaveLength(6);
  });

  it('spreads profiles over every node, and one lookup reads keys held by different nodes', async () => {
    const prefix = 'spread-profile:';
    const store = track(new RedisProfileStore({ url: cluster.url, cluster: true, prefix }));
    // One putMany over every node: one pipeline per node (a single cluster pipeline refuses this batch).
    await store.putMany(USERS.map((user, i) => ({ key: user, segments: [{ id: `s${i}` }], ttlSec: 600 })));
    const byNode = await keysByNode(prefix);
    for (const keys of byNode) expect(keys.length).toBeGreaterThan(0);
    expect(byNode.flat()).toHaveLength(USERS.length);
    // The first key found on each node, looked up together: MGET would fail with CROSSSLOT here.
    const [a, b, c] = byNode.map((keys) => keys[0]!.slice(`${prefix}outbid:profile:`.length));
    expect(await store.get(['missing', a!, b!, c!])).toEqual([{ id: `s${USERS.indexOf(a!)}` }]);
    expect(await store.get(['missing', c!])).toEqual([{ id: `s${USERS.indexOf(c!)}` }]);
  });

  it('keeps the whole campaign model on one node, and a writer on one node reaches a subscriber on any', async () => {
    const prefix = 'spread-state:';
    const writer = track(new RedisStateStore({ url: cluster.url, cluster: true, prefix }));
    const reader = track(new RedisStateStore({ url: cluster.url, cluster: true, prefix }));
    const heard: number[] = [];
    reader.subscribe((v) => heard.push(v));
    await Promise.all([writer.ready(), reader.ready()]);
    await writer.put('advertiser', advertiser('a1'));
    await writer.put('advertiser', advertiser('a2'));
    await vi.waitFor(() => expect(heard).toEqual([1, 2]));
    const counts = (await keysByNode(prefix)).map((keys) => keys.length);
    expect(counts.sort()).toEqual([0, 0, 2]);
  });
});

describe('Redis Cluster outages', () => {
  it('ready() rejects with STORE_UNREACHABLE, naming every seed without its password, when nothing listens', {
    timeout: 5000,
  }, async () => {
    const [p1, p2] = [await freePort(), await freePort()];
    const store = new RedisBudgetStore({
      url: `redis://outbid:s3cret@127.0.0.1:${p1},redis://outbid:s3cret@127.0.0.1:${p2}`,
      cluster: true,
      connectTimeoutMs: 300,
    });
    try {
      const err = await rejection(store.ready());
      expect(err.code).toBe('STORE_UNREACHABLE');
      expect(err.message).toContain(`redis://outbid@127.0.0.1:${p1}`);
      expect(err.message).toContain(`redis://outbid@127.0.0.1:${p2}`);
      expect(err.message).not.toContain('s3cret');
    } finally {
      await store.close();
    }
  });

  it('a dead node fails its campaigns fast while the others keep answering, and the store recovers by itself', {
    timeout: 30_000,
  }, async () => {
    const prefix = 'outage:';
    const store = new RedisBudgetStore({ url: cluster.url, cluster: true, prefix, onError: () => undefined });
    try {
      const lease = (campaignId: string) =>
        store.lease({ campaignId, holder: 'h1', wantMicros: 10, limits, ttlMs: 60_000 });
      for (const c of CAMPAIGNS) await lease(c);
      const byNode = await keysByNode(prefix);
      const onNode = (i: number) => /\{c:([^}]+)\}/.exec(byNode[i]![0]!)![1]!;
      const [victim, survivor] = [onNode(0), onNode(1)];

      await cluster.nodes[0]!.stop('SIGKILL');
      // Before the cluster notices (cluster-node-timeout 2 s), the other nodes still serve their slots.
      expect((await lease(survivor)).grantedMicros).toBe(10);
      // Fails at once: ioredis' default (retryDelayOnFailover 100 ms) retried it for ~1 s, longer
      // than any bid can wait; 500 ms is the bound a fail-fast answer (2–7 ms measured) never nears.
      const answer = await Promise.race([
        rejection(lease(victim)).then((err) => err.code),
        sleep(500).then(() => 'still waiting after 500 ms'),
      ]);
      expect(answer).toBe('STORE_UNAVAILABLE');

      await cluster.nodes[0]!.restart();
      // The restarted node kept its slots (nodes.conf) but not its data: the campaign starts again.
      const grant = await vi.waitFor(() => lease(victim), { timeout: 15_000, interval: 100 });
      expect(grant.heldMicros).toBe(10);
      expect((await lease(survivor)).heldMicros).toBe(30);
    } finally {
      await store.close();
    }
  });
});

describe('REDIS_CLUSTER configuration', () => {
  const problemsOf = (env: Record<string, string>) => {
    try {
      loadConfig(env);
    } catch (err) {
      if (err instanceof ConfigError) return err.problems;
      throw err;
    }
    return [];
  };

  it('takes REDIS_URL as a comma-separated seed list when REDIS_CLUSTER=true', () => {
    const c = loadConfig({
      REDIS_CLUSTER: 'true',
      REDIS_URL: 'redis://10.0.0.1:7000, redis://10.0.0.2:7000',
    });
    expect(c.redisCluster).toBe(true);
    expect(c.redisUrl).toBe('redis://10.0.0.1:7000, redis://10.0.0.2:7000');
    expect(loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379' }).redisCluster).toBe(false);
  });

  it('reports every Cluster problem at once, without echoing a password', () => {
    const problems = problemsOf({
      REDIS_CLUSTER: 'true',
      REDIS_URL: 'redis://u:s3cret@10.0.0.1:7000/2,rediss://,rediss://10.0.0.3:7000',
      REDIS_PREFIX: 'tenant{1}:',
      WORKERS: '2',
    });
    expect(problems).toEqual([
      'REDIS_URL: seed redis://u@10.0.0.1:7000/2 names a database; a Redis Cluster has database 0 only',
      'REDIS_URL: seed rediss:// has no host',
      'REDIS_URL: seeds mix redis:// and rediss://',
      'REDIS_PREFIX: must not contain { or } with REDIS_CLUSTER=true (it would put every key in one slot)',
    ]);
    expect(problemsOf({ REDIS_CLUSTER: 'true' })).toEqual([
      'REDIS_CLUSTER: needs REDIS_URL, one or more comma-separated seed nodes redis://host:port',
    ]);
    expect(problemsOf({ REDIS_URL: 'redis://10.0.0.1:7000,redis://10.0.0.2:7000' })).toEqual([
      'REDIS_URL: a comma-separated list of seed nodes needs REDIS_CLUSTER=true',
    ]);
  });

  it('outbid profiles import writes through the Cluster when REDIS_CLUSTER=true', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'outbid-cluster-profiles-'));
    const prefix = 'import:';
    const salt = 'cluster-import-salt-0123';
    try {
      const file = join(dir, 'profiles.jsonl');
      await writeFile(
        file,
        USERS.map((u, i) => JSON.stringify({ key: u, segments: [{ id: `s${i}` }] })).join('\n'),
      );
      const out: string[] = [];
      const io = { stdout: (l: string) => out.push(l), stderr: (l: string) => out.push(l) };
      const env = { REDIS_URL: cluster.url, REDIS_CLUSTER: 'true', REDIS_PREFIX: prefix, PROFILE_SALT: salt };
      expect(await profiles(['import', file], env, io)).toBe(0);
      expect(JSON.parse(out[0]!)).toMatchObject({ imported: USERS.length, malformed: 0 });
      // Written on every node, and readable through the Cluster client.
      for (const keys of await keysByNode(prefix)) expect(keys.length).toBeGreaterThan(0);
      const store = new RedisProfileStore({ url: cluster.url, cluster: true, prefix });
      try {
        expect(await store.get([profileKeyHash(USERS[5]!, salt)])).toEqual([{ id: 's5' }]);
      } finally {
        await store.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
