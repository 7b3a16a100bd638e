/**
 * What the tracking URLs add to each bid: the signed impression pixel and click URL
 * (bidder/notices/tracking-signer.ts) next to the baseline measured in the same run, the notice
 * query every bid already signs (`NoticeSigner.query`). The first design signed each URL with its
 * own HMAC (9.3–14.0 µs per bid, 1.9–4.8× the baseline, 2026-11-22); it is kept here as
 * `twoHmacs` for the comparison.
 * Run alone: `node --import tsx bench/reporting/tracking-urls.bench.ts`.
 */
import { performance } from 'node:perf_hooks';
import { NoticeSigner } from '../../bidder/notices/notice-signer.ts';
import { type TrackingFields, trackingQueries } from '../../bidder/notices/tracking-signer.ts';
import { fmt, markdownTable } from '../support/table.ts';

const N = 200_000;

function perCall(fn: (i: number) => string): number {
  let sink = 0;
  for (let i = 0; i < 20_000; i++) sink += fn(i).length; // warm-up
  const t0 = performance.now();
  for (let i = 0; i < N; i++) sink += fn(i).length;
  const us = ((performance.now() - t0) * 1000) / N;
  if (sink === 0) throw new Error('unreachable');
  return us;
}

export function runTrackingUrlsBench(): string {
  const signer = new NoticeSigner('bench-secret-bench-secret-bench-secret');
  const fields = (i: number) => ({
    bid: `abcdefgh-${i}`,
    imp: '1',
    li: 'li-display-open',
    c: 'cmp-display',
    cr: 'cr-banner-300x250',
    x: 'default',
    ts: 1_790_000_000_000 + i,
    u: 'Zq3v9d0mN2k8rT1x5Y7w4A',
    sg: '',
  });
  const landing = 'https://acme-outdoor.example/spring?utm_source=outbid';
  const notice = perCall((i) =>
    signer.query({
      bid: `abcdefgh-${i}`,
      imp: '1',
      li: 'li',
      c: 'c',
      cr: 'cr',
      bp: 1_500_000,
      cur: 'USD',
      ts: i,
      at: 2,
      sg: '',
    }),
  );
  const msg = (f: TrackingFields) =>
    `${f.bid}\x1f${f.imp}\x1f${f.li}\x1f${f.c}\x1f${f.cr}\x1f${f.x}\x1f${f.ts}\x1f${f.u}`;
  const q = (f: TrackingFields) =>
    `bid=${encodeURIComponent(f.bid)}&imp=${encodeURIComponent(f.imp)}&li=${encodeURIComponent(f.li)}&c=${encodeURIComponent(f.c)}&cr=${encodeURIComponent(f.cr)}&x=${encodeURIComponent(f.x)}&ts=${f.ts}&u=${encodeURIComponent(f.u)}`;
  const twoHmacs = perCall((i) => {
    const f = fields(i);
    return (
      `${q(f)}&sig=${signer.tag('imp', msg(f))}` +
      `${q(f)}&url=${encodeURIComponent(landing)}&sig=${signer.tag('click', `${msg(f)}\x1f${landing}`)}`
    );
  });
  const tracking = perCall((i) => {
    const t = trackingQueries(signer, fields(i), landing);
    return t.impression + t.click;
  });
  return markdownTable(
    ['per bid', 'µs', 'ratio'],
    [
      ['baseline: notice query (NoticeSigner.query)', fmt(notice, 2), '1.00'],
      [
        'impression + click URLs, one HMAC over fields + cached landing digest',
        fmt(tracking, 2),
        fmt(tracking / notice, 2),
      ],
      ['same, first design: one HMAC per URL', fmt(twoHmacs, 2), fmt(twoHmacs / notice, 2)],
    ],
  );
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(runTrackingUrlsBench());
