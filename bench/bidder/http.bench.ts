/**
 * HTTP load on `POST /openrtb2/bid`: several server designs (bench/bidder/designs.ts) against a
 * raw `node:http` ceiling, measured in the same run with the same load, so the ratios survive a
 * noisy shared machine. Each server runs in its own child process (bench/bidder/server.ts), one at
 * a time; autocannon and the paced half-load client run here.
 *
 * Per design and scenario: warm-up, then max throughput (autocannon, closed loop), then latency at
 * half that throughput, twice: autocannon with `overallRate` (bursty, see bench/support/paced-load.ts)
 * and the paced open-loop client.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { seededRng } from '../../core/index.ts';
import { startRedis } from '../../tests/setup/services.ts';
import { bannerRequestBodiesPerUser, bannerRequestBody, exchangeRequestBodies } from '../support/corpus.ts';
import { type PacedRequest, type PacedResult, pacedLoad } from '../support/paced-load.ts';
import { fmt, markdownTable, pct } from '../support/table.ts';
import { DESIGN_LABELS, DESIGNS, type Design, type ReadyLine } from './designs.ts';

/** Load shape of the HTTP benchmark. */
export interface HttpBenchOptions {
  connections: number;
  /** Seconds measured per design, scenario and load (max, half via autocannon, half paced). */
  durationSec: number;
  /** Seconds of unmeasured load before each max measurement (JIT, connection setup). */
  warmupSec: number;
  /**
   * Extra seconds of unmeasured load when a server has just started. On this machine a fresh app
   * (tsx, fastify, V8 tiering; several threads or processes each warming up on their share of the
   * traffic) needs ~4 s of load before its throughput stops climbing.
   */
  startWarmupSec: number;
  /** Designs to run; `raw` is always run first (and again last when other designs ran). */
  designs: readonly Design[];
}

/**
 * 32 connections, 4 s warm-up per server plus 1 s per scenario, 5 s per measurement, every design:
 * about 5 minutes (each design takes ~40 s, start-up included).
 */
export const DEFAULT_HTTP_OPTIONS: HttpBenchOptions = {
  connections: 32,
  durationSec: 5,
  warmupSec: 1,
  startWarmupSec: 4,
  designs: DESIGNS,
};

/** Half-load rate as a share of the design's own max. */
const HALF = 0.5;
/** The latency goal at half load, ms. */
const P99_GOAL_MS = 10;
/** The throughput goal, share of the raw ceiling. */
const RAW_GOAL = 0.5;

const ROOT = join(import.meta.dirname, '..', '..');
const BID_PATH = '/openrtb2/bid';
const HEADERS = { 'content-type': 'application/json', 'x-openrtb-version': '2.6' };

interface RunningServer {
  design: Design;
  url: string;
  ready: ReadyLine;
  child: ChildProcess;
}

interface Scenario {
  name: string;
  bodies: readonly string[];
}

/**
 * CPU use in cores (1 = one core busy): the server's processes, this process (the load
 * generator), everything else on the machine, and time the hypervisor stole from this VM.
 */
interface Cpu {
  server: number;
  loadgen: number;
  others: number;
  steal: number;
}

/** A measurement during which other processes and steal took more than this many cores is taken again. */
const CONTENTION_LIMIT = 0.3;
const MAX_TRIES = 3;

interface Measurement {
  scenario: string;
  design: Design;
  /** `end`: the raw ceiling measured again after every other design (drift check). */
  pass: 'start' | 'end';
  result: autocannon.Result;
  /** Outcome/reason counts from the app's /metrics during the max run (app designs only). */
  reasons: Map<string, number>;
  /** CPU during the max run. */
  cpu: Cpu;
  /** Max runs made (more than one when other processes took CPU during it). */
  tries: number;
  half:
    | { target: number; autocannon: autocannon.Result; paced: PacedResult; pacedCpu: Cpu; pacedTries: number }
    | undefined;
}

