import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { jsonTooDeep, parseBidRequest } from './parse-bid-request.ts';

describe('parseBidRequest', () => {
  it('coerces quoted numbers where the spec has numbers', () => {
    const r = parseBidRequest(
      '{"id":"r1","tmax":"120","imp":[{"id":"1","bidfloor":"0.5","secure":"1","banner":{"w":"300","h":250,"format":[{"w":"728","h":"90"}]}}]}',
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.request.tmax).toBe(120);
    expect(r.request.imp[0]?.bidfloor).toBe(0.5);
    expect(r.request.imp[0]?.secure).toBe(1);
    expect(r.request.imp[0]?.banner?.w).toBe(300);
    expect(r.request.imp[0]?.banner?.format?.[0]).toEqual({ w: 728, h: 90 });
  });

  it('moves OpenRTB 2.5 ext locations to their 2.6 fields', () => {
    const r = parseBidRequest(
      JSON.stringify({
        id: 'r',
        imp: [{ id: '1' }],
        regs: { ext: { gdpr: 1, us_privacy: '1YNN' } },
        user: {
          ext: { consent: 'CO-consent', eids: [{ source: 'id5-sync.com', uids: [{ id: 'x' }] }, 'junk'] },
        },
        source: { ext: { schain: { ver: '1.0', complete: 1, nodes: [] } } },
      }),
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.request.regs?.gdpr).toBe(1);
    expect(r.request.regs?.us_privacy).toBe('1YNN');
    expect(r.request.user?.consent).toBe('CO-consent');
    expect(r.request.user?.eids).toEqual([{ source: 'id5-sync.com', uids: [{ id: 'x' }] }]);
    expect(r.request.source?.schain).toEqual({ ver: '1.0', complete: 1, nodes: [] });
  });

  it('keeps 2.6 fields when both locations are present', () => {
    const r = parseBidRequest('{"id":"r","imp":[{"id":"1"}],"regs":{"gdpr":0,"ext":{"gdpr":1}}}');
    expect(r.ok && r.request.regs?.gdpr).toBe(0);
  });

  it('ignores unknown fields, odd ext values, nulls and unknown enum values', () => {
    const r = parseBidRequest(
      '{"id":"r","imp":[{"id":"1","ext":"not-an-object","banner":null,"video":{"mimes":null,"plcmt":99}}],"futureField":{"a":1},"regs":{"gdpr":null}}',
    );
    expect(r.ok).toBe(true);
  });

  it.each([
    ['not JSON', '{"id":', 'INVALID_JSON'],
    ['a JSON array', '[1,2]', 'INVALID_REQUEST'],
    ['a JSON string', '"x"', 'INVALID_REQUEST'],
    ['missing id', '{"imp":[{"id":"1"}]}', 'INVALID_REQUEST'],
    ['missing imp', '{"id":"r"}', 'INVALID_REQUEST'],
    ['empty imp', '{"id":"r","imp":[]}', 'INVALID_REQUEST'],
    ['imp without id', '{"id":"r","imp":[{}]}', 'INVALID_REQUEST'],
    ['imp as an object', '{"id":"r","imp":{"id":"1"}}', 'INVALID_REQUEST'],
    ['banner as a string', '{"id":"r","imp":[{"id":"1","banner":"300x250"}]}', 'INVALID_REQUEST'],
    ['deep nesting', `{"id":"r","imp":[{"id":"1"}],"ext":${'['.repeat(100)}${']'.repeat(100)}}`, 'TOO_DEEP'],
  ])('rejects %s with %s', (_name, body, code) => {
    const r = parseBidRequest(body);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.code).toBe(code);
  });

  it('names the offending field', () => {
    const r = parseBidRequest('{"id":"r","imp":[{"id":"1","bidfloor":"cheap"}]}');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toBe('/imp/0/bidfloor must be number');
  });

  it('parses bytes as well as strings', () => {
    expect(parseBidRequest(Buffer.from('{"id":"r","imp":[{"id":"1"}]}')).ok).toBe(true);
    expect(parseBidRequest(gzipSync('{}')).ok).toBe(false);
  });
});

describe('jsonTooDeep', () => {
  it('counts only brackets outside strings', () => {
    expect(jsonTooDeep(Buffer.from('{"a":"[[[[[[[[[["}'), 3)).toBe(false);
    expect(jsonTooDeep(Buffer.from('{"a":"\\"[[[[[["}'), 3)).toBe(false);
    expect(jsonTooDeep(Buffer.from('[[[[]]]]'), 3)).toBe(true);
    expect(jsonTooDeep(Buffer.from('[[[]]]'), 3)).toBe(false);
  });
});
