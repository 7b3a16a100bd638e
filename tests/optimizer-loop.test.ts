import { afterEach, describe, expect, it } from 'vitest';
import { type Bidder, buildApp } from '../bidder/index.ts';
import { loadConfig } from '../config/index.ts';
import { type CampaignData, idGenerator, ManualClock, seededRng } from '../core/index.ts';
import { MemoryStateStore } from '../core/store/memory-store.ts';
import type { ArmStats } from '../optimizer/arm-stats.ts';
import type { CampaignStats, StatsReader } from '../optimizer/ports.ts';
import { variantArmId } from '../optimizer/ports.ts';
import { OptimizerLoop } from '../optimizer/runtime/optimizer-loop.ts';
import { MemoryEventSink } from '../reporting/index.ts';
import { gateCampaign, gateData, gateLineItem } from './support/gate-data.ts';

/** The optimizer loop against the state store a bidder reads: cycles write allocation versions the bidder serves. */

const HOUR = 3_600_000;
const open: Bidder[] = [];
afterEach(async () => {
  for (const b of open.splice(0)) await b.app.close();
});

function data(): CampaignData {
  const base = gateData(
    [gateCampaign('c1', 10_000_000)],
    [
      gateLineItem('l-good', 'c1', 'a.example', 2_000_000),
      gateLineItem('l-poor', 'c1', 'b.example', 2_000_000),
    ],
  );
  return {
    ...base,
    campaigns: base.campaigns.map((c) => ({ ...c, goal: { type: 'clicks' } })),
    creatives: [...base.creatives, { ...base.creatives[0]!, id: 'cr-2', name: 'banner 2' }],
    lineItems: base.lineItems.map((li) => ({ ...li, creativeIds: ['cr-1', 'cr-2'] })),
  };
}

/** Statistics as the rollup reader would return them: 24 hours, l-good 2 % CTR, l-poor 0.5 %, cr-2 twice cr-1. */
function reader(clock: ManualClock): StatsReader & { calls: number; fail: boolean } {
  const r = {
    calls: 0,
    fail: false,
    async read(): Promise<ReadonlyMap<string, CampaignStats>> {
      r.calls += 1;
      if (r.fail) throw new Error('ClickHouse unreachable');
      const rows = (armId: string, ctr: number): ArmStats[] =>
        Array.from({ length: 24 }, (_, h) => ({
          armId,
          periodStartMs: clock.now() - (h + 1) * HOUR,
          periodEndMs: clock.now() - h * HOUR,
          impressions: 10_000,
          clicks: Math.round(10_000 * ctr),
          conversions: 0,
          spendMicros: 20_000_000,
          valueMicros: 0,
        }));
      return new Map([
        [
          'c1',
          {
            budget: [...rows('l-good', 0.02), ...rows('l-poor', 0.005)],
            creatives: ['l-good', 'l-poor'].flatMap((g) => [
              ...rows(variantArmId(g, 'cr-1'), 0.005),
              ...rows(variantArmId(g, 'cr-2'), 0.01),
            ]),
          },
        ],
      ]);
    },
  };
  return r;
}

describe('optimizer loop and bidder on one state store', () => {
  it('moves budget to the better line item cycle by cycle, within the max change, and the bidder serves each version', async () => {
    const clock = new ManualClock(Date.parse('2026-11-22T12:00:00Z'));
    const store = new MemoryStateStore();
    await store.ready();
    await store.replaceAll(data());
    const bidder = await buildApp({
      config: loadConfig({ LOG_LEVEL: 'silent', PUBLIC_URL: 'https://bidder.test' }),
      store,
      sink: new MemoryEventSink(),
      clock,
      rng: seededRng(1),
      secret: 'test-secret-test-secret-test-secret',
      nextId: idGenerator('o-'),
    });
    open.push(bidder);
    const stats = reader(clock);
    const cycles: { version: number; good: number; reason: string }[] = [];
    const loop = new OptimizerLoop({
      store,
      reader: stats,
      clock,
      rng: seededRng(7),
      onCycle: (r) => {
        const c = r.allocation.campaigns.c1!;
        cycles.push({
          version: r.allocation.version,
          good: c.budgetArms.find((a) => a.armId === 'l-good')!.share,
          reason: c.reason,
        });
      },
    });
    for (let i = 0; i < 3; i++) {
      await loop.runOnce();
      clock.advance(HOUR);
    }
    expect(cycles.map((c) => c.version)).toEqual([1, 2, 3]);
    // A day of data that clearly separates the arms: all but the 2 % exploration floor to l-good.
    expect(cycles.map((c) => c.good)).toEqual([0.98, 0.98, 0.98].map((x) => expect.closeTo(x, 6)));
    expect(cycles.map((c) => c.reason)).toEqual(['normal', 'normal', 'normal']);
    const stored = await store.get('allocation', 'current');
    expect(stored?.version).toBe(3);
    // The bidder compiled the new version: the line items' budgets are the arms' daily budgets.
    for (let i = 0; i < 50 && bidder.index.current!.version < (await store.version()); i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    const good = bidder.index.current!.lineItems.find((li) => li.lineItem.id === 'l-good')!;
    expect(good.allocatedDailyMicros).toBe(
      stored!.campaigns.c1!.budgetArms.find((a) => a.armId === 'l-good')!.dailyBudgetMicros,
    );
    expect(good.creativeWeights?.get('cr-2')).toBeGreaterThan(good.creativeWeights!.get('cr-1')!);

    // ClickHouse down: the cycle falls back to the last good allocation and says so.
    stats.fail = true;
    await loop.runOnce();
    expect(cycles.at(-1)).toMatchObject({ version: 4, reason: 'fallback' });
    expect(cycles.at(-1)!.good).toBeCloseTo(cycles[2]!.good, 9);
  });
});
