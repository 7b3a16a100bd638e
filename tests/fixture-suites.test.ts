import { readdirSync, readFileSync } from 'node:fs';
import { deflateSync, gzipSync } from 'node:zlib';
import { Ajv } from 'ajv';
import Type, { type Static } from 'typebox';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../bidder/index.ts';
import { type Config, loadConfig } from '../config/index.ts';
import {
  type CampaignData,
  type Clock,
  campaignDataProblems,
  idGenerator,
  ManualClock,
  NoBidReason,
  seededRng,
} from '../core/index.ts';
import { MemoryStateStore } from '../core/store/memory-store.ts';
import { MemoryEventSink } from '../reporting/index.ts';
import { assertBidInvariants, bidInvariantProblems } from './support/bid-invariants.ts';

/**
 * OpenRTB fixture suites in prebid-server's shape, run through the real HTTP app (`app.inject`).
 * `exemplary/` must bid; `supplemental/` holds edge cases (no-bids with a reason, blocks, currency,
 * deals, deadlines); `invalid/` is malformed input answered 400 with an error code. The fixture
 * format is `FixtureSchema` below; tests/fixtures/README.md explains it.
 */

const ExpectedBidSchema = Type.Object(
  {
    impid: Type.String(),
    price: Type.Number(),
    crid: Type.String(),
    /** Absent means "an open-market bid": the actual bid must carry no dealid. */
    dealid: Type.Optional(Type.String()),
    mtype: Type.Optional(Type.Integer()),
    w: Type.Optional(Type.Integer()),
    h: Type.Optional(Type.Integer()),
    /** For native: the adm, parsed, must deep-equal this. */
    admJson: Type.Optional(Type.Unknown()),
  },
  { additionalProperties: false },
);

const FixtureSchema = Type.Object(
  {
    description: Type.String({ minLength: 1 }),
    /** Env overrides for loadConfig; objects (CURRENCY_RATES, EXCHANGES) may be given as JSON values. */
    config: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    /** Complete campaign data; absent = config/demo-data.json. */
    state: Type.Optional(Type.Unknown()),
    /** Wall-clock instant of the injected clock (default 2026-11-22T12:00:00Z, a Sunday). */
    now: Type.Optional(Type.String({ format: 'date-time' })),
    /** The bid handler runs this late: every monotonic read after the request arrived is this many ms later. */
    slowMs: Type.Optional(Type.Number({ minimum: 0 })),
    query: Type.Optional(Type.String()),
    /** Extra request headers; a null value removes a default header (content-type). */
    headers: Type.Optional(Type.Record(Type.String(), Type.Union([Type.String(), Type.Null()]))),
    /** Compress the body and set Content-Encoding accordingly. */
    encode: Type.Optional(Type.Union([Type.Literal('gzip'), Type.Literal('deflate')])),
    request: Type.Optional(Type.Unknown()),
    rawBody: Type.Optional(Type.String()),
    rawBodyBase64: Type.Optional(Type.String()),
    expected: Type.Object(
      {
        status: Type.Union([Type.Literal(200), Type.Literal(204), Type.Literal(400)]),
        /** The exact set of bids, compared ignoring order. */
        bids: Type.Optional(Type.Array(ExpectedBidSchema, { minItems: 1 })),
        cur: Type.Optional(Type.String()),
        /** Seat of the seatbid (default: the configured SEAT_ID). */
        seat: Type.Optional(Type.String()),
        /** `nbr` of a 200 `{id, nbr}` no-bid body (exchanges configured with noBidResponse "nbr"). */
        nbr: Type.Optional(Type.Integer()),
        /** The no-bid reason, checked through outbid_bid_requests_total{outcome="nobid",reason}. */
        noBidReason: Type.Optional(Type.String()),
        errorCode: Type.Optional(Type.String()),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
type Fixture = Static<typeof FixtureSchema>;
type ExpectedBid = Static<typeof ExpectedBidSchema>;

const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });
const validateFixture = ajv.compile<Fixture>(FixtureSchema as object);

const ROOT = new URL('./fixtures/', import.meta.url);
const DEMO_DATA = JSON.parse(
  readFileSync(new URL('../config/demo-data.json', import.meta.url), 'utf8'),
) as CampaignData;
const DEFAULT_NOW = '2026-11-22T12:00:00Z';
const SECRET = 'x'.repeat(32);

/** Wall time fixed; monotonic time jumps by `lateMs` after the first read following `arm()` (the request's arrival). */
class LateClock implements Clock {
  readonly #wallMs: number;
  readonly #lateMs: number;
  #arrived = false;
  constructor(wallMs: number, lateMs: number) {
    this.#wallMs = wallMs;
    this.#lateMs = lateMs;
  }
  now(): number {
    return this.#wallMs;
  }
  monotonic(): number {
    if (!this.#arrived) {
      this.#arrived = true;
      return 0;
    }
    return this.#lateMs;
  }
  arm(): void {
    this.#arrived = false;
  }
}

function loadFixtures(folder: string): { file: string; fixture: Fixture }[] {
  const dir = new URL(`${folder}/`, ROOT);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({ file, fixture: JSON.parse(readFileSync(new URL(file, dir), 'utf8')) as Fixture }));
}

function configOf(f: Pick<Fixture, 'config'>): Config {
  const env: Record<string, string> = { LOG_LEVEL: 'silent', PUBLIC_URL: 'https://bidder.test' };
  for (const [k, v] of Object.entries(f.config ?? {})) env[k] = typeof v === 'string' ? v : JSON.stringify(v);
  return loadConfig(env);
}

function bodyOf(f: Fixture): Buffer {
  const raw =
    f.rawBodyBase64 !== undefined
      ? Buffer.from(f.rawBodyBase64, 'base64')
      : Buffer.from(f.rawBody !== undefined ? f.rawBody : JSON.stringify(f.request));
  return f.encode === 'gzip' ? gzipSync(raw) : f.encode === 'deflate' ? deflateSync(raw) : raw;
}

/** `outbid_bid_requests_total` by `outcome:reason`, parsed from the /metrics text. */
function requestCounters(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of text.matchAll(
    /^outbid_bid_requests_total\{outcome="([^"]*)",reason="([^"]*)"\} (\S+)$/gm,
  )) {
    out.set(`${m[1]}:${m[2]}`, Number(m[3]));
  }
  return out;
}

