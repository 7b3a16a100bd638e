import {
  type Allocation,
  type Clock,
  type OutbidError,
  type StateStore,
  seededRng,
} from '../../core/index.ts';
import { largestRemainder } from '../largest-remainder.ts';
import type { StatsReader } from '../ports.ts';
import { OptimizerLoop } from '../runtime/optimizer-loop.ts';
import { stateStoreAllocationWriter } from '../runtime/state-store-writer.ts';
import {
  creativeOf,
  domainOf,
  expectedUnits,
  exponential,
  goalUnits,
  lineItemOf,
  logNormal,
  marketAtBid,
  SIM_CAMPAIGN,
  SIM_START_MS,
  scenarioCampaignData,
  TruthTable,
} from './market.ts';
import type { Scenario } from './scenario.ts';

const HOUR = 3_600_000;

/** The bidder as the simulator drives it: over HTTP (or `inject`), plus two hooks that keep a run deterministic. */
export interface SimulatedBidder {
  /** POSTs an OpenRTB bid request; answers the status and, for 200, the parsed BidResponse. */
  bid(body: string): Promise<{ status: number; json?: unknown }>;
  /**
   * GETs one of the bidder's URLs (only path and query are used): a notice, the impression pixel,
   * the click (302, its Location carries the click id) or the conversion postback.
   */
  get(url: string): Promise<{ status: number; location?: string }>;
  /** Runs the bidder's periodic work (lease renewals) at the current simulated time and waits for it. */
  settle(): Promise<void>;
  /** Resolves once the bidder serves state-store version `version` or newer. */
  serving(version: number): Promise<void>;
}

/** Where the optimizer's statistics come from: the bidder's events in ClickHouse (simulated-clickhouse.ts). */
export interface SimulatedReporting {
  /** `hourlyStatsReader` over the exact hourly rollup, as `outbid serve` reads it. */
  reader: StatsReader;
  /**
   * Waits until the events emitted so far are in ClickHouse, then runs production's refresh
   * (attribution, hourly rollup) at the current simulated time; resolves to its error, if any.
   */
  refresh(): Promise<OutbidError | undefined>;
  /** Takes ClickHouse down or brings it back (scenario `outages`). */
  setAvailable(up: boolean): void;
}

/** One run's world: a fresh bidder on a fresh state store and a fresh ClickHouse database, all on the simulated clock. */
export interface SimulationEnv {
  bidder: SimulatedBidder;
  store: StateStore;
  clock: Clock;
  reporting: SimulatedReporting;
  /** Moves the simulated clock (wall and monotonic) forward. */
  advance(ms: number): void;
}

/** Who sets the allocation: the optimizer (hourly bandit cycles), an oracle that knows the truth, or a fixed even split. */
export type Policy = 'optimizer' | 'oracle' | 'uniform';

/** What one run achieved, counted from the truth the simulator drew (not read back from ClickHouse). */
export interface RunResult {
  policy: Policy;
  /** Goal units: clicks, conversions, or conversion value in account micros. */
  units: number;
  spendMicros: number;
  requests: number;
  bids: number;
  wins: number;
  clicks: number;
  conversions: number;
  valueMicros: number;
  /** Goal units per simulated day. */
  unitsByDay: number[];
  /**
   * Goal units expected from the impressions served: each won impression counts its segment and
   * creative's true rate (× value), so the click and conversion draws' noise is left out. Ratios
   * of these compare the policies' decisions, not their luck.
   */
  expectedUnits: number;
  /** `expectedUnits` per simulated day. */
  expectedUnitsByDay: number[];
  /** Allocation versions the bidder served. */
  allocations: number;
  /** Optimizer cycles whose allocation fell back (statistics unavailable, none yet, anomaly); each is logged. */
  fallbacks: number;
}

