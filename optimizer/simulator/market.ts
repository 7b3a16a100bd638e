import type { CampaignData, Rng } from '../../core/index.ts';
import type { Scenario, Truth } from './scenario.ts';

/** The simulated campaign's ids: one line item per segment, one creative per variant. */
export const SIM_CAMPAIGN = 'cmp-sim';
/** Line item of a segment. */
export const lineItemOf = (segment: string) => `li-${segment}`;
/** Creative of a variant. */
export const creativeOf = (variant: string) => `cr-${variant}`;
/** The site domain a segment's users browse: how its line item targets it. */
export const domainOf = (segment: string) => `${segment}.sim.example`;
/** Midnight UTC, Monday 5 January 2026: hour 0 of every run. */
export const SIM_START_MS = Date.UTC(2026, 0, 5);

/** A standard normal draw (Box–Muller, two uniforms). */
export function normal(rng: Rng): number {
  const u = 1 - rng.next(); // (0, 1]: log(0) is not a number
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
}

/** A log-normal draw with this median and log-sigma. */
export function logNormal(rng: Rng, median: number, sigma: number): number {
  return median * Math.exp(sigma * normal(rng));
}

/** An exponential draw with this mean. */
export function exponential(rng: Rng, mean: number): number {
  return -mean * Math.log(1 - rng.next());
}

/**
 * The campaign model the simulated bidder serves: one advertiser, one campaign (ASAP, the
 * scenario's daily budget and goal), per segment a line item bidding its fixed CPM on the segment's
 * domain with every variant as a creative.
 */
export function scenarioCampaignData(s: Scenario): CampaignData {
  const variants = Object.keys(s.segments[0]!.creatives);
  return {
    advertisers: [{ id: 'adv-sim', name: 'Simulated advertiser', domain: 'sim.example', status: 'active' }],
    campaigns: [
      {
        id: SIM_CAMPAIGN,
        advertiserId: 'adv-sim',
        name: s.name,
        status: 'active',
        startAt: new Date(SIM_START_MS).toISOString(),
        endAt: new Date(SIM_START_MS + (s.days + 1) * 86_400_000).toISOString(),
        timeZone: 'UTC',
        totalBudgetMicros: s.campaign.dailyBudgetMicros * (s.days + 1),
        dailyBudgetMicros: s.campaign.dailyBudgetMicros,
        pacing: 'asap',
        goal: { type: s.campaign.goal },
        frequencyCaps: [],
        ...(s.campaign.bandit !== undefined && { optimizer: { bandit: s.campaign.bandit } }),
      },
    ],
    lineItems: s.segments.map((seg) => ({
      id: lineItemOf(seg.id),
      campaignId: SIM_CAMPAIGN,
      name: `segment ${seg.id}`,
      status: 'active' as const,
      targeting: { domains: { allow: [domainOf(seg.id)] } },
      bidStrategy: { type: 'fixed' as const, cpmMicros: Math.round(seg.bidCpm * 1_000_000) },
      maxCpmMicros: Math.round(seg.bidCpm * 1_000_000),
      creativeIds: variants.map(creativeOf),
    })),
    creatives: variants.map((v) => ({
      id: creativeOf(v),
      advertiserId: 'adv-sim',
      name: `variant ${v}`,
      format: 'banner' as const,
      w: 300,
      h: 250,
      markup: `<a href="{{CLICK_URL}}">${v}</a>`,
      adomain: ['sim.example'],
      categories: ['IAB1'],
      attributes: [],
      landingUrl: 'https://sim.example/',
    })),
  };
}

/** The truth at a given hour, with the scenario's changes applied in order. */
export class TruthTable {
  readonly #base: Scenario;
  #hour = -1;
  #truth = new Map<string, Map<string, Truth>>();

  constructor(s: Scenario) {
    this.#base = s;
    this.at(0);
  }

  /** Moves to `hour` (never back) and answers the truth then. */
  at(hour: number): ReadonlyMap<string, ReadonlyMap<string, Truth>> {
    if (hour === this.#hour) return this.#truth;
    const truth = new Map(
      this.#base.segments.map((seg) => [
        seg.id,
        new Map(Object.entries(seg.creatives).map(([k, v]) => [k, { ...v }])),
      ]),
    );
    for (const c of this.#base.changes ?? []) {
      if (c.atHour > hour) continue;
      const seg = truth.get(c.segment)!;
      for (const [cr, t] of Object.entries(c.creatives)) seg.set(cr, { ...seg.get(cr)!, ...t } as Truth);
    }
    this.#hour = hour;
    this.#truth = truth;
    return truth;
  }
}

/** Goal units of one impression's outcome. */
export function goalUnits(
  goal: Scenario['campaign']['goal'],
  o: { clicks: number; conversions: number; valueMicros: number },
): number {
  return goal === 'clicks' ? o.clicks : goal === 'conversions' ? o.conversions : o.valueMicros;
}

/** Expected goal units per impression of a variant's truth. */
export function expectedUnits(goal: Scenario['campaign']['goal'], t: Truth): number {
  const cvr = t.cvr ?? 0;
  return goal === 'clicks'
    ? t.ctr
    : goal === 'conversions'
      ? t.ctr * cvr
      : t.ctr * cvr * (t.valueMicros ?? 0);
}

/**
 * A segment's market at our bid, by Monte Carlo over its competitor distribution (seeded): the win
 * rate and the mean price paid per won impression in micros (second price: the competing bid;
 * first price: our bid).
 */
export function marketAtBid(
  rng: Rng,
  seg: Scenario['segments'][number],
  auction: Scenario['auction'],
  draws = 20_000,
): { winRate: number; costMicros: number } {
  let wins = 0;
  let paid = 0;
  for (let i = 0; i < draws; i++) {
    const comp = logNormal(rng, seg.competitor.medianCpm, seg.competitor.sigma);
    if (seg.bidCpm >= comp) {
      wins += 1;
      paid += auction === 'second' ? comp : seg.bidCpm;
    }
  }
  return { winRate: wins / draws, costMicros: wins === 0 ? 0 : (paid / wins) * 1000 };
}
