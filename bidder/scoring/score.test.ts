import { describe, expect, it } from 'vitest';
import type { ScoreTable } from '../../core/index.ts';
import { compileScoreTable, compileScoreTables } from './compile-score-table.ts';
import { createEncodedFeatures, encodeFeatures, type Score, score, scoreEncoded, sigmoid } from './score.ts';

/** σ(z) computed by hand, independently of the implementation's two-branch form. */
const σ = (z: number) => 1 / (1 + Math.exp(-z));
/** Scores agree to 1e-15: only the summation order of the logit may differ. */
const DIGITS = 15;

const TABLE: ScoreTable = {
  id: 'st-1',
  lineItemId: 'li-1',
  version: 2,
  ctr: {
    bias: -2,
    segments: { a: 0.5, 'dp:b': -0.25, c: 1.5 },
    context: { deviceType: { '4': 0.3 }, inventoryType: { app: -0.1 }, hour: { '20': 0.2 } },
  },
  cvr: { bias: -3, segmentValues: 'numeric', segments: { 'crm:income': 0.01, a: 2 } },
};

describe('score', () => {
  const compiled = compileScoreTable(TABLE);

  it('is the sigmoid of the bias alone without features', () => {
    const s = score(compiled, { segments: [] });
    expect(s.pctr).toBeCloseTo(σ(-2), DIGITS);
    expect(s.pctr).toBeCloseTo(0.11920292202211755, DIGITS);
    expect(s.pcvr).toBeCloseTo(σ(-3), DIGITS);
    expect(s.pcvr).toBeCloseTo(0.04742587317756678, DIGITS);
  });

  it('adds binary segment weights and the device, inventory and hour weights', () => {
    const s = score(compiled, {
      segments: [{ id: 'a' }, { id: 'dp:b', value: '9' }, { id: 'unknown' }],
      deviceType: 4,
      inventoryType: 'app',
      hour: 20,
    });
    // -2 + 0.5 - 0.25 (binary: the value 9 is ignored) + 0.3 - 0.1 + 0.2
    expect(s.pctr).toBeCloseTo(σ(-1.35), DIGITS);
    expect(s.pctr).toBeCloseTo(0.20587037180094733, DIGITS);
    // numeric cvr: `a` has no value, so it adds nothing.
    expect(s.pcvr).toBeCloseTo(σ(-3), DIGITS);
  });

  it('multiplies weights by segment values in a numeric model', () => {
    const s = score(compiled, {
      segments: [
        { id: 'crm:income', value: '120' },
        { id: 'a', value: 0.5 },
      ],
    });
    // ctr: -2 + 0.5; cvr: -3 + 0.01 × 120 + 2 × 0.5
    expect(s.pctr).toBeCloseTo(σ(-1.5), DIGITS);
    expect(s.pcvr).toBeCloseTo(σ(-0.8), DIGITS);
    expect(s.pcvr).toBeCloseTo(0.31002551887238755, DIGITS);
  });

  it('treats an empty or non-numeric value as no value', () => {
    const s = score(compiled, {
      segments: [
        { id: 'crm:income', value: '' },
        { id: 'a', value: 'high' },
      ],
    });
    expect(s.pcvr).toBeCloseTo(σ(-3), DIGITS);
  });

  it('counts a repeated segment once, with the first value', () => {
    const s = score(compiled, {
      segments: [{ id: 'a', value: '1' }, { id: 'a', value: '100' }, { id: 'c' }],
    });
    expect(s.pctr).toBeCloseTo(σ(-2 + 0.5 + 1.5), DIGITS);
    expect(s.pctr).toBe(0.5);
    expect(s.pcvr).toBeCloseTo(σ(-3 + 2), DIGITS);
  });

  it('gives context the table does not weigh, or that is out of range, a weight of 0', () => {
    for (const ctx of [
      { deviceType: 2, inventoryType: 'site' as const, hour: 3 },
      { deviceType: 99, inventoryType: 'dooh' as const, hour: 24 },
      { deviceType: -1, hour: 20.5 },
    ]) {
      expect(score(compiled, { segments: [], ...ctx }).pctr).toBeCloseTo(σ(-2), DIGITS);
    }
  });

  it('has no pCVR without a conversion model', () => {
    const { cvr: _, ...ctrOnly } = TABLE;
    const s = score(compileScoreTable(ctrOnly), { segments: [{ id: 'c' }] });
    expect(s.pctr).toBeCloseTo(σ(-0.5), DIGITS);
    expect(s.pcvr).toBeUndefined();
  });

  it('stays within [0, 1] and never NaN at the weight bounds and with absurd values', () => {
    const extreme = compileScoreTable({
      id: 'x',
      lineItemId: 'li-x',
      version: 1,
      ctr: { bias: -1e6, segments: { p: 1e6, q: -1e6 } },
      cvr: { bias: 0, segmentValues: 'numeric', segments: { p: 1e6, q: 1e6 } },
    });
    expect(score(extreme, { segments: [] }).pctr).toBe(0);
    expect(score(extreme, { segments: [{ id: 'p' }, { id: 'p' }] }).pctr).toBe(0.5);
    const s = score(extreme, {
      segments: [
        { id: 'p', value: '1e400' },
        { id: 'q', value: '-1e400' },
      ],
    });
    // Both values clamp to ±1e9, so the logit is 1e15 - 1e15 = 0 rather than Infinity - Infinity.
    expect(s.pcvr).toBe(0.5);
    expect(score(extreme, { segments: [{ id: 'p', value: 'Infinity' }] }).pcvr).toBe(1);
  });

  it('writes into the object passed as out and returns it', () => {
    const out: Score = { pctr: -1, pcvr: -1 };
    expect(score(compiled, { segments: [{ id: 'c' }] }, out)).toBe(out);
    expect(out.pctr).toBeCloseTo(σ(-0.5), DIGITS);
  });
});