function bidKey(b: { impid: string; dealid?: string | undefined; crid: string; price: number }): string {
  return `${b.impid}\u0000${b.dealid ?? ''}\u0000${b.crid}\u0000${b.price}`;
}

/** Projects actual bids onto the fields the expected bids name, so the two lists compare with toEqual. */
function compareBids(actual: Record<string, unknown>[], expected: readonly ExpectedBid[]): void {
  const exp = [...expected].sort((a, b) => (bidKey(a) < bidKey(b) ? -1 : 1));
  const act = [...actual].sort((a, b) => (bidKey(a as ExpectedBid) < bidKey(b as ExpectedBid) ? -1 : 1));
  const projected = act.map((b, i) => {
    const want = exp[i];
    const p: Record<string, unknown> = { impid: b.impid, price: b.price, crid: b.crid };
    if (b.dealid !== undefined) p.dealid = b.dealid;
    for (const k of ['mtype', 'w', 'h'] as const) if (want?.[k] !== undefined) p[k] = b[k];
    if (want?.admJson !== undefined) p.admJson = typeof b.adm === 'string' ? JSON.parse(b.adm) : b.adm;
    return p;
  });
  expect(projected).toEqual(exp);
}

/** Folder rules: what each suite's fixtures must expect. */
function checkPlacement(folder: string, f: Fixture): void {
  const e = f.expected;
  if (folder === 'exemplary') expect(e.status, 'exemplary fixtures must bid').toBe(200);
  if (folder === 'invalid') expect(e.status, 'invalid fixtures must be 400').toBe(400);
  if (e.status === 200 && e.nbr === undefined) {
    expect(e.bids, '200 with bids needs expected.bids').toBeDefined();
    expect(e.cur, '200 with bids needs expected.cur').toBeDefined();
  }
  if (e.status === 204 || e.nbr !== undefined) {
    expect(e.noBidReason, 'a no-bid needs expected.noBidReason').toBeDefined();
    expect(Object.keys(NoBidReason)).toContain(e.noBidReason);
  }
  if (e.status === 400) expect(e.errorCode, 'a 400 needs expected.errorCode').toBeDefined();
  if (f.now !== undefined)
    expect(Number.isNaN(Date.parse(f.now)), `now ${f.now} is not an ISO instant`).toBe(false);
  const bodies = [f.request !== undefined, f.rawBody !== undefined, f.rawBodyBase64 !== undefined].filter(
    Boolean,
  );
  expect(bodies.length, 'exactly one of request, rawBody, rawBodyBase64').toBe(1);
}