/** The allocation a fixed policy serves: oracle (from the truth at `hour`) or an even split. */
export function fixedAllocation(
  s: Scenario,
  policy: 'oracle' | 'uniform',
  hour: number,
  version: number,
): Allocation {
  const truth = new TruthTable(s).at(hour);
  const variants = Object.keys(s.segments[0]!.creatives);
  const daily = s.campaign.dailyBudgetMicros;
  let shares: number[];
  const weights = new Map<string, number[]>();
  if (policy === 'uniform') {
    shares = s.segments.map(() => 1 / s.segments.length);
    for (const seg of s.segments)
      weights.set(
        seg.id,
        variants.map(() => 1 / variants.length),
      );
  } else {
    // Greedy by goal units per micro spent, each segment up to what its traffic can spend in a day.
    const mean = s.hourlyShape ? s.hourlyShape.reduce((a, b) => a + b, 0) / 24 : 1;
    const totalShare = s.segments.reduce((a, x) => a + x.share, 0);
    const rng = seededRng(12_345);
    const rows = s.segments.map((seg) => {
      const t = truth.get(seg.id)!;
      let best = 0;
      variants.forEach((v, i) => {
        if (
          expectedUnits(s.campaign.goal, t.get(v)!) > expectedUnits(s.campaign.goal, t.get(variants[best]!)!)
        )
          best = i;
      });
      weights.set(
        seg.id,
        variants.map((_, i) => (i === best ? 1 : 0)),
      );
      const m = marketAtBid(rng, seg, s.auction);
      const units = expectedUnits(s.campaign.goal, t.get(variants[best]!)!);
      const capacity =
        s.requestsPerHour * (mean === 0 ? 0 : 24) * (seg.share / totalShare) * m.winRate * m.costMicros;
      return { efficiency: m.costMicros > 0 ? units / m.costMicros : 0, capacity };
    });
    const order = rows.map((_, i) => i).sort((a, b) => rows[b]!.efficiency - rows[a]!.efficiency);
    const micros = rows.map(() => 0);
    let left = daily;
    for (const i of order) {
      const take = Math.min(left, rows[i]!.capacity);
      micros[i] = take;
      left -= take;
    }
    // Traffic cannot spend it all: the rest goes to the best segment anyway (it is only a cap).
    const best = order[0]!;
    micros[best] = (micros[best] ?? 0) + left;
    shares = micros.map((m) => m / daily);
  }
  const budgets = largestRemainder(daily, shares);
  return {
    version,
    createdAtMs: SIM_START_MS + hour * HOUR,
    campaigns: {
      [SIM_CAMPAIGN]: {
        campaignId: SIM_CAMPAIGN,
        dailyBudgetMicros: daily,
        reason: 'normal',
        note: policy,
        budgetArms: s.segments.map((seg, i) => ({
          armId: lineItemOf(seg.id),
          lineItemId: lineItemOf(seg.id),
          share: shares[i]!,
          dailyBudgetMicros: budgets[i]!,
        })),
        creativeGroups: s.segments.map((seg) => ({
          groupId: lineItemOf(seg.id),
          variants: variants.map((v, i) => ({ creativeId: creativeOf(v), weight: weights.get(seg.id)![i]! })),
        })),
      },
    },
  };
}

interface BidJson {
  seatbid?: {
    bid?: { price: number; crid: string; nurl?: string; burl?: string; lurl?: string; adm?: string }[];
  }[];
}

function fill(url: string, price: number, loss?: number): string {
  return url
    .replaceAll('${AUCTION_PRICE}', price.toFixed(6))
    .replaceAll('${AUCTION_MIN_TO_WIN}', '')
    .replaceAll('${AUCTION_LOSS}', String(loss ?? ''));
}

const unescapeAttr = (v: string) =>
  v.replaceAll('&quot;', '"').replaceAll('&lt;', '<').replaceAll('&amp;', '&');

/** The signed click URL and impression pixel the bidder put into a banner's markup (build-response.ts). */
function trackingUrls(adm: string | undefined): { click?: string; pixel?: string } {
  const click = adm === undefined ? null : /href="([^"]+)"/.exec(adm);
  const pixel = adm === undefined ? null : /<img src="([^"]+)"/.exec(adm);
  return {
    ...(click !== null && { click: unescapeAttr(click[1]!) }),
    ...(pixel !== null && { pixel: unescapeAttr(pixel[1]!) }),
  };
}

