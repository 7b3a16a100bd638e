/**
 * HTTP load on `POST /openrtb2/bid`: the real app against a raw `node:http` ceiling, measured in
 * the same run with the same load, so the ratio survives a noisy shared machine. Each server runs
 * in its own child process (bench/bidder/server.ts); autocannon runs here.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import { seededRng } from '../../core/index.ts';
import { bannerRequestBody, exchangeRequestBodies } from '../support/corpus.ts';
import { fmt, markdownTable, pct } from '../support/table.ts';

/** Load shape of the HTTP benchmark. */
export interface HttpBenchOptions {
  connections: number;
  /** Seconds measured per server and scenario. */
  durationSec: number;
  /** Seconds of unmeasured load before each measurement (JIT, connection setup). */
  warmupSec: number;
}

/** 32 connections, 1 s warm-up, 5 s measured: about 25 s for the whole bench. */
export const DEFAULT_HTTP_OPTIONS: HttpBenchOptions = { connections: 32, durationSec: 5, warmupSec: 1 };

const ROOT = join(import.meta.dirname, '..', '..');
const BID_PATH = '/openrtb2/bid';

type ServerKind = 'raw' | 'app' | 'app-workers';

const LABELS: Record<ServerKind, string> = {
  raw: 'raw node:http (ceiling)',
  app: 'Outbid app, main thread',
  'app-workers': 'Outbid app, 2 scoring workers',
};

interface RunningServer {
  kind: ServerKind;
  url: string;
  child: ChildProcess;
}

interface Scenario {
  name: string;
  bodies: readonly string[];
}

interface Measurement {
  scenario: string;
  server: ServerKind;
  result: autocannon.Result;
  /** Outcome/reason counts from the app's /metrics during the measured run (app only). */
  reasons: Map<string, number>;
}

async function startServer(kind: ServerKind): Promise<RunningServer> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'server.ts'), kind], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const timeout = setTimeout(() => child.kill('SIGKILL'), 30_000);
  try {
    for await (const line of lines) {
      const port = (JSON.parse(line) as { port?: number }).port;
      if (typeof port === 'number') return { kind, url: `http://127.0.0.1:${port}`, child };
    }
  } finally {
    clearTimeout(timeout);
  }
  throw new Error(`bench server "${kind}" exited before printing its port (exit code ${child.exitCode})`);
}

