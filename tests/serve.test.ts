import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { jsonFiles, malformedBodies, prebidServerRequests } from './support/corpus.ts';
import { ServeProcesses } from './support/serve-process.ts';

const ROOT = join(import.meta.dirname, '..');
const BANNER = JSON.stringify({
  id: 'serve-1',
  imp: [{ id: '1', banner: { w: 300, h: 250 } }],
  site: { domain: 'example.com', page: 'https://example.com/a' },
});

const processes = new ServeProcesses();
afterEach(() => processes.cleanup());
const start = (env: Record<string, string>) => processes.start(env);
const dataDir = () => processes.dataDir();

describe('outbid serve (a real process)', () => {
  it('seeds the demo campaigns, bids on plain and gzip bodies, and exposes health and metrics', async () => {
    const dir = dataDir();
    const s = await start({ DATA_DIR: dir });
    const base = `http://127.0.0.1:${s.port}`;
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    const plain = await fetch(`${base}/openrtb2/bid`, {
      method: 'POST',
      body: BANNER,
      headers: { 'content-type': 'application/json' },
    });
    expect(plain.status).toBe(200);
    const body = (await plain.json()) as { seatbid: { bid: { crid: string; price: number }[] }[] };
    expect(body.seatbid[0]?.bid[0]?.crid).toBe('cr-banner-300x250');
    const gz = await fetch(`${base}/openrtb2/bid`, {
      method: 'POST',
      body: gzipSync(BANNER),
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
    });
    expect(gz.status).toBe(200);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain('outbid_bid_requests_total{outcome="bid",reason=""} 2');
    expect(metrics).toContain('outbid_bid_duration_seconds_count{outcome="bid"} 2');
    expect(metrics).toContain('process_cpu_seconds_total');
    expect(existsSync(join(dir, 'secret'))).toBe(true);
  });

  it('answers the whole corpus over real HTTP without a 5xx, and stays up', async () => {
    const s = await start({ DATA_DIR: dataDir() });
    const bodies = [
      ...prebidServerRequests(),
      ...jsonFiles('spec-examples', 'prebid-openrtb-testdata'),
      ...malformedBodies(),
    ];
    const statuses = new Map<number, number>();
    for (const b of bodies) {
      const res = await fetch(`http://127.0.0.1:${s.port}/openrtb2/bid`, {
        method: 'POST',
        body: b.body,
        headers: { 'content-type': 'application/json' },
      });
      await res.arrayBuffer();
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    }
    expect([...statuses.keys()].sort()).toEqual([200, 204, 400]);
    expect([...statuses.values()].reduce((a, b) => a + b, 0)).toBe(bodies.length);
    expect((await fetch(`http://127.0.0.1:${s.port}/healthz`)).status).toBe(200);
    expect(s.child.exitCode).toBeNull();
  });

  it('finishes an in-flight request after SIGTERM, then exits 0 with the state snapshotted', async () => {
    const dir = dataDir();
    const s = await start({ DATA_DIR: dir });
    const socket = connect(s.port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    let response = '';
    socket.on('data', (d: Buffer) => {
      response += d.toString();
    });
    // tmax covers the deliberately slow upload: the deadline runs from the first byte of the request.
    const slow = BANNER.replace('"id":"serve-1"', '"id":"serve-1","tmax":5000');
    const half = Math.floor(slow.length / 2);
    socket.write(
      `POST /openrtb2/bid HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${slow.length}\r\n\r\n${slow.slice(0, half)}`,
    );
    await new Promise((r) => setTimeout(r, 200));
    s.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    expect(s.child.exitCode).toBeNull(); // still draining
    socket.write(slow.slice(half));
    const code = await s.exited;
    expect(response).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(response).toContain('"crid":"cr-banner-300x250"');
    expect(code).toBe(0);
    expect(s.stdout()).toContain('"msg":"stopped"');
    const snapshot = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as { version: number };
    expect(snapshot.version).toBe(1);
    socket.destroy();
  });

  it('keeps billed spend across a kill -9 without Redis (embedded budget journal)', async () => {
    const dir = dataDir();
    const env = { DATA_DIR: dir, OUTBID_ADMIN_KEY: 'k'.repeat(24), OUTBID_SECRET: 's'.repeat(32) };
    const first = await start(env);
    const res = await fetch(`http://127.0.0.1:${first.port}/openrtb2/bid`, { method: 'POST', body: BANNER });
    const burl = new URL(
      ((await res.json()) as { seatbid: { bid: { burl: string }[] }[] }).seatbid[0]!.bid[0]!.burl.replace(
        '${AUCTION_PRICE}',
        '1.2',
      ).replace('${AUCTION_MIN_TO_WIN}', ''),
    );
    const bill = (port: number) => fetch(`http://127.0.0.1:${port}${burl.pathname}${burl.search}`);
    expect(await (await bill(first.port)).json()).toEqual({ status: 'recorded' });
    first.child.kill('SIGKILL');
    await first.exited;
    const again = await start(env);
    // A retried billing after the restart is still a duplicate, and the spend is still there.
    expect(await (await bill(again.port)).json()).toEqual({ status: 'duplicate' });
    let spent = 0;
    for (let i = 0; i < 30 && spent === 0; i++) {
      await new Promise((r) => setTimeout(r, 200));
      const pacing = await fetch(`http://127.0.0.1:${again.port}/api/v1/pacing`, {
        headers: { authorization: `Bearer ${'k'.repeat(24)}` },
      });
      spent = ((await pacing.json()) as { campaigns: Record<string, { spentMicros: number }> }).campaigns[
        'cmp-display'
      ]!.spentMicros;
    }
    expect(spent).toBe(1200);
  });

  it('keeps campaigns in Redis when REDIS_URL is set', async () => {
    const prefix = `serve-test-${process.pid}-`;
    const s = await start({ DATA_DIR: dataDir(), REDIS_URL: inject('redisUrl'), REDIS_PREFIX: prefix });
    const res = await fetch(`http://127.0.0.1:${s.port}/openrtb2/bid`, { method: 'POST', body: BANNER });
    expect(res.status).toBe(200);
    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(0);
    // A second instance on the same Redis finds the campaigns already there and does not seed again.
    const again = await start({ DATA_DIR: dataDir(), REDIS_URL: inject('redisUrl'), REDIS_PREFIX: prefix });
    expect(again.stdout()).not.toContain('seeded demo campaigns');
    const res2 = await fetch(`http://127.0.0.1:${again.port}/openrtb2/bid`, { method: 'POST', body: BANNER });
    expect(res2.status).toBe(200);
  });

  it('refuses to start on invalid configuration and lists every problem', async () => {
    const child = spawn(process.execPath, ['bin/outbid.js', 'serve'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', PORT: 'abc', LOG_LEVEL: 'loud', DATA_DIR: dataDir() },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code).toBe(1);
    expect(err).toContain('PORT: must be integer');
    expect(err).toContain('LOG_LEVEL: must be one of');
  });
});
