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
  /** The audience segment the bid was for (`targeting.segments`), '' when none. */
  sg: string;
  /** The budget reservations of the bid (`encodeReservations`), '' when none. */
  r: string;
  /** The user's frequency key when the bid is frequency-capped, '' when not. */
  u: string;
}

/** The fields the main thread adds after the decision (budget gate, frequency hold), under a signature of their own. */
export type GateFields = Pick<NoticeFields, 'bid' | 'r' | 'u'>;

const FIELD_ORDER = ['bid', 'imp', 'li', 'c', 'cr', 'bp', 'cur', 'ts', 'at'] as const;

/**
 * Signs and verifies notice URLs with HMAC-SHA256 (truncated to 128 bits, base64url). Two
 * signatures: `sig` over the bid (made wherever the response is built, a scoring worker included)
 * and `gs` over what the main thread adds once the budget and frequency gates have admitted the
 * bid (`r`, `u`) — so a worker can serialise the response before the gates run, and nobody can
 * move a bid's billing onto another reservation or user.
 */
export class NoticeSigner {
  readonly #secret: Buffer;
  constructor(secret: string) {
    this.#secret = Buffer.from(secret, 'utf8');
  }

  #mac(f: Omit<NoticeFields, 'r' | 'u'>): Buffer {
    const h = createHmac('sha256', this.#secret);
    // \x1f separates fields so ("a","bc") and ("ab","c") sign differently. A segment is appended
    // only when there is one, so URLs without it sign as they did before segments existed.
    h.update(
      `${f.bid}\x1f${f.imp}\x1f${f.li}\x1f${f.c}\x1f${f.cr}\x1f${f.bp}\x1f${f.cur}\x1f${f.ts}\x1f${f.at}${f.sg === '' ? '' : `\x1fsg\x1f${f.sg}`}`,
    );
    return h.digest().subarray(0, 16);
  }

  #gateMac(f: GateFields): Buffer {
    const h = createHmac('sha256', this.#secret);
    h.update(`gate\x1f${f.bid}\x1f${f.r}\x1f${f.u}`);
    return h.digest().subarray(0, 16);
  }

  /**
   * HMAC-SHA256 (128 bits, base64url) of `message` under this secret, domain-separated by `purpose`,
   * for other signed URLs of ours (tracking-signer.ts) that must not be interchangeable with notices.
   */
  tag(purpose: string, message: string): string {
    const h = createHmac('sha256', this.#secret);
    h.update(`${purpose}\x1e${message}`);
    return h.digest().subarray(0, 16).toString('base64url');
  }

  /** The signed gate parameters (`&r=…&u=…&gs=…`) to append to a bid's notice query. */
  gateQuery(f: GateFields): string {
    return `&r=${encodeURIComponent(f.r)}&u=${encodeURIComponent(f.u)}&gs=${this.#gateMac(f).toString('base64url')}`;
  }

  /** The signed query string (without `?`) for the bid fields (`r`/`u` are signed by `gateQuery`); macros are appended by the caller. */
  query(f: Omit<NoticeFields, 'r' | 'u'>): string {
    return (
      `bid=${encodeURIComponent(f.bid)}&imp=${encodeURIComponent(f.imp)}&li=${encodeURIComponent(f.li)}` +
      `&c=${encodeURIComponent(f.c)}&cr=${encodeURIComponent(f.cr)}&bp=${f.bp}&cur=${f.cur}&ts=${f.ts}&at=${f.at}` +
      `${f.sg === '' ? '' : `&sg=${encodeURIComponent(f.sg)}`}&sig=${this.#mac(f).toString('base64url')}`
    );
  }

  /** The fields of a notice query when its signature is valid, else undefined. */
  verify(q: Readonly<Record<string, unknown>>): NoticeFields | undefined {
    for (const k of FIELD_ORDER) if (typeof q[k] !== 'string') return undefined;
    if (typeof q.sig !== 'string') return undefined;
    if (q.sg !== undefined && typeof q.sg !== 'string') return undefined;
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
      sg: (q.sg as string | undefined) ?? '',
      r: '',
      u: '',
    };
    if (!macEquals(q.sig, this.#mac(f))) return undefined;
    if (q.r === undefined && q.u === undefined && q.gs === undefined) return f;
    if (typeof q.r !== 'string' || typeof q.u !== 'string' || typeof q.gs !== 'string') return undefined;
    f.r = q.r;
    f.u = q.u;
    return macEquals(q.gs, this.#gateMac(f)) ? f : undefined;
  }
}

function macEquals(given: string, expected: Buffer): boolean {
  const g = Buffer.from(given, 'base64url');
  return g.length === expected.length && timingSafeEqual(g, expected);
}