async function stopServer(s: RunningServer): Promise<void> {
  if (s.child.exitCode !== null || s.child.signalCode !== null) return;
  const exited = once(s.child, 'exit');
  s.child.kill('SIGTERM');
  // app.close() waits for idle keep-alive sockets; don't let a stuck close hang the bench.
  const timer = setTimeout(() => s.child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/** Counts of `outbid_bid_requests_total` by `outcome:reason`. */
async function scrapeReasons(s: RunningServer): Promise<Map<string, number>> {
  const text = await (await fetch(`${s.url}/metrics`)).text();
  const out = new Map<string, number>();
  for (const m of text.matchAll(
    /^outbid_bid_requests_total\{outcome="([^"]*)",reason="([^"]*)"\} (\S+)$/gm,
  )) {
    out.set(m[2] ? `${m[1]}:${m[2]}` : m[1]!, Number(m[3]));
  }
  return out;
}

function delta(after: Map<string, number>, before: Map<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [k, v] of after) {
    const d = v - (before.get(k) ?? 0);
    if (d > 0) out.set(k, d);
  }
  return out;
}

function load(s: RunningServer, bodies: readonly string[], connections: number, durationSec: number) {
  // Fresh request objects per run: autocannon caches the serialised request (Host header included) on them.
  const requests = bodies.map((body) => ({
    method: 'POST',
    path: BID_PATH,
    headers: { 'content-type': 'application/json', 'x-openrtb-version': '2.6' },
    body,
  }));
  return autocannon({ url: s.url, connections, duration: durationSec, timeout: 10, requests });
}

async function measure(s: RunningServer, sc: Scenario, o: HttpBenchOptions): Promise<Measurement> {
  await load(s, sc.bodies, o.connections, o.warmupSec);
  const before = s.kind !== 'raw' ? await scrapeReasons(s) : new Map<string, number>();
  const result = await load(s, sc.bodies, o.connections, o.durationSec);
  const reasons = s.kind !== 'raw' ? delta(await scrapeReasons(s), before) : new Map<string, number>();
  return { scenario: sc.name, server: s.kind, result, reasons };
}

function statusCount(r: autocannon.Result, test: (code: number) => boolean): number {
  let n = 0;
  for (const [code, { count }] of Object.entries(r.statusCodeStats)) if (test(Number(code))) n += count;
  return n;
}

function report(
  ms: readonly Measurement[],
  o: HttpBenchOptions,
  corpusSize: number,
  bannerBytes: number,
): string {
  const perf: string[][] = [];
  const shares: string[][] = [];
  const reasons: string[] = [];
  const alarms: string[] = [];
  for (const m of ms) {
    const raw = ms.find((x) => x.scenario === m.scenario && x.server === 'raw');
    const rps = m.result.requests.average;
    const ratio = m.server !== 'raw' && raw ? pct(rps, raw.result.requests.average, 0) : '–';
    perf.push([
      `${m.scenario} · ${LABELS[m.server]}`,
      fmt(rps),
      fmt(m.result.latency.p50, 1),
      fmt(m.result.latency.p99, 1),
      ratio,
    ]);
    if (m.server === 'raw') continue;
    const r = m.result;
    const total = statusCount(r, () => true);
    const s5xx = statusCount(r, (c) => c >= 500);
    shares.push([
      `${m.scenario} · ${LABELS[m.server]}`,
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
      alarms.push(`**${s5xx} responses were 5xx in "${m.scenario}"** — the bid route must never answer 5xx.`);
    const technical = m.reasons.get('nobid:TECHNICAL_ERROR') ?? 0;
    if (technical > 0) {
      alarms.push(
        `**${technical} no-bids in "${m.scenario}" were TECHNICAL_ERROR** (a thrown error turned into 204).`,
      );
    }
    const sorted = [...m.reasons].sort((a, b) => b[1] - a[1]);
    const served = sorted.reduce((n, [, v]) => n + v, 0);
    reasons.push(
      `- ${m.scenario} · ${LABELS[m.server]}: ${sorted.map(([k, v]) => `${k} ${pct(v, served)}`).join(', ')}`,
    );
  }
  for (const a of alarms) console.error(`!!! ${a}`);
  return [
    `### HTTP: POST ${BID_PATH}`,
    '',
    `${o.connections} connections, no pipelining, ${o.warmupSec} s warm-up then ${o.durationSec} s measured per row; ` +
      `servers in child processes, autocannon in the parent. "corpus" cycles the ${corpusSize} ` +
      `prebid-server \`outgoing_to_bidder\` requests; "banner" repeats one ${fmt(bannerBytes)}-byte banner request ` +
      '(bench/bidder/fixtures/banner.json). Latency in ms, whole milliseconds (autocannon\u2019s histogram resolution).',
    '',
    markdownTable(['scenario · server', 'req/s', 'p50', 'p99', 'app/raw'], perf),
    '',
    'Outbid app responses:',
    '',
    markdownTable(
      ['scenario', 'responses', '200 bid', '204 no-bid', '4xx', '5xx', 'errors+timeouts'],
      shares,
    ),
    '',
    'Outcome:reason during the measured run, from the app\u2019s `/metrics`:',
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

/** Runs the HTTP benchmark and returns its markdown section. Servers are always stopped. */
export async function runHttpBench(o: HttpBenchOptions = DEFAULT_HTTP_OPTIONS): Promise<string> {
  const corpus = exchangeRequestBodies();
  const banner = bannerRequestBody();
  const scenarios: Scenario[] = [
    { name: 'corpus', bodies: shuffled(corpus) },
    { name: 'banner', bodies: [banner] },
  ];
  const started = await Promise.allSettled([
    startServer('raw'),
    startServer('app'),
    startServer('app-workers'),
  ]);
  const servers = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  try {
    for (const s of started) if (s.status === 'rejected') throw s.reason;
    const [raw, app, appWorkers] = servers as [RunningServer, RunningServer, RunningServer];
    const check = await fetch(`${app.url}${BID_PATH}`, {
      method: 'POST',
      body: banner,
      headers: { 'content-type': 'application/json' },
    });
    await check.arrayBuffer();
    if (check.status !== 200)
      console.error(`!!! the banner fixture got ${check.status} from the app, expected a 200 bid`);
    const ms: Measurement[] = [];
    for (const sc of scenarios) {
      for (const s of [raw, app, appWorkers]) {
        process.stderr.write(`http: ${sc.name} · ${s.kind}…\n`);
        ms.push(await measure(s, sc, o));
      }
    }
    return report(ms, o, corpus.length, Buffer.byteLength(banner));
  } finally {
    await Promise.all(servers.map(stopServer));
  }
}
