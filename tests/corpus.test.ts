import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NoBidResponseSchema } from '../openrtb/index.ts';
import { bidInvariantProblems } from './support/bid-invariants.ts';
import { type CorpusBody, jsonFiles, malformedBodies, prebidServerRequests } from './support/corpus.ts';
import { testApp } from './support/test-app.ts';

const ajv = new Ajv({ strict: false });
const RATES = { USD: 1, EUR: 1.08, GBP: 1.27, JPY: 0.0067, CHF: 1.13, MXN: 0.055, AUD: 0.65, RUB: 0.011 };
const validNoBid = ajv.compile(NoBidResponseSchema as object);

type App = Awaited<ReturnType<typeof testApp>>;

/**
 * Walks the whole shared corpus through the real app: every body must get a bid that satisfies the
 * invariants (schema, impid, floor, blocks, https), a
 * no-bid (204 or 200 {id, nbr}) or a clean 400 with an error code — never a 5xx — and the process
 * must keep answering afterwards.
 */
async function walk(app: App, bodies: CorpusBody[], query = '') {
  const tally = { bid: 0, nobid: 0, invalid: 0 };
  for (const b of bodies) {
    const res = await app.app.inject({
      method: 'POST',
      url: `/openrtb2/bid${query}`,
      headers: { 'content-type': 'application/json' },
      payload: b.body,
    });
    const where = `${b.source}: ${res.statusCode} ${res.body.slice(0, 200)}`;
    expect([200, 204, 400], where).toContain(res.statusCode);
    if (res.statusCode === 200) {
      const json = res.json();
      if ('nbr' in json) expect(validNoBid(json), where).toBe(true);
      else {
        // Schema-valid, impids exist, floors, blocks, https under imp.secure, notice macros.
        expect(bidInvariantProblems(JSON.parse(b.body), json, { currencyRates: RATES }), where).toEqual([]);
        tally.bid++;
        continue;
      }
      tally.nobid++;
    } else if (res.statusCode === 204) {
      expect(res.body, where).toBe('');
      tally.nobid++;
    } else {
      expect(res.json().error.code, where).toMatch(/^BID_/);
      tally.invalid++;
    }
  }
  if (process.env.CORPUS_DEBUG) console.log(tally);
  const health = await app.app.inject({ method: 'GET', url: '/healthz' });
  expect(health.statusCode).toBe(200);
  return tally;
}

describe('the shared OpenRTB corpus', () => {
  let app: App;
  beforeAll(async () => {
    app = await testApp({
      env: {
        CURRENCY_RATES: JSON.stringify(RATES),
        EXCHANGES: '{"nbr":{"noBidResponse":"nbr"}}',
      },
    });
  });
  afterAll(async () => {
    await app.app.close();
  });

  it('answers every prebid-server request with a bid, a no-bid or a 400, and bids on most valid exchange traffic', async () => {
    const bodies = prebidServerRequests();
    expect(bodies.length).toBe(2539);
    const tally = await walk(app, bodies);
    expect(tally.bid + tally.nobid + tally.invalid).toBe(2539);
    // Only requests without `id`/`imp` (or with an empty imp list / imp without id) are malformed; the rest get an answer.
    expect(tally.invalid).toBeLessThan(40);
    const outgoing = bodies.filter((b) => b.role === 'outgoing_to_bidder' && b.label === 'valid');
    const t2 = await walk(app, outgoing);
    expect(t2.bid / outgoing.length).toBeGreaterThan(0.5);
  });

  it('answers the spec examples, prebid/openrtb test data and google-openrtb files (invalid JSON gets a clean 400)', async () => {
    const bodies = jsonFiles('spec-examples', 'prebid-openrtb-testdata', 'google-openrtb');
    expect(bodies.length).toBeGreaterThan(70);
    const tally = await walk(app, bodies);
    expect(tally.bid).toBeGreaterThan(5);
    expect(tally.invalid).toBeGreaterThanOrEqual(3);
  });

  it('answers the malformed raw bodies with 400', async () => {
    const bodies = malformedBodies();
    expect(bodies.length).toBe(3);
    const tally = await walk(app, bodies);
    expect(tally.invalid).toBe(3);
  });

  it('answers no-bids as 200 {id, nbr} for an exchange configured that way', async () => {
    const tally = await walk(app, jsonFiles('spec-examples'), '?exchange=nbr');
    expect(tally.nobid).toBeGreaterThan(0);
  });
});