/** Builds the app for a fixture: its config, campaign state and clock. The caller closes `app` and `store`. */
async function startApp(f: Pick<Fixture, 'config' | 'state' | 'now' | 'slowMs'>) {
  const state = (f.state ?? DEMO_DATA) as CampaignData;
  expect(campaignDataProblems(state), 'fixture state must be valid campaign data').toEqual([]);
  const config = configOf(f);
  const nowMs = Date.parse(f.now ?? DEFAULT_NOW);
  const clock = f.slowMs !== undefined ? new LateClock(nowMs, f.slowMs) : new ManualClock(nowMs);
  const store = new MemoryStateStore();
  await store.replaceAll(state);
  const sink = new MemoryEventSink();
  const { app } = await buildApp({
    config,
    store,
    sink,
    clock,
    rng: seededRng(1),
    nextId: idGenerator('t-'),
    secret: SECRET,
  });
  return { app, store, sink, clock, config };
}

async function runFixture(folder: string, f: Fixture): Promise<void> {
  checkPlacement(folder, f);
  const { app, store, sink, clock, config } = await startApp(f);
  try {
    const before = requestCounters((await app.inject({ method: 'GET', url: '/metrics' })).body);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (f.encode) headers['content-encoding'] = f.encode;
    for (const [k, v] of Object.entries(f.headers ?? {})) {
      if (v === null) delete headers[k.toLowerCase()];
      else headers[k.toLowerCase()] = v;
    }
    if (clock instanceof LateClock) clock.arm();
    const res = await app.inject({
      method: 'POST',
      url: `/openrtb2/bid${f.query ? `?${f.query}` : ''}`,
      headers,
      payload: bodyOf(f),
    });
    const after = requestCounters((await app.inject({ method: 'GET', url: '/metrics' })).body);
    const delta = (key: string) => (after.get(key) ?? 0) - (before.get(key) ?? 0);
    const e = f.expected;

    expect({ status: res.statusCode, body: res.body.slice(0, 500) }).toMatchObject({ status: e.status });
    const requestId = (f.request as { id?: unknown } | undefined)?.id;

    if (e.status === 400) {
      expect(res.json()).toMatchObject({ error: { code: e.errorCode } });
      expect(delta(`invalid:${e.errorCode}`), 'counted as invalid').toBe(1);
      expect(sink.events).toEqual([]);
      return;
    }
    if (e.status === 204 || e.nbr !== undefined) {
      if (e.status === 204) expect(res.body).toBe('');
      else expect(res.json()).toEqual({ id: String(requestId), nbr: e.nbr });
      expect(delta(`nobid:${e.noBidReason}`), `no-bid reason ${e.noBidReason} counted once`).toBe(1);
      expect(delta('bid:'), 'no bid counted').toBe(0);
      expect(sink.events).toEqual([]);
      return;
    }

    const body = res.json() as {
      id: string;
      cur: string;
      seatbid: { seat: string; bid: Record<string, unknown>[] }[];
    };
    assertBidInvariants(f.request, body, { currencyRates: config.currencyRates });
    expect(body.cur).toBe(e.cur);
    expect(body.seatbid.map((s) => s.seat)).toEqual([e.seat ?? config.seatId]);
    const bids = body.seatbid.flatMap((s) => s.bid);
    compareBids(bids, e.bids ?? []);
    expect(delta('bid:'), 'bid counted once').toBe(1);
    expect(
      sink
        .ofType('bid')
        .map((ev) => ev.bidId)
        .sort(),
    ).toEqual(bids.map((b) => String(b.id)).sort());
  } finally {
    await app.close();
    await store.close();
  }
}

