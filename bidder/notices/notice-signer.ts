import { createHmac, timingSafeEqual } from 'node:crypto';

/** The fields a notice URL carries and the signature protects. The clearing price is not signed: the exchange fills it in. */
export interface NoticeFields {
  /** Our bid id. */
  bid: string;
  /** The imp id. */
  imp: string;
  /** Line item, campaign and creative ids. */
  li: string;
  c: string;
  cr: string;
  /** Our bid price, integer micros of the response currency (upper bound for the clearing price). */
  bp: number;
  /** Response currency. */
  cur: string;
  /** When the bid was made, epoch ms. */
  ts: number;
  /** Auction type of the request (1 first price, 2 second price): what a clearing price tells the strategies. */
  at: number;
}

const FIELD_ORDER = ['bid', 'imp', 'li', 'c', 'cr', 'bp', 'cur', 'ts', 'at'] as const;

/** Signs and verifies notice URLs with HMAC-SHA256 (truncated to 128 bits, base64url). */
export class NoticeSigner {
  readonly #secret: Buffer;
  constructor(secret: string) {
    this.#secret = Buffer.from(secret, 'utf8');
  }

  #mac(f: NoticeFields): Buffer {
    const h = createHmac('sha256', this.#secret);
    // \x1f separates fields so ("a","bc") and ("ab","c") sign differently.
    h.update(
      `${f.bid}\x1f${f.imp}\x1f${f.li}\x1f${f.c}\x1f${f.cr}\x1f${f.bp}\x1f${f.cur}\x1f${f.ts}\x1f${f.at}`,
    );
    return h.digest().subarray(0, 16);
  }

  /** The signed query string (without `?`) for these fields; macros are appended by the caller. */
  query(f: NoticeFields): string {
    return (
      `bid=${encodeURIComponent(f.bid)}&imp=${encodeURIComponent(f.imp)}&li=${encodeURIComponent(f.li)}` +
      `&c=${encodeURIComponent(f.c)}&cr=${encodeURIComponent(f.cr)}&bp=${f.bp}&cur=${f.cur}&ts=${f.ts}&at=${f.at}` +
      `&sig=${this.#mac(f).toString('base64url')}`
    );
  }

  /** The fields of a notice query when its signature is valid, else undefined. */
  verify(q: Readonly<Record<string, unknown>>): NoticeFields | undefined {
    for (const k of FIELD_ORDER) if (typeof q[k] !== 'string') return undefined;
    if (typeof q.sig !== 'string') return undefined;
    const bp = Number(q.bp);
    const ts = Number(q.ts);
    const at = Number(q.at);
    if (!Number.isSafeInteger(bp) || bp < 0 || !Number.isSafeInteger(ts) || !Number.isSafeInteger(at))
      return undefined;
    const f: NoticeFields = {
      bid: q.bid as string,
      imp: q.imp as string,
      li: q.li as string,
      c: q.c as string,
      cr: q.cr as string,
      bp,
      cur: q.cur as string,
      ts,
      at,
    };
    const given = Buffer.from(q.sig, 'base64url');
    const expected = this.#mac(f);
    return given.length === expected.length && timingSafeEqual(given, expected) ? f : undefined;
  }
}
