import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Scenario, scenarioProblems } from '../optimizer/simulator/scenario.ts';

const ROOT = join(import.meta.dirname, '..');
const TINY = join(ROOT, 'tests', 'fixtures', 'scenarios', 'tiny.json');

/** `outbid simulate` as a user runs it: a real bidder, embedded ClickHouse, the optimizer, an oracle and an even split. */
function simulate(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/outbid.js', 'simulate', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('outbid simulate', () => {
  it('reproduces a run exactly per seed and ends with one JSON line comparing the policies', {
    timeout: 120_000,
  }, () => {
    const a = simulate('--scenario', TINY, '--seed', '3');
    expect(a.status).toBe(0);
    const lines = a.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const report = JSON.parse(lines[0]!) as {
      runs: Record<
        string,
        {
          units: number;
          spendMicros: number;
          requests: number;
          allocations: number;
          fallbacks: number;
          wins: number;
          expectedUnits: number;
          expectedUnitsByDay: number[];
        }
      >;
      vsOracle: number;
      vsUniform: number;
      vsOracleExpected: number;
    };
    expect(Object.keys(report.runs)).toEqual(['optimizer', 'oracle', 'uniform']);
    for (const r of Object.values(report.runs)) {
      expect(r.requests).toBe(4800);
      // The daily budget binds every policy: equal spend within one impression's worth.
      expect(r.spendMicros).toBeGreaterThan(295_000);
      expect(r.spendMicros).toBeLessThanOrEqual(300_000 + 2_000);
    }
    expect(report.runs.optimizer!.allocations).toBe(23); // a cycle every simulated hour after the first
    // Every cycle found the previous hours in ClickHouse's rollup.
    expect(report.runs.optimizer!.fallbacks).toBe(0);
    expect(report.vsOracle).toBeCloseTo(report.runs.optimizer!.units / report.runs.oracle!.units, 3);
    // Expected units: the served impressions' true rates, free of the draws' noise (tiny.json's
    // CTRs are 0.5–2 %, so each win expects between 0.005 and 0.02 clicks).
    for (const r of Object.values(report.runs)) {
      expect(r.expectedUnits).toBeGreaterThanOrEqual(0.005 * r.wins - 0.1);
      expect(r.expectedUnits).toBeLessThanOrEqual(0.02 * r.wins + 0.1);
      expect(r.expectedUnitsByDay.reduce((a, x) => a + x, 0)).toBeCloseTo(r.expectedUnits, 0);
    }
    expect(report.vsOracleExpected).toBeCloseTo(
      report.runs.optimizer!.expectedUnits / report.runs.oracle!.expectedUnits,
      2,
    );
    const b = simulate('--scenario', TINY, '--seed', '3');
    expect(b.stdout).toBe(a.stdout);
    const c = simulate('--scenario', TINY, '--seed', '4', '--policies', 'uniform');
    expect(JSON.parse(c.stdout).runs.uniform).not.toEqual(report.runs.uniform);
  });

  it('refuses a bad scenario with every problem listed, and bad arguments with exit code 2', () => {
    const bad = simulate('--scenario', join(ROOT, 'package.json'));
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain(
      'must have required properties days, requestsPerHour, auction, campaign, segments',
    );
    expect(simulate().status).toBe(2);
    expect(simulate('--scenario', TINY, '--policies', 'magic').status).toBe(2);
    const s = JSON.parse(
      JSON.stringify({
        name: 'x',
        days: 1,
        requestsPerHour: 10,
        auction: 'second',
        campaign: { dailyBudgetMicros: 1, goal: 'clicks' },
        segments: [
          {
            id: 'a',
            share: 1,
            competitor: { medianCpm: 1, sigma: 0 },
            bidCpm: 1,
            creatives: { x: { ctr: 0.1 } },
          },
          {
            id: 'a',
            share: 1,
            competitor: { medianCpm: 1, sigma: 0 },
            bidCpm: 1,
            creatives: { y: { ctr: 0.1 } },
          },
        ],
        changes: [{ atHour: 30, segment: 'b', creatives: {} }],
        outages: [{ fromHour: 5, toHour: 5 }],
      }),
    ) as Scenario;
    expect(scenarioProblems(s)).toEqual([
      'segment a: duplicate id',
      'segment a: must list the same creatives as the first segment (x)',
      'change at hour 30: unknown segment b',
      'change at hour 30: after the last hour',
      'outage 5–5: ends before it starts',
    ]);
  });
});
