/**
 * Cost of targeting and the bid decision per request as the number of line items grows, with all
 * but a handful of them ruled out by targeting; plus request parsing and snapshot compilation.
 * Mirrors bidder/targeting/ and bidder/bidding/decide.ts; the claim it checks is the one in
 * `matchLineItems`' TSDoc: line items an indexed dimension rules out cost nothing.
 */
import { decide } from '../../bidder/bidding/decide.ts';
import { compileSnapshot } from '../../bidder/targeting/compile-snapshot.ts';
import { matchLineItems } from '../../bidder/targeting/match-line-items.ts';
import { requestContext } from '../../bidder/targeting/request-context.ts';
import type { CampaignData, LineItem } from '../../core/index.ts';
import { seededRng } from '../../core/index.ts';
import { type BidRequest, jsonTooDeep, parseBidRequest } from '../../openrtb/index.ts';
import { bannerRequestBody, exchangeRequestBodies } from '../support/corpus.ts';
import { fmt, markdownTable } from '../support/table.ts';
import { DEFAULT_BUDGET, type LoopBudget, msPerRun, nsPerCall } from '../support/time-loop.ts';

/** Line-item counts measured. */
export const SIZES = [10, 1_000, 10_000] as const;
/** Line items that match the benchmark request in every "non-matching" population. */
const MATCHING = 5;
const NOW_MS = Date.parse('2026-11-22T12:00:00Z');
const DECIDE_OPTS = { seatId: 'outbid', accountCurrency: 'USD', currencyRates: { USD: 1 } };

/**
 * How the line items that do not match the request (country USA, device type 2, banner 300x250)
 * are ruled out:
 * - `other-countries`: each targets 1–3 of 600 other country codes, any device;
 * - `other-device-types`: each targets one of the 7 other device types, any country;
 * - `mixed`: half like `other-countries`, half target USA but another device type — each
 *   excluded by one indexed dimension, but not the same one;
 * - `all-match`: none are excluded; every line item matches (cost should grow: that is real work).
 */
export type Population = 'other-countries' | 'other-device-types' | 'mixed' | 'all-match';
const POPULATIONS: readonly Population[] = ['other-countries', 'other-device-types', 'mixed', 'all-match'];

// Synthetic 3-letter codes (never `USA`): the index does not care whether a code is real ISO 3166.
const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const OTHER_COUNTRIES = Array.from(
  { length: 600 },
  (_, i) => `Z${LETTERS[Math.floor(i / 26) % 26]}${LETTERS[i % 26]}`,
);
const OTHER_DEVICE_TYPES = [1, 3, 4, 5, 6, 7, 8];

function lineItem(i: number, targeting: LineItem['targeting']): LineItem {
  return {
    id: `li-${i}`,
    campaignId: 'cmp-1',
    name: `line item ${i}`,
    status: 'active',
    targeting: { formats: ['banner'], ...targeting },
    // Distinct prices so the decision really compares candidates.
    bidStrategy: { type: 'max', targetCpmMicros: 1_000_000 + (i % 97) * 10_000 },
    maxCpmMicros: 5_000_000,
    creativeIds: ['cr-300x250'],
  };
}

function nonMatching(i: number, population: Population): LineItem['targeting'] {
  const countries = [0, 1, 2].slice(0, 1 + (i % 3)).map((k) => OTHER_COUNTRIES[(i * 7 + k * 211) % 600]!);
  const deviceTypes = [OTHER_DEVICE_TYPES[i % OTHER_DEVICE_TYPES.length]!];
  switch (population) {
    case 'other-countries':
      return { countries };
    case 'other-device-types':
      return { deviceTypes };
    case 'mixed':
      return i % 2 === 0 ? { countries } : { countries: ['USA'], deviceTypes };
    case 'all-match':
      return { countries: ['USA'] };
  }
}

/** Campaign data with `total` line items of which `MATCHING` (or all, for `all-match`) match the banner request. */
export function benchCampaignData(total: number, population: Population): CampaignData {
  const lineItems: LineItem[] = [];
  for (let i = 0; i < total; i++) {
    const matches = population === 'all-match' || i < MATCHING;
    lineItems.push(lineItem(i, matches ? { countries: ['USA'] } : nonMatching(i, population)));
  }
  return {
    advertisers: [{ id: 'adv-1', name: 'Bench', domain: 'bench-advertiser.example', status: 'active' }],
    campaigns: [
      {
        id: 'cmp-1',
        advertiserId: 'adv-1',
        name: 'Bench campaign',
        status: 'active',
        startAt: '2024-01-01T00:00:00Z',
        endAt: '2099-12-31T23:59:59Z',
        timeZone: 'UTC',
        totalBudgetMicros: 1_000_000_000_000,
        dailyBudgetMicros: 10_000_000_000,
        pacing: 'asap',
        goal: { type: 'none' },
        frequencyCaps: [],
      },
    ],
    lineItems,
    creatives: [
      {
        id: 'cr-300x250',
        advertiserId: 'adv-1',
        name: 'MPU',
        format: 'banner',
        w: 300,
        h: 250,
        markup: '<a href="{{CLICK_URL}}"><img src="https://cdn.bench-advertiser.example/mpu.png"></a>',
        adomain: ['bench-advertiser.example'],
        categories: ['IAB17'],
        attributes: [],
        landingUrl: 'https://bench-advertiser.example/',
        language: 'en',
      },
    ],
  };
}