/**
 * The baseline commit for `app-base` (BENCH_BASE_REF, default: the commit before the budget,
 * pacing and frequency gates), checked out once as a git worktree under .tmp/ and sharing this
 * checkout's node_modules.
 */
function baselineTree(): string {
  const ref = process.env.BENCH_BASE_REF ?? '85f5649';
  const dir = join(ROOT, '.tmp', `bench-base-${ref.replace(/[^\w.-]/g, '_')}`);
  if (!existsSync(join(dir, 'bench', 'bidder', 'server.ts'))) {
    execFileSync('git', ['worktree', 'add', '--force', '--detach', dir, ref], { cwd: ROOT, stdio: 'ignore' });
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  }
  return dir;
}

/** Environment of the bench servers: the Redis that `app-redis` shares its budgets and caps on. */
const serverEnv: NodeJS.ProcessEnv = { ...process.env };

async function startServer(design: Design): Promise<RunningServer> {
  const base = design === 'app-base' ? baselineTree() : undefined;
  const script = base ? join(base, 'bench', 'bidder', 'server.ts') : join(import.meta.dirname, 'server.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', script, base ? 'app' : design], {
    cwd: base ?? ROOT,
    env: serverEnv,
    // stdin stays open: the server exits when it closes (if this process dies).
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const timeout = setTimeout(() => child.kill('SIGKILL'), 60_000);
  try {
    for await (const line of lines) {
      const ready = JSON.parse(line) as Partial<ReadyLine>;
      if (typeof ready.port === 'number') {
        return { design, url: `http://127.0.0.1:${ready.port}`, ready: ready as ReadyLine, child };
      }
    }
  } finally {
    clearTimeout(timeout);
  }
  throw new Error(`bench server "${design}" exited before printing its port (exit code ${child.exitCode})`);
}

async function stopServer(s: RunningServer): Promise<void> {
  if (s.child.exitCode !== null || s.child.signalCode !== null) return;
  const exited = once(s.child, 'exit');
  s.child.kill('SIGTERM');
  // app.close() waits for idle keep-alive sockets; don't let a stuck close hang the bench.
  const timer = setTimeout(() => {
    // Cluster workers are our grandchildren: kill them by pid too.
    for (const pid of s.ready.pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }, 5_000);
  await exited;
  clearTimeout(timer);
}

/** Machine-wide CPU seconds so far (all cores): busy (user, nice, system, irq, softirq) and stolen by the hypervisor. */
function machineCpu(): { busy: number; steal: number } {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = f;
    return { busy: (user + nice + system + irq + softirq) / 100, steal: steal / 100 };
  } catch {
    return { busy: Number.NaN, steal: Number.NaN };
  }
}

/**
 * Waits (up to `maxSec`) until the rest of the machine is nearly idle, so a neighbour's burst (a
 * test suite, a build) does not land in a measurement; measures anyway after that, and says so.
 */
async function waitForQuiet(maxSec = 30): Promise<void> {
  const until = Date.now() + maxSec * 1000;
  for (;;) {
    const a = machineCpu();
    await new Promise((r) => setTimeout(r, 1000));
    const busy = machineCpu().busy - a.busy;
    if (!(busy > 0.3) || Date.now() >= until) {
      if (busy > 0.3)
        process.stderr.write(`http: machine still busy (${busy.toFixed(2)} cores), measuring anyway\n`);
      return;
    }
    process.stderr.write(`http: machine busy (${busy.toFixed(2)} cores of others), waiting…\n`);
  }
}

/** utime + stime of the processes, in seconds (threads included). */
function cpuSeconds(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      return Number.NaN; // not Linux, or the process is gone
    }
  }
  return ticks / 100; // USER_HZ is 100 on Linux
}

/** Counts of `outbid_bid_requests_total` by `outcome:reason`, summed over the server's processes. */
async function scrapeReasons(s: RunningServer): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const url of s.ready.metricsUrls) {
    const text = await (await fetch(url)).text();
    for (const m of text.matchAll(
      /^outbid_bid_requests_total\{outcome="([^"]*)",reason="([^"]*)"\} (\S+)$/gm,
    )) {
      const key = m[2] ? `${m[1]}:${m[2]}` : m[1]!;
      out.set(key, (out.get(key) ?? 0) + Number(m[3]));
    }
  }
  return out;
}

