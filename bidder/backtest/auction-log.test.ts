import { describe, expect, it } from 'vitest';
import type { OutbidError } from '../../core/index.ts';
import { formatIpinyouLog, parseIpinyouLog } from './auction-log.ts';

const codeOf = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (err) {
    return (err as OutbidError).code;
  }
  return undefined;
};

describe('parseIpinyouLog', () => {
  it('reads "click market_price pctr" lines, any whitespace, blank lines skipped', () => {
    const log = parseIpinyouLog('0 77 0.00123\n\n1\t300   0.5\r\n0 0 0\n');
    expect(log.length).toBe(3);
    expect([...log.click]).toEqual([0, 1, 0]);
    expect([...log.marketPrice]).toEqual([77, 300, 0]);
    expect([...log.pctr]).toEqual([0.00123, 0.5, 0]);
  });

  it('round-trips through formatIpinyouLog', () => {
    const log = parseIpinyouLog('0 77 0.00123\n1 12.5 0.25\n');
    expect(parseIpinyouLog(formatIpinyouLog(log))).toEqual(log);
  });

  it('rejects malformed lines with BT_BAD_LOG naming the line, and empty logs', () => {
    for (const bad of ['0 77', '2 77 0.1', '0 -1 0.1', '0 77 1.2', '0 x 0.1', '0 1 0.1 9']) {
      expect(
        codeOf(() => parseIpinyouLog(`0 1 0.1\n${bad}\n`)),
        bad,
      ).toBe('BT_BAD_LOG');
    }
    expect(codeOf(() => parseIpinyouLog('\n\n'))).toBe('BT_BAD_LOG');
    expect(() => parseIpinyouLog('0 1 0.1\n0 77\n', 'f.txt')).toThrow('f.txt:2');
  });
});
