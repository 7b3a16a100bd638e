import { describe, expect, it } from 'vitest';
import type { ScoreTable } from '../../core/index.ts';
import { compileScoreTables, ScoreTableCache } from './compile-score-table.ts';
import { score } from './score.ts';

const table = (lineItemId: string, weight: number, version = 1): ScoreTable => ({
  id: `st-${lineItemId}`,
  lineItemId,
  version,
  ctr: { bias: -1, segments: { a: weight, [`only-${lineItemId}`]: 0.5 } },
});

describe('ScoreTableCache', () => {
  it('reuses tables whose content did not change and recompiles the others', () => {
    const cache = new ScoreTableCache();
    const first = compileScoreTables([table('li-1', 1), table('li-2', 2)], cache);
    const second = compileScoreTables([table('li-1', 1), table('li-2', 3)], cache);
    expect(second.byLineItem.get('li-1')).toBe(first.byLineItem.get('li-1'));
    expect(second.byLineItem.get('li-2')).not.toBe(first.byLineItem.get('li-2'));
    // An edit that forgot to bump the version is still seen (the weights' fingerprint changed).
    const third = compileScoreTables([table('li-1', 1.5), table('li-2', 3)], cache);
    expect(third.byLineItem.get('li-1')).not.toBe(second.byLineItem.get('li-1'));
    const features = { segments: [{ id: 'a' }] };
    expect(score(third.byLineItem.get('li-1')!, features).pctr).toBe(
      score(compileScoreTables([table('li-1', 1.5)]).byLineItem.get('li-1')!, features).pctr,
    );
    expect(score(third.byLineItem.get('li-2')!, features).pctr).toBe(1 / (1 + Math.exp(-2)));
  });

  it('drops removed tables and starts a fresh vocabulary once most of it is stale', () => {
    const cache = new ScoreTableCache();
    const many = Array.from({ length: 3000 }, (_, i) => table(`li-${i}`, 1));
    const big = compileScoreTables(many, cache);
    expect(big.vocabulary.size).toBe(3001);
    const small = compileScoreTables([table('li-0', 1)], cache);
    expect(small.byLineItem.size).toBe(1);
    expect(small.vocabulary.size).toBe(2);
  });
});