/** Calls per Redis command so far (`INFO commandstats`). */
async function redisCalls(url: string): Promise<Map<string, number>> {
  const client = new Redis(url, { lazyConnect: true });
  try {
    await client.connect();
    const text = await client.info('commandstats');
    const out = new Map<string, number>();
    for (const m of text.matchAll(/^cmdstat_(\w+):calls=(\d+)/gm)) {
      // The INFO call itself is ours, not the app's.
      if (m[1] !== 'info') out.set(m[1]!, Number(m[2]));
    }
    return out;
  } finally {
    client.disconnect();
  }
}

function delta(after: Map<string, number>, before: Map<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [k, v] of after) {
    const d = v - (before.get(k) ?? 0);
    if (d > 0) out.set(k, d);
  }
  return out;
}

function requests(bodies: readonly string[]): PacedRequest[] {
  return bodies.map((body) => ({ method: 'POST', path: BID_PATH, headers: HEADERS, body }));
}

function load(
  s: RunningServer,
  bodies: readonly string[],
  connections: number,
  durationSec: number,
  overallRate?: number,
) {
  // Fresh request objects per run: autocannon caches the serialised request (Host header included) on them.
  return autocannon({
    url: s.url,
    connections,
    duration: durationSec,
    timeout: 10,
    requests: requests(bodies),
    ...(overallRate !== undefined && { overallRate }),
  });
}

/** CPU use while `fn` runs, in cores (see `Measurement.cpu`). */
async function withCpu<T>(s: RunningServer, fn: () => Promise<T>): Promise<{ value: T; cpu: Cpu }> {
  const cpu0 = cpuSeconds(s.ready.pids);
  const machine0 = machineCpu();
  const self0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const value = await fn();
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const self = process.cpuUsage(self0);
  const machine1 = machineCpu();
  const server = (cpuSeconds(s.ready.pids) - cpu0) / wall;
  const loadgen = (self.user + self.system) / 1e6 / wall;
  return {
    value,
    cpu: {
      server,
      loadgen,
      others: Math.max(0, (machine1.busy - machine0.busy) / wall - server - loadgen),
      steal: (machine1.steal - machine0.steal) / wall,
    },
  };
}

/**
 * Runs `fn` until no more than `CONTENTION_LIMIT` cores went to other processes (a neighbour's test
 * suite on this shared VM) or to steal (other VMs on the host), at most `MAX_TRIES` times; returns the last try and the number of tries.
 */
async function uncontended<T>(
  s: RunningServer,
  what: string,
  fn: () => Promise<T>,
): Promise<{ value: T; cpu: Cpu; tries: number }> {
  for (let tries = 1; ; tries++) {
    const r = await withCpu(s, fn);
    const lost = r.cpu.others + (Number.isNaN(r.cpu.steal) ? 0 : r.cpu.steal);
    if (!(lost > CONTENTION_LIMIT) || tries >= MAX_TRIES) return { ...r, tries };
    process.stderr.write(
      `${what}: other processes or the hypervisor took ${lost.toFixed(2)} cores, measuring again (try ${tries + 1})\n`,
    );
    await waitForQuiet();
  }
}

