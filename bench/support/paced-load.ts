/**
 * An open-loop HTTP/1.1 load generator for latency at a given rate. Requests are scheduled evenly
 * (one every 1/rate s) over a fixed set of keep-alive connections with one request in flight per
 * connection, sent from a 1 ms timer (each tick sends the requests that have come due). A request
 * that finds every connection busy waits in a queue, and its latency counts from the tick that
 * issued it, so a slow server is not flattered by sending less (no coordinated omission).
 *
 * Why not autocannon's `overallRate`: autocannon enforces it per connection per 1 s tick. Each
 * connection sends its quota back to back as fast as the server answers, then pauses until the next
 * tick. At "50 % of max" the server therefore sees ~0.5 s at full load and ~0.5 s idle every second,
 * and the percentiles are those of full load.
 *
 * Minimal client: prebuilt request bytes, responses framed by `Content-Length` only (the servers
 * here never send chunked bodies; one that does is counted as an error). Microsecond timing.
 */
import { connect, type Socket } from 'node:net';

/** What a paced run measured. Latencies in ms. */
export interface PacedResult {
  /** Requests scheduled. */
  scheduled: number;
  /** Responses received within the run (plus the drain). */
  completed: number;
  /** Completed per second of the run. */
  rate: number;
  p50: number;
  p99: number;
  max: number;
  /** Connection errors plus requests still unanswered 2 s after the last one was due. */
  errors: number;
  statusCounts: Map<number, number>;
}

/** One request of the cycle. */
export interface PacedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

const nowNs = () => Number(process.hrtime.bigint());
const CRLFCRLF = Buffer.from('\r\n\r\n');
const CONTENT_LENGTH = /\r\ncontent-length:\s*(\d+)/i;
const CHUNKED = /\r\ntransfer-encoding:\s*chunked/i;

function requestBytes(r: PacedRequest, host: string): Buffer {
  const body = Buffer.from(r.body);
  const head = [`${r.method} ${r.path} HTTP/1.1`, `host: ${host}`, 'connection: keep-alive'];
  for (const [k, v] of Object.entries(r.headers)) head.push(`${k}: ${v}`);
  head.push(`content-length: ${body.length}`);
  return Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`), body]);
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

interface Conn {
  socket: Socket;
  buf: Buffer;
  /** Scheduled time (ns) of the request in flight, or -1 when idle. */
  inFlight: number;
}

/**
 * Sends `rate` requests per second for `durationSec` over `connections` connections to `url`
 * (http://host:port), cycling through `requests`. Waits up to 2 s after the last scheduled request
 * for stragglers; ones still unanswered count as errors.
 */
export async function pacedLoad(
  url: string,
  requests: readonly PacedRequest[],
  connections: number,
  rate: number,
  durationSec: number,
): Promise<PacedResult> {
  const { hostname, port } = new URL(url);
  const bytes = requests.map((r) => requestBytes(r, `${hostname}:${port}`));
  const total = Math.max(1, Math.round(rate * durationSec));
  const latencies = new Float64Array(total);
  const statusCounts = new Map<number, number>();
  const waiting: number[] = []; // scheduled times (ns) of requests waiting for a free connection
  let waitingHead = 0;
  let sent = 0;
  let completed = 0;
  let errors = 0;
  let next = 0; // request index in the cycle
  const idle: Conn[] = [];
  const conns: Conn[] = [];

  const send = (c: Conn, scheduledNs: number) => {
    c.inFlight = scheduledNs;
    c.socket.write(bytes[next++ % bytes.length]!);
  };
  let priming = 0;
  let onPrimed: () => void = () => {};
  const onFree = (c: Conn) => {
    if (c.inFlight === -1 && priming > 0) {
      idle.push(c);
      if (--priming === 0) onPrimed();
      return;
    }
    c.inFlight = -1;
    if (waitingHead < waiting.length) send(c, waiting[waitingHead++]!);
    else idle.push(c);
  };
  const onData = (c: Conn, chunk: Buffer) => {
    c.buf = c.buf.length === 0 ? chunk : Buffer.concat([c.buf, chunk]);
    for (;;) {
      const end = c.buf.indexOf(CRLFCRLF);
      if (end < 0) return;
      const head = c.buf.toString('latin1', 0, end);
      if (CHUNKED.test(head)) throw new Error('paced-load: chunked responses are not supported');
      const len = Number(CONTENT_LENGTH.exec(head)?.[1] ?? 0);
      if (c.buf.length < end + 4 + len) return;
      c.buf = c.buf.subarray(end + 4 + len);
      const status = Number(head.slice(9, 12));
      if (c.inFlight >= 0 && completed < total) {
        statusCounts.set(status, (statusCounts.get(status) ?? 0) + 1);
        latencies[completed++] = (nowNs() - c.inFlight) / 1e6;
      }
      onFree(c);
    }
  };

  await Promise.all(
    Array.from(
      { length: connections },
      () =>
        new Promise<void>((resolve, reject) => {
          const socket = connect(Number(port), hostname, () => resolve());
          socket.setNoDelay(true);
          const c: Conn = { socket, buf: Buffer.alloc(0), inFlight: -1 };
          conns.push(c);
          idle.push(c);
          socket.on('data', (chunk: Buffer) => onData(c, chunk));
          socket.on('error', (err) => {
            errors++;
            reject(err);
          });
        }),
    ),
  );

  // Prime every connection with one unmeasured request: the first exchange on a fresh connection
  // is slow on both sides, and 32 of them at once would start the run with a backlog.
  priming = conns.length;
  await new Promise<void>((resolve) => {
    onPrimed = resolve;
    for (const c of idle.splice(0)) send(c, -1);
  });
  const startNs = nowNs();
  const intervalNs = 1e9 / rate;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = nowNs();
      const due = Math.min(total, Math.floor((now - startNs) / intervalNs) + 1);
      while (sent < due) {
        // Latency counts from this tick, not from the ideal schedule: the timer's own lateness
        // (~1 ms ticks, more on a busy machine) is the generator's, not the server's. Waiting for
        // a free connection still counts.
        const scheduled = now;
        sent++;
        const c = idle.pop();
        if (c) send(c, scheduled);
        else waiting.push(scheduled);
      }
      if (sent >= total) {
        clearInterval(timer);
        resolve();
      }
    };
    const timer = setInterval(tick, 1);
    tick();
  });
  // Drain: give answers to the last requests up to 2 s.
  const drainUntil = Date.now() + 2000;
  while (completed < total && Date.now() < drainUntil) await new Promise((r) => setTimeout(r, 5));
  for (const c of conns) c.socket.destroy();
  const sorted = latencies.subarray(0, completed).sort();
  return {
    scheduled: total,
    completed,
    rate: completed / durationSec,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted.length > 0 ? sorted[sorted.length - 1]! : 0,
    errors: errors + (total - completed),
    statusCounts,
  };
}