function parsed(body: string | Buffer): BidRequest {
  const r = parseBidRequest(typeof body === 'string' ? Buffer.from(body) : body);
  if (!r.ok) throw new Error(`benchmark request does not parse: ${r.message}`);
  return r.request;
}

// Results land here so the JIT cannot prove the measured calls useless.
let blackhole = 0;

function decideTable(budget: LoopBudget): string {
  const req = parsed(bannerRequestBody());
  const ctx = requestContext(req);
  const rows: string[][] = [];
  for (const population of POPULATIONS) {
    let base = 0;
    for (const size of SIZES) {
      const data = benchCampaignData(size, population);
      const compileMs = msPerRun(() => compileSnapshot(data, 1), size >= 10_000 ? 5 : 20);
      const snap = compileSnapshot(data, 1);
      const rng = seededRng(1);
      const first = decide(snap, req, NOW_MS, rng, DECIDE_OPTS);
      if (first.kind !== 'bid') throw new Error(`${population}/${size}: expected a bid, got ${first.reason}`);
      const matched = matchLineItems(snap, ctx, NOW_MS).length;
      const decideNs = nsPerCall(() => {
        blackhole += decide(snap, req, NOW_MS, rng, DECIDE_OPTS).kind.length;
      }, budget);
      const matchNs = nsPerCall(() => {
        blackhole += matchLineItems(snap, ctx, NOW_MS).length;
      }, budget);
      if (size === SIZES[0]) base = decideNs;
      rows.push([
        population,
        fmt(size),
        fmt(matched),
        fmt(decideNs),
        `${fmt(decideNs / base, 2)}×`,
        fmt(matchNs),
        fmt(compileMs, 2),
      ]);
    }
  }
  return markdownTable(
    [
      'population',
      'line items',
      'matched',
      'decide ns/req',
      'vs 10',
      'of which matchLineItems ns',
      'compileSnapshot ms',
    ],
    rows,
  );
}

function parseTable(budget: LoopBudget): string {
  const inputs = [
    {
      name: 'corpus (prebid-server outgoing_to_bidder)',
      // The 3 requests with duplicate imp ids are rejected (400) before parsing finishes: leave them out.
      bodies: exchangeRequestBodies()
        .map((b) => Buffer.from(b))
        .filter((b) => parseBidRequest(b).ok),
    },
    { name: 'banner fixture', bodies: [Buffer.from(bannerRequestBody())] },
  ];
  const rows: string[][] = [];
  for (const { name, bodies } of inputs) {
    for (const b of bodies) parsed(b);
    const avgBytes = bodies.reduce((n, b) => n + b.length, 0) / bodies.length;
    let i = 0;
    // One call per body in turn, so the number is the corpus average, not one shape's best case.
    const jsonNs = nsPerCall(() => {
      const b = bodies[i++ % bodies.length]!;
      blackhole += (JSON.parse(b.toString('utf8')) as { id?: string }).id?.length ?? 0;
    }, budget);
    // The depth pre-scan on its own: parseBidRequest runs it before JSON.parse.
    const scanNs = nsPerCall(() => {
      blackhole += jsonTooDeep(bodies[i++ % bodies.length]!, 64) ? 1 : 0;
    }, budget);
    const parseNs = nsPerCall(() => {
      blackhole += parseBidRequest(bodies[i++ % bodies.length]!).ok ? 1 : 0;
    }, budget);
    rows.push([
      name,
      fmt(bodies.length),
      fmt(avgBytes),
      fmt(jsonNs / 1000, 1),
      fmt(scanNs / 1000, 1),
      fmt(parseNs / 1000, 1),
      `${fmt(parseNs / jsonNs, 1)}×`,
    ]);
  }
  return markdownTable(
    [
      'input',
      'requests',
      'avg bytes',
      'JSON.parse µs',
      'jsonTooDeep µs',
      'parseBidRequest µs',
      'vs JSON.parse',
    ],
    rows,
  );
}

/** Runs the targeting/decision micro-benchmarks and returns their markdown section. */
export function runTargetingBench(budget: LoopBudget = DEFAULT_BUDGET): string {
  const decideMd = decideTable(budget);
  const parseMd = parseTable(budget);
  // Printed so the accumulator is observably used; the value itself means nothing.
  process.stderr.write(`targeting: done (checksum ${blackhole % 1000})\n`);
  return [
    '### Targeting and decision: `decide()` per request',
    '',
    `One pre-parsed banner request (bench/bidder/fixtures/banner.json: USA, device type 2, 300x250), ` +
      `${MATCHING} matching line items plus non-matching ones ruled out as the population says (all-match: every line ` +
      `item matches). Median of ~20 ms batches over ${budget.measureMs} ms after ${budget.warmupMs} ms warm-up; ` +
      '"vs 10" is the ratio to the 10-line-item row of the same population; compileSnapshot is the median build time.',
    '',
    decideMd,
    '',
    '### Parsing: `parseBidRequest()` per request (bytes → validated, normalised BidRequest)',
    '',
    parseMd,
  ].join('\n');
}