async function measure(
  s: RunningServer,
  sc: Scenario,
  o: HttpBenchOptions,
  pass: 'start' | 'end',
): Promise<Measurement> {
  const label = `http: ${sc.name} · ${s.design}${pass === 'end' ? ' (end)' : ''}`;
  process.stderr.write(`${label}: max…\n`);
  let before = new Map<string, number>();
  const max = await uncontended(s, label, async () => {
    await load(s, sc.bodies, o.connections, o.warmupSec);
    before = await scrapeReasons(s);
    return load(s, sc.bodies, o.connections, o.durationSec);
  });
  const result = max.value;
  const reasons = delta(await scrapeReasons(s), before);
  const base = { scenario: sc.name, design: s.design, pass, result, reasons, cpu: max.cpu, tries: max.tries };
  if (pass === 'end') return { ...base, half: undefined };
  const target = Math.max(1, Math.round(result.requests.average * HALF));
  process.stderr.write(`${label}: half load, ${target} req/s (autocannon overallRate, then paced)…\n`);
  const halfAc = await load(s, sc.bodies, o.connections, o.durationSec, target);
  const paced = await uncontended(s, `${label} paced`, () =>
    pacedLoad(s.url, requests(sc.bodies), o.connections, target, o.durationSec),
  );
  return {
    ...base,
    half: { target, autocannon: halfAc, paced: paced.value, pacedCpu: paced.cpu, pacedTries: paced.tries },
  };
}

function statusCount(r: autocannon.Result, test: (code: number) => boolean): number {
  let n = 0;
  for (const [code, { count }] of Object.entries(r.statusCodeStats)) if (test(Number(code))) n += count;
  return n;
}

function label(m: Measurement): string {
  return `${m.scenario} · ${DESIGN_LABELS[m.design]}${m.pass === 'end' ? ' (again, end of run)' : ''}`;
}