for (const folder of ['exemplary', 'supplemental', 'invalid'] as const) {
  describe(`fixtures/${folder}`, () => {
    const fixtures = loadFixtures(folder);
    it('has fixtures, each well-formed', () => {
      expect(fixtures.length).toBeGreaterThan(0);
      for (const { file, fixture } of fixtures) {
        expect(validateFixture(fixture) ? [] : [file, ajv.errorsText(validateFixture.errors)]).toEqual([]);
      }
    });
    for (const { file, fixture } of fixtures) {
      it(`${file}: ${fixture.description}`, async () => {
        await runFixture(folder, fixture);
      });
    }
  });
}

/** The invariant checker must catch what it promises to; each case breaks one property of a real response. */
describe('assertBidInvariants', () => {
  const request: { imp: Record<string, unknown>[] } & Record<string, unknown> = {
    id: 'inv',
    imp: [{ id: '1', banner: { w: 300, h: 250, battr: [3] }, bidfloor: 1.2, secure: 1 }],
    site: { domain: 'news.example' },
    bcat: ['IAB1'],
    badv: ['rival.example'],
    bapp: ['com.rival.app'],
    cur: ['USD'],
  };
  type Body = { cur: string; seatbid: { seat: string; bid: Record<string, unknown>[] }[] };
  type Case = [name: string, problem: RegExp, mutate: (req: typeof request, res: Body) => void];
  const first = (res: Body) => res.seatbid[0]!.bid[0]!;
  const cases: Case[] = [
    ['schema', /BidResponseSchema/, (_q, r) => delete first(r).crid],
    ['unknown impid', /impid does not exist/, (_q, r) => (first(r).impid = '9')],
    ['below the floor', /below the floor/, (_q, r) => (first(r).price = 1.1)],
    ['category', /IAB1-5 is blocked by bcat/, (_q, r) => (first(r).cat = ['IAB1-5'])],
    ['adomain', /blocked by badv/, (_q, r) => (first(r).adomain = ['Rival.example'])],
    ['bundle', /blocked by bapp/, (_q, r) => (first(r).bundle = 'com.rival.app')],
    ['attribute', /blocked by banner.battr/, (_q, r) => (first(r).attr = [3])],
    [
      'insecure adm',
      /adm loads over http/,
      (_q, r) => (first(r).adm = '<img src="http://cdn.example/a.png">'),
    ],
    ['notice macro', /lurl missing/, (_q, r) => (first(r).lurl = 'https://bidder.test/notice/loss')],
    ['banner size', /banner size 728x90/, (_q, r) => Object.assign(first(r), { w: 728, h: 90 })],
    ['unknown deal', /not a deal of the imp/, (_q, r) => (first(r).dealid = 'nope')],
    ['currency', /not accepted/, (_q, r) => (r.cur = 'EUR')],
    ['bseat', /bseat/, (q) => (q.bseat = ['outbid'])],
    ['language', /not in wlang/, (q) => (q.wlang = ['de'])],
    [
      'private auction',
      /open-market bid in a private auction/,
      (q) => (q.imp[0]!.pmp = { private_auction: 1, deals: [] }),
    ],
  ];

  it('accepts a sound response and reports each broken invariant', async () => {
    const { app, store, config } = await startApp({});
    try {
      const res = await app.inject({ method: 'POST', url: '/openrtb2/bid', payload: request });
      expect(res.statusCode).toBe(200);
      const body = res.json() as Body;
      const opts = { currencyRates: config.currencyRates };
      expect(bidInvariantProblems(request, body, opts)).toEqual([]);
      for (const [name, problem, mutate] of cases) {
        const q = structuredClone(request);
        const r = structuredClone(body);
        mutate(q, r);
        expect(() => assertBidInvariants(q, r, opts), name).toThrow(problem);
      }
    } finally {
      await app.close();
      await store.close();
    }
  });
});
