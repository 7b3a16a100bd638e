import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import type { ScoreTable } from '../../core/index.ts';
import { compileScoreTables } from './compile-score-table.ts';
import { score } from './score.ts';
import { attachScoreTables, type SharedScoreTables, shareScoreTables } from './shared-score-tables.ts';

const tables: ScoreTable[] = [
  {
    id: 't1',
    lineItemId: 'li-1',
    version: 1,
    ctr: {
      bias: -2,
      segments: { a: 1, b: 0.5 },
      context: { deviceType: { '4': 0.25 }, hour: { '13': -0.5 } },
    },
    cvr: { bias: -3, segments: { b: 1 } },
    conversionValueMicros: 40_000_000,
  },
  { id: 't2', lineItemId: 'li-2', version: 3, ctr: { bias: 1, segments: { c: -1 } } },
];

describe('shared score tables', () => {
  it('keep every weight in SharedArrayBuffers and score exactly like the compiled tables', () => {
    const compiled = compileScoreTables(tables);
    const shared = shareScoreTables(compiled);
    for (const t of shared.tables) {
      for (const m of [t.ctr, t.cvr]) {
        if (!m) continue;
        for (const arr of [m.segmentIds, m.weights, m.deviceType, m.inventoryType, m.hour]) {
          expect(arr.buffer).toBeInstanceOf(SharedArrayBuffer);
        }
      }
    }
    const attached = attachScoreTables(shared);
    const features = { segments: [{ id: 'a' }, { id: 'b' }, { id: 'zzz' }], deviceType: 4, hour: 13 };
    for (const li of ['li-1', 'li-2']) {
      expect(score(attached.byLineItem.get(li)!, features)).toEqual(
        score(compiled.byLineItem.get(li)!, features),
      );
    }
    expect(attached.byLineItem.get('li-1')?.conversionValueMicros).toBe(40_000_000);
  });

  it('are shared, not copied, when posted to another thread', () => {
    const shared = shareScoreTables(compileScoreTables(tables));
    const { port1, port2 } = new MessageChannel();
    port1.postMessage(shared);
    const received = receiveMessageOnPort(port2)?.message as SharedScoreTables;
    port1.close();
    const sent = shared.tables[0]!.ctr.weights;
    const got = received.tables[0]!.ctr.weights;
    expect(got).not.toBe(sent);
    sent[0] = 42; // a write on one side is visible on the other: the same memory
    expect(got[0]).toBe(42);
  });
});