function report(
  ms: readonly Measurement[],
  o: HttpBenchOptions,
  corpusSize: number,
  bannerBytes: number,
): string {
  const perf: string[][] = [];
  const half: string[][] = [];
  const shares: string[][] = [];
  const reasons: string[] = [];
  const alarms: string[] = [];
  // The ceiling of a scenario: the mean of the raw runs at the start and the end of the run.
  const ceiling = (scenario: string) => {
    const raws = ms.filter((x) => x.scenario === scenario && x.design === 'raw');
    return raws.reduce((n, x) => n + x.result.requests.average, 0) / Math.max(1, raws.length);
  };
  for (const m of ms) {
    const rps = m.result.requests.average;
    const raw = ceiling(m.scenario);
    const ratio = m.design !== 'raw' ? pct(rps, raw, 0) : '–';
    perf.push([
      label(m),
      fmt(rps),
      fmt(m.result.latency.p50, 1),
      fmt(m.result.latency.p99, 1),
      ratio,
      Number.isNaN(m.cpu.server) ? '?' : fmt(m.cpu.server, 2),
      fmt(m.cpu.loadgen, 2),
      Number.isNaN(m.cpu.others) ? '?' : fmt(m.cpu.others, 2),
      Number.isNaN(m.cpu.steal) ? '?' : fmt(m.cpu.steal, 2),
      fmt(m.tries),
    ]);
    if (m.half) {
      const { target, autocannon: ac, paced, pacedCpu, pacedTries } = m.half;
      const meets =
        m.design === 'raw' ? '–' : rps >= RAW_GOAL * raw && paced.p99 <= P99_GOAL_MS ? 'yes' : 'no';
      half.push([
        label(m),
        fmt(target),
        fmt(ac.requests.average),
        fmt(ac.latency.p50, 1),
        fmt(ac.latency.p99, 1),
        fmt(paced.rate),
        fmt(paced.p50, 2),
        fmt(paced.p99, 2),
        fmt(paced.max, 1),
        fmt(paced.errors),
        Number.isNaN(pacedCpu.server) ? '?' : fmt(pacedCpu.server, 2),
        Number.isNaN(pacedCpu.others) ? '?' : fmt(pacedCpu.others, 2),
        fmt(pacedTries),
        meets,
      ]);
    }
    if (m.design === 'raw') continue;
    const r = m.result;
    const total = statusCount(r, () => true);
    const s5xx = statusCount(r, (c) => c >= 500);
    shares.push([
      label(m),
      fmt(total),
      pct(
        statusCount(r, (c) => c === 200),
        total,
      ),
      pct(
        statusCount(r, (c) => c === 204),
        total,
      ),
      pct(
        statusCount(r, (c) => c >= 400 && c < 500),
        total,
      ),
      s5xx > 0 ? `**${pct(s5xx, total)}**` : pct(s5xx, total),
      fmt(r.errors + r.timeouts),
    ]);
    if (s5xx > 0)
      alarms.push(`**${s5xx} responses were 5xx in "${label(m)}"** — the bid route must never answer 5xx.`);
    const technical =
      (m.reasons.get('nobid:TECHNICAL_ERROR') ?? 0) + (m.reasons.get('nobid:WORKER_FAILED') ?? 0);
    if (technical > 0) {
      alarms.push(`**${technical} no-bids in "${label(m)}" were TECHNICAL_ERROR or WORKER_FAILED**.`);
    }
    if (m.reasons.size > 0) {
      const sorted = [...m.reasons].sort((a, b) => b[1] - a[1]);
      const served = sorted.reduce((n, [, v]) => n + v, 0);
      reasons.push(`- ${label(m)}: ${sorted.map(([k, v]) => `${k} ${pct(v, served)}`).join(', ')}`);
    }
  }
  for (const a of alarms) console.error(`!!! ${a}`);
  return [
    `### HTTP: POST ${BID_PATH}`,
    '',
    `${o.connections} connections, no pipelining; ${o.startWarmupSec} s warm-up after each server starts; per design and ` +
      `scenario ${o.warmupSec} s warm-up, then ${o.durationSec} s ` +
      `at max (autocannon), then ${o.durationSec} s at ${HALF * 100} % of that max twice (autocannon \`overallRate\`, then the ` +
      `paced client). Servers in child processes, one at a time; the load generators in the parent. "corpus" cycles the ` +
      `${corpusSize} prebid-server \`outgoing_to_bidder\` requests; "banner" repeats one ${fmt(bannerBytes)}-byte banner ` +
      'request (bench/bidder/fixtures/banner.json); "banner-users" cycles 10,000 copies of it with distinct user ids (frequency caps count per user). "vs raw" is against the mean of the raw runs at the start and the end. ' +
      'CPU columns are cores busy during the max run (2 = the whole machine): the server\u2019s processes, autocannon ' +
      '(this process), every other process on the VM, and time the hypervisor stole from the VM. A max or paced run ' +
      `during which other processes plus steal took more than ${CONTENTION_LIMIT} cores is run again (up to ${MAX_TRIES} tries; "tries").`,
    '',
    'Max throughput (autocannon; latency in whole ms, its histogram resolution):',
    '',
    markdownTable(
      [
        'scenario · design',
        'req/s',
        'p50',
        'p99',
        'vs raw',
        'server CPU',
        'autocannon CPU',
        'others CPU',
        'steal',
        'tries',
      ],
      perf,
    ),
    '',
    `Half load (${HALF * 100} % of the design\u2019s own max). autocannon \`overallRate\` sends each connection\u2019s quota in a ` +
      'burst at the start of every second, so its percentiles are close to full load; the paced client sends evenly ' +
      '(open loop from a 1 ms timer; latency from the tick that issued the request, queueing for a busy connection included; µs resolution). "goal": ' +
      `≥ ${RAW_GOAL * 100} % of raw at max and paced p99 ≤ ${P99_GOAL_MS} ms at half load.`,
    '',
    markdownTable(
      [
        'scenario · design',
        'target req/s',
        'ac req/s',
        'ac p50',
        'ac p99',
        'paced req/s',
        'paced p50',
        'paced p99',
        'paced max',
        'paced errors',
        'paced server CPU',
        'paced others CPU',
        'paced tries',
        'goal',
      ],
      half,
    ),
    '',
    'Responses during the max run:',
    '',
    markdownTable(
      ['scenario · design', 'responses', '200 bid', '204 no-bid', '4xx', '5xx', 'errors+timeouts'],
      shares,
    ),
    '',
    'Outcome:reason during the max run, from the app\u2019s `/metrics` (summed over cluster processes; none for raw and the bench-only clone-hop):',
    '',
    ...reasons,
    ...(alarms.length > 0 ? ['', ...alarms] : []),
  ].join('\n');
}

