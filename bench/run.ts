/**
 * Runs the benchmarks and prints markdown for bench/README.md:
 * `npm run bench` (all), or one or more by name: `npm run bench -- http`, `-- targeting`, `-- sink`.
 * `--quick` shortens every measurement, to check the benches work, not to quote numbers.
 * Progress goes to stderr and the tables to stdout; a copy of the tables is written to
 * bench/results/latest.md (git-ignored).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_HTTP_OPTIONS, runHttpBench } from './bidder/http.bench.ts';
import { runTargetingBench } from './bidder/targeting.bench.ts';
import { runEventSinkBench } from './reporting/event-sink.bench.ts';
import { DEFAULT_BUDGET } from './support/time-loop.ts';

const BENCHES = ['targeting', 'sink', 'http'] as const;
type BenchName = (typeof BENCHES)[number];

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const names = args.filter((a) => !a.startsWith('--'));
const unknown = names.filter((n) => !(BENCHES as readonly string[]).includes(n));
if (unknown.length > 0) {
  console.error(`unknown bench ${unknown.join(', ')}; choose from ${BENCHES.join(', ')}`);
  process.exit(2);
}
const selected: readonly BenchName[] = names.length > 0 ? (names as BenchName[]) : BENCHES;

const cpu = cpus();
const sections = [
  `## Results — ${new Date().toISOString().slice(0, 10)}`,
  '',
  `Node ${process.version}, ${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${process.platform}/${process.arch}` +
    (quick ? ' — **--quick run, numbers not comparable**' : ''),
];
for (const name of BENCHES) {
  if (!selected.includes(name)) continue;
  process.stderr.write(`running ${name}…\n`);
  const budget = quick ? { warmupMs: 20, measureMs: 60 } : DEFAULT_BUDGET;
  const md =
    name === 'http'
      ? await runHttpBench(
          quick ? { ...DEFAULT_HTTP_OPTIONS, durationSec: 1, warmupSec: 0.5 } : DEFAULT_HTTP_OPTIONS,
        )
      : name === 'sink'
        ? runEventSinkBench(budget)
        : runTargetingBench(budget);
  sections.push('', md);
}
const out = `${sections.join('\n')}\n`;
process.stdout.write(out);
const dir = join(import.meta.dirname, 'results');
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, 'latest.md'), out);