describe('sigmoid', () => {
  it('matches 1 / (1 + e^-z) on both branches and saturates without NaN', () => {
    for (const z of [-30, -2.5, -1e-9, 0, 1e-9, 0.7, 30]) expect(sigmoid(z)).toBeCloseTo(σ(z), DIGITS);
    expect(sigmoid(-1000)).toBe(0);
    expect(sigmoid(1000)).toBe(1);
    expect(sigmoid(0)).toBe(0.5);
  });
});

describe('compileScoreTables', () => {
  const other: ScoreTable = {
    id: 'st-2',
    lineItemId: 'li-2',
    version: 1,
    ctr: { bias: -1, segments: { c: -1, d: 0.75 } },
  };

  it('shares one vocabulary, so one encoding scores every line item as score() does', () => {
    const { vocabulary, byLineItem } = compileScoreTables([TABLE, other]);
    expect(vocabulary.size).toBe(5); // a, dp:b, c, crm:income, d
    const features = { segments: [{ id: 'd' }, { id: 'c' }, { id: 'a', value: '2' }], hour: 20 };
    const encoded = encodeFeatures(vocabulary, features, createEncodedFeatures(vocabulary));
    expect(encoded.count).toBe(3);
    const out: Score = { pctr: 0, pcvr: undefined };
    const t1 = byLineItem.get('li-1')!;
    const t2 = byLineItem.get('li-2')!;
    expect({ ...scoreEncoded(t1, encoded, out) }).toEqual(score(t1, features));
    expect(out.pctr).toBeCloseTo(σ(-2 + 1.5 + 0.5 + 0.2), DIGITS);
    expect(out.pcvr).toBeCloseTo(σ(-3 + 2 * 2), DIGITS);
    scoreEncoded(t2, encoded, out);
    expect(out.pctr).toBeCloseTo(σ(-1 - 1 + 0.75), DIGITS);
    expect(out.pcvr).toBeUndefined();
  });

  it('keeps one table per line item: the highest version, then the smallest id', () => {
    const v1 = { ...TABLE, id: 'st-a', version: 1 };
    const v3 = { ...TABLE, id: 'st-z', version: 3 };
    const v3b = { ...TABLE, id: 'st-m', version: 3 };
    expect(compileScoreTables([v1, v3, v3b]).byLineItem.get('li-1')?.id).toBe('st-m');
    expect(compileScoreTables([v3, v1]).byLineItem.get('li-1')?.version).toBe(3);
  });

  it('compiles an absent list to no tables', () => {
    const { vocabulary, byLineItem } = compileScoreTables(undefined);
    expect(byLineItem.size).toBe(0);
    expect(vocabulary.size).toBe(0);
  });
});