/**
 * The bodies in a fixed pseudo-random order. Every connection walks the list from the start, and a
 * 5 s run covers the corpus only ~1.5 times per connection, so the order must make any prefix a
 * fair sample (the corpus file is ordered by adapter, so a prefix over-represents a few adapters).
 */
function shuffled(bodies: readonly string[]): string[] {
  const out = [...bodies];
  const rng = seededRng(42);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

async function checkBanner(s: RunningServer, banner: string): Promise<void> {
  const res = await fetch(`${s.url}${BID_PATH}`, { method: 'POST', body: banner, headers: HEADERS });
  await res.arrayBuffer();
  const expected = s.design === 'raw' || s.design === 'fastify-parse' ? 204 : 200;
  if (res.status !== expected)
    console.error(`!!! the banner fixture got ${res.status} from ${s.design}, expected ${expected}`);
}

/** Runs the HTTP benchmark and returns its markdown section. Servers are always stopped. */
export async function runHttpBench(o: HttpBenchOptions = DEFAULT_HTTP_OPTIONS): Promise<string> {
  const corpus = exchangeRequestBodies();
  const banner = bannerRequestBody();
  const scenarios: Scenario[] = [
    { name: 'corpus', bodies: shuffled(corpus) },
    { name: 'banner', bodies: [banner] },
    { name: 'banner-users', bodies: bannerRequestBodiesPerUser(10_000) },
  ];
  const others = DESIGNS.filter((d) => d !== 'raw' && o.designs.includes(d));
  const plan: { design: Design; pass: 'start' | 'end' }[] = [
    { design: 'raw', pass: 'start' },
    ...others.map((design) => ({ design, pass: 'start' as const })),
    ...(others.length > 0 ? [{ design: 'raw' as const, pass: 'end' as const }] : []),
  ];
  const ms: Measurement[] = [];
  const redis = o.designs.includes('app-redis') ? await startRedis() : undefined;
  if (redis) serverEnv.BENCH_REDIS_URL = redis.url;
  const redisRows: string[][] = [];
  try {
    for (const { design, pass } of plan) {
      await waitForQuiet();
      process.stderr.write(`http: starting ${design}…\n`);
      const s = await startServer(design);
      const calls0 = design === 'app-redis' && redis ? await redisCalls(redis.url) : undefined;
      try {
        await checkBanner(s, banner);
        if (o.startWarmupSec > 0) await load(s, scenarios[0]!.bodies, o.connections, o.startWarmupSec);
        for (const sc of scenarios) ms.push(await measure(s, sc, o, pass));
        if (calls0 && redis) {
          const calls = delta(await redisCalls(redis.url), calls0);
          const reasons = await scrapeReasons(s);
          let requests = 0;
          for (const v of reasons.values()) requests += v;
          const bids = reasons.get('bid') ?? 0;
          const total = [...calls.values()].reduce((a, b) => a + b, 0);
          redisRows.push([
            fmt(requests, 0),
            fmt(bids, 0),
            fmt(total, 0),
            (total / requests).toFixed(2),
            (total / Math.max(1, bids)).toFixed(2),
            [...calls].map(([k, v]) => `${k} ${fmt(v, 0)}`).join(', '),
          ]);
        }
      } finally {
        await stopServer(s);
      }
    }
  } finally {
    await redis?.stop();
  }
  // Rows grouped by scenario, in plan order.
  const ordered = scenarios.flatMap((sc) => ms.filter((m) => m.scenario === sc.name));
  const md = report(ordered, o, corpus.length, Buffer.byteLength(banner));
  if (redisRows.length === 0) return md;
  return `${md}

### Redis commands per bid request (app-redis, whole run: warm-up, max and half loads, every scenario)

Counted by the Redis server (\`INFO commandstats\`), against the requests and bids the app counted
(\`outbid_bid_requests_total\`). No billing notices are sent here, so this is the bid path alone.

${markdownTable(['requests', 'bids', 'Redis commands', 'per request', 'per bid', 'by command'], redisRows)}`;
}
