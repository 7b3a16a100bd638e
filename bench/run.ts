/**
 * Runs the benchmarks and prints markdown for bench/README.md:
 * `npm run bench` (all), or one or more by name: `npm run bench -- http`, `-- targeting`, `-- scoring`, `-- sink`.
 * `--designs app,app-workers` limits the HTTP bench to those server designs (raw always runs).
 * `--quick` shortens every measurement, to check the benches work, not to quote numbers.
 * Progress goes to stderr and the tables to stdout; a copy of the tables is written to
 * bench/results/latest.md (git-ignored).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { DESIGNS, type Design } from './bidder/designs.ts';
import { DEFAULT_HTTP_OPTIONS, runHttpBench } from './bidder/http.bench.ts';
import { runScoringBench } from './bidder/scoring.bench.ts';
import { runTargetingBench } from './bidder/targeting.bench.ts';
import { DEFAULT_CYCLE_BENCH, runCycleBench } from './optimizer/cycle.bench.ts';
import { runClickHouseSinkBench } from './reporting/clickhouse-sink.bench.ts';
import { runEventSinkBench } from './reporting/event-sink.bench.ts';
import { DEFAULT_BUDGET } from './support/time-loop.ts';

const BENCHES = ['targeting', 'scoring', 'sink', 'clickhouse', 'optimizer', 'http'] as const;
type BenchName = (typeof BENCHES)[number];

const args = process.argv.slice(2);
const quick = args.includes('--quick');
// `--designs a,b` or `--designs=a,b`.
let designList: string | undefined;
const names: string[] = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i]!;
  if (a === '--designs') designList = args[++i] ?? '';
  else if (a.startsWith('--designs=')) designList = a.slice('--designs='.length);
  else if (!a.startsWith('--')) names.push(a);
}
const unknown = names.filter((n) => !(BENCHES as readonly string[]).includes(n));
if (unknown.length > 0) {
  console.error(`unknown bench ${unknown.join(', ')}; choose from ${BENCHES.join(', ')}`);
  process.exit(2);
}
const designs = designList === undefined ? DESIGNS : designList.split(',').filter((d) => d !== '');
const badDesigns = designs.filter((d) => !(DESIGNS as readonly string[]).includes(d));
if (badDesigns.length > 0 || designs.length === 0) {
  console.error(`unknown design ${badDesigns.join(', ')}; choose from ${DESIGNS.join(', ')}`);
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
  const httpOptions = { ...DEFAULT_HTTP_OPTIONS, designs: designs as readonly Design[] };
  const md =
    name === 'http'
      ? await runHttpBench(
          quick ? { ...httpOptions, durationSec: 1, warmupSec: 0.5, startWarmupSec: 0.5 } : httpOptions,
        )
      : name === 'optimizer'
        ? await runCycleBench(quick ? { ...DEFAULT_CYCLE_BENCH, runs: 1 } : DEFAULT_CYCLE_BENCH)
        : name === 'clickhouse'
          ? await runClickHouseSinkBench({ quick })
          : name === 'sink'
            ? runEventSinkBench(budget)
            : name === 'scoring'
              ? runScoringBench(budget)
              : runTargetingBench(budget);
  sections.push('', md);
}
const out = `${sections.join('\n')}\n`;
process.stdout.write(out);
const dir = join(import.meta.dirname, 'results');
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, 'latest.md'), out);