/**
 * One run of a scenario under one policy, on a simulated clock starting at SIM_START_MS: each hour,
 * the optimizer (when it is the policy) runs a cycle and the bidder swaps to the new allocation;
 * then the hour's requests go to the bidder one by one, each user in a segment drawn by share; a
 * bid wins against a log-normal competing bid (first or second price), the exchange sends the
 * win and billing notices (or the loss), and the impression turns into a click, a conversion and a
 * value by the hidden truth of its segment and creative. The user's browser goes through the
 * bidder's tracking: the impression pixel, the click URL (whose redirect carries the click id) and
 * the advertiser's conversion postback with that click id and the value. The bidder's events go
 * to ClickHouse; before each cycle the simulator waits for them and runs production's refresh
 * (attribution, hourly rollup), and the optimizer reads the rollup. Everything random comes from
 * `seed`, and the bidder's background work runs at fixed simulated times, so a run is exactly
 * reproducible. `log` gets one line per fallen-back cycle and per failed refresh.
 */
export async function runSimulation(
  s: Scenario,
  seed: number,
  policy: Policy,
  env: SimulationEnv,
  progress?: (hour: number, hours: number) => void,
  log?: (line: string) => void,
): Promise<RunResult> {
  await env.store.replaceAll(scenarioCampaignData(s));
  await env.bidder.serving(await env.store.version());
  const rng = seededRng(seed);
  const truthTable = new TruthTable(s);
  const totalShare = s.segments.reduce((a, x) => a + x.share, 0);
  const shape = s.hourlyShape ?? new Array<number>(24).fill(1);
  const meanShape = shape.reduce((a, b) => a + b, 0) / 24;
  const period = s.optimizer?.periodHours ?? 1;
  const result: RunResult = {
    policy,
    units: 0,
    spendMicros: 0,
    requests: 0,
    bids: 0,
    wins: 0,
    clicks: 0,
    conversions: 0,
    valueMicros: 0,
    unitsByDay: [],
    expectedUnits: 0,
    expectedUnitsByDay: [],
    allocations: 0,
    fallbacks: 0,
  };
  const loop =
    policy === 'optimizer'
      ? new OptimizerLoop({
          store: env.store,
          reader: env.reporting.reader,
          clock: env.clock,
          rng: seededRng(seed ^ 0x5eed),
          cycle: { optimizer: { halfLifeMs: (s.optimizer?.halfLifeHours ?? 12) * HOUR } },
        })
      : undefined;
  const writer = stateStoreAllocationWriter(env.store);
  const changeHours = new Set((s.changes ?? []).map((c) => c.atHour));
  let allocationVersion = 0;
  const serveNewest = async () => {
    await env.bidder.serving(await env.store.version());
    await env.bidder.settle();
  };
  if (policy !== 'optimizer') {
    await writer.write(fixedAllocation(s, policy, 0, ++allocationVersion));
    await serveNewest();
  }
  await env.bidder.settle();
  const hours = s.days * 24;
  let seq = 0;
  for (let hour = 0; hour < hours; hour++) {
    const hourStart = SIM_START_MS + hour * HOUR;
    env.advance(hourStart - env.clock.now());
    env.reporting.setAvailable(!(s.outages ?? []).some((o) => o.fromHour <= hour && hour < o.toHour));
    const truth = truthTable.at(hour);
    if (loop !== undefined && hour % period === 0 && hour > 0) {
      const refreshError = await env.reporting.refresh();
      if (refreshError !== undefined) log?.(`hour ${hour}: ${refreshError.code}: ${refreshError.message}`);
      const cycle = await loop.runOnce();
      const decision = cycle?.decisions.find((d) => d.campaignId === SIM_CAMPAIGN);
      if (decision?.reason === 'fallback') {
        result.fallbacks += 1;
        log?.(`hour ${hour}: optimizer fallback: ${decision.note}`);
      }
      if (cycle?.written) {
        allocationVersion = cycle.allocation.version;
        await serveNewest();
      }
    } else if (policy === 'oracle' && changeHours.has(hour)) {
      await writer.write(fixedAllocation(s, 'oracle', hour, ++allocationVersion));
      await serveNewest();
    }
    const n = meanShape === 0 ? 0 : Math.round((s.requestsPerHour * shape[hour % 24]!) / meanShape);
    for (let i = 0; i < n; i++) {
      const at = hourStart + Math.floor((i * HOUR) / n);
      env.advance(at - env.clock.now());
      // Lease renewals and refills at fixed simulated times (every 5 minutes), not by a real timer.
      if (i % Math.max(1, Math.floor(n / 12)) === 0) await env.bidder.settle();
      let pick = rng.next() * totalShare;
      let seg = s.segments[0]!;
      for (const x of s.segments) {
        if (pick < x.share) {
          seg = x;
          break;
        }
        pick -= x.share;
      }
      const competitor = logNormal(rng, seg.competitor.medianCpm, seg.competitor.sigma);
      const u1 = rng.next();
      const u2 = rng.next();
      const u3 = rng.next();
      seq += 1;
      result.requests += 1;
      const res = await env.bidder.bid(
        JSON.stringify({
          id: `sim-${seq}`,
          imp: [{ id: '1', banner: { w: 300, h: 250 } }],
          site: { domain: domainOf(seg.id), page: `https://${domainOf(seg.id)}/` },
          user: { id: `u-${Math.floor(rng.next() * 100_000)}` },
          at: s.auction === 'first' ? 1 : 2,
          tmax: 1000,
        }),
      );
      const bid = res.status === 200 ? (res.json as BidJson).seatbid?.[0]?.bid?.[0] : undefined;
      if (bid === undefined) continue;
      result.bids += 1;
      if (bid.price < competitor) {
        if (bid.lurl) await env.bidder.get(fill(bid.lurl, competitor, 102));
        continue;
      }
      const clearing = s.auction === 'second' ? competitor : bid.price;
      if (bid.nurl) await env.bidder.get(fill(bid.nurl, clearing));
      if (bid.burl) await env.bidder.get(fill(bid.burl, clearing));
      const tracking = trackingUrls(bid.adm);
      if (tracking.pixel !== undefined) await env.bidder.get(tracking.pixel);
      const spend = Math.round(clearing * 1000);
      const variant = bid.crid.replace(/^cr-/, '');
      const t = truth.get(seg.id)!.get(variant)!;
      const clicks = u1 < t.ctr ? 1 : 0;
      const conversions = clicks === 1 && u2 < (t.cvr ?? 0) ? 1 : 0;
      const valueMicros =
        conversions === 1 ? Math.round(exponential({ next: () => u3 }, t.valueMicros ?? 0)) : 0;
      if (clicks === 1 && tracking.click !== undefined) {
        const { location } = await env.bidder.get(tracking.click);
        const clickId = location === undefined ? null : new URL(location).searchParams.get('click_id');
        if (conversions === 1 && clickId !== null) {
          const q = new URLSearchParams({
            click_id: clickId,
            conversion_id: `sim-${seq}`,
            value: (valueMicros / 1_000_000).toFixed(6),
          });
          await env.bidder.get(`${new URL(tracking.click).origin}/track/conversion?${q}`);
        }
      }
      const outcome = { clicks, conversions, valueMicros };
      result.wins += 1;
      result.spendMicros += spend;
      result.clicks += clicks;
      result.conversions += conversions;
      result.valueMicros += valueMicros;
      const units = goalUnits(s.campaign.goal, outcome);
      result.units += units;
      const day = Math.floor(hour / 24);
      result.unitsByDay[day] = (result.unitsByDay[day] ?? 0) + units;
      const expected = expectedUnits(s.campaign.goal, t);
      result.expectedUnits += expected;
      result.expectedUnitsByDay[day] = (result.expectedUnitsByDay[day] ?? 0) + expected;
    }
    progress?.(hour + 1, hours);
  }
  result.allocations = allocationVersion;
  for (let d = 0; d < s.days; d++) {
    result.unitsByDay[d] ??= 0;
    result.expectedUnitsByDay[d] = Math.round((result.expectedUnitsByDay[d] ?? 0) * 10) / 10;
  }
  result.expectedUnits = Math.round(result.expectedUnits * 10) / 10;
  return result;
}
