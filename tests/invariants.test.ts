import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BacktestErrors } from '../bidder/backtest/errors.ts';
import { BidderErrors } from '../bidder/errors.ts';
import { NoBidReason } from '../core/no-bid.ts';
import { BUDGET_ERRORS } from '../core/store/budget-errors.ts';
import { STORE_ERRORS } from '../core/store/errors.ts';
import { OptimizerErrors } from '../optimizer/errors.ts';
import { ReportingErrors } from '../reporting/errors.ts';

const ROOT = join(import.meta.dirname, '..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

describe('error catalogs', () => {
  const codes = [
    ...Object.values(BidderErrors).map((e) => e.code),
    ...Object.values(BacktestErrors).map((e) => e.code),
    ...Object.keys(STORE_ERRORS),
    ...Object.keys(BUDGET_ERRORS),
    ...Object.keys(ReportingErrors),
    ...Object.keys(OptimizerErrors),
    'CFG_INVALID',
  ];

  it('has unique codes, each documented in the README', () => {
    expect(new Set(codes).size).toBe(codes.length);
    for (const code of codes) expect(README, code).toContain(`\`${code}\``);
  });

  it('keys every bidder error by its own code', () => {
    for (const [key, def] of Object.entries(BidderErrors)) expect(def.code).toBe(key);
  });
});

describe('no-bid reasons', () => {
  const reasons = Object.entries(NoBidReason);

  it('have unique codes: OpenRTB 0–10, ours from 500', () => {
    const list = reasons.map(([, r]) => r.code);
    expect(new Set(list).size).toBe(list.length);
    for (const [name, r] of reasons) {
      expect(r.code <= 10 || r.code >= 500, name).toBe(true);
      expect(r.nbr, name).toBeGreaterThanOrEqual(0);
      expect(r.nbr, name).toBeLessThanOrEqual(10);
    }
  });

  it('are each documented in the README with their code', () => {
    for (const [name, r] of reasons) {
      if (r.code >= 500)
        expect(README, name).toMatch(new RegExp(`\\|\\s*${r.code}\\s*\\|\\s*\`${name}\`\\s*\\|`));
    }
  });
});

/** ARCHITECTURE.md "Modules": which top-level folders each may import. */
const ALLOWED: Record<string, readonly string[]> = {
  core: [],
  openrtb: ['core'],
  config: ['core'],
  creative: ['core', 'openrtb'],
  reporting: ['core', 'config'],
  bidder: ['core', 'openrtb', 'config', 'creative', 'reporting'],
  optimizer: ['core', 'config', 'creative', 'reporting'],
};

function sources(dir: string): string[] {
  const out: string[] = [];
  if (!existsSync(dir)) return out; // a module whose issue has not come yet (git keeps no empty folders)
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (p.endsWith('.ts') && !p.endsWith('.test.ts') && !p.endsWith('.case.ts')) out.push(p);
  }
  return out;
}

describe('module boundaries', () => {
  it('every import between top-level modules follows the architecture table', () => {
    const violations: string[] = [];
    for (const [mod, allowed] of Object.entries(ALLOWED)) {
      for (const file of sources(join(ROOT, mod))) {
        const text = readFileSync(file, 'utf8');
        for (const m of text.matchAll(/from '(\.{1,2}\/[^']+)'/g)) {
          const target = relative(ROOT, join(file, '..', m[1]!)).split(sep)[0]!;
          if (target !== mod && !allowed.includes(target))
            violations.push(`${relative(ROOT, file)} imports ${m[1]}`);
        }
      }
    }
    expect(violations).toEqual([]);
  });
});
