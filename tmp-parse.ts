import { parseBidRequest } from './openrtb/parse-bid-request.ts';
import { readFileSync } from 'node:fs';
const lines = readFileSync('../shared/openrtb/prebid-server/bid_requests.jsonl', 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const c: Record<string, number> = {};
const msgs: Record<string, number> = {};
for (const l of lines) {
  const r = parseBidRequest(JSON.stringify(l.request));
  const k = l.label + ':' + (r.ok ? 'ok' : r.code);
  c[k] = (c[k] ?? 0) + 1;
  if (!r.ok && l.label !== 'invalid') msgs[r.message] = (msgs[r.message] ?? 0) + 1;
}
console.log(c, msgs);
console.log(parseBidRequest('{"id":"1","imp":[{"id":"a","bidfloor":"0.5","banner":{"w":"300","h":250}}],"regs":{"ext":{"gdpr":1}}}'));
console.log(parseBidRequest('['.repeat(100)));
