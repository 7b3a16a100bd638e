import type { ConversionEvent, TrackEvent } from './sink/reporting-event.ts';

/**
 * Events emitted by the bidder. `ClickHouseEventSink` (reporting/sink/) records them durably in
 * ClickHouse; the in-memory sink keeps them for tests and the process's lifetime.
 * Money is integer micros of the account currency.
 */
export type OutbidEvent =
  | {
      type: 'bid';
      ts: number;
      bidId: string;
      requestId: string;
      impId: string;
      exchange: string;
      lineItemId: string;
      campaignId: string;
      creativeId: string;
      priceMicros: number;
      currency: string;
      dealId: string | undefined;
      /** The scores the price was based on (undefined without a score table). */
      pctr: number | undefined;
      pcvr: number | undefined;
      /** Probability with which the creative was drawn among the eligible ones (the optimizer's weights, else uniform). */
      propensity?: number;
      /** Unique id of the event; the ClickHouse sink derives `bid:<bidId>` when absent. */
      eventId?: string;
      /** The audience segment the bid targeted, for the hourly rollup. */
      segment?: string;
    }
  | NoticeEvent
  | TrackEvent
  | ConversionEvent
  | {
      /** A sampled no-bid (NOBID_SAMPLE_RATE), for the `nobid_reasons` report. */
      type: 'nobid';
      ts: number;
      /** Unique per event (request ids repeat across exchanges). */
      eventId: string;
      requestId: string;
      reason: string;
      exchange: string;
      segment?: string;
    };

/** A win, billing or loss notice, verified. `clearingMicros` is in the account currency. */
export interface NoticeEvent {
  type: 'win' | 'billing' | 'loss';
  ts: number;
  bidId: string;
  impId: string;
  lineItemId: string;
  campaignId: string;
  creativeId: string;
  clearingMicros: number | undefined;
  lossCode: number | undefined;
  /** Unique id of the event; the ClickHouse sink derives `<type>:<bidId>` when absent, so a retried notice dedups. */
  eventId?: string;
  /** The audience segment of the bid, for the hourly rollup. */
  segment?: string;
  /** The exchange the bid went to. */
  exchange?: string;
}

/** Where events go. `emit` must be cheap and never throw on the bid path. */
export interface EventSink {
  emit(event: OutbidEvent): void;
  /**
   * Resolves once the event is durably recorded (fsync'd spool or acknowledged insert), so a caller
   * may acknowledge it (billing notice, conversion postback) and a `kill -9` loses none. Sinks
   * without it are treated as durable on `emit`.
   */
  emitDurable?(event: OutbidEvent): Promise<void>;
  /** Delivers everything emitted so far (called on shutdown). */
  flush(): Promise<void>;
}

/**
 * Keeps the newest `capacity` events in memory in a ring buffer: the oldest is overwritten (and
 * counted in `dropped`) once full, at the same constant cost per emit
 * (bench/reporting/event-sink.bench.ts: an `Array#shift` queue cost ~150 µs per emit at 100,000).
 */
export class MemoryEventSink implements EventSink {
  dropped = 0;
  readonly #ring: (OutbidEvent | undefined)[];
  #next = 0;
  #size = 0;
  constructor(capacity = 100_000) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError('capacity must be a positive integer');
    this.#ring = new Array<OutbidEvent | undefined>(capacity);
  }
  emit(event: OutbidEvent): void {
    if (this.#size === this.#ring.length) this.dropped++;
    else this.#size++;
    this.#ring[this.#next] = event;
    this.#next = (this.#next + 1) % this.#ring.length;
  }
  /** Memory is as durable as this sink gets: recorded once held. */
  async emitDurable(event: OutbidEvent): Promise<void> {
    this.emit(event);
  }
  async flush(): Promise<void> {}
  /** The held events, oldest first (a copy). */
  get events(): OutbidEvent[] {
    const n = this.#ring.length;
    const start = (this.#next - this.#size + n) % n;
    const out: OutbidEvent[] = [];
    for (let i = 0; i < this.#size; i++) out.push(this.#ring[(start + i) % n]!);
    return out;
  }
  /** Held events of one type, oldest first. */
  ofType<T extends OutbidEvent['type']>(type: T): (OutbidEvent & { type: T })[] {
    return this.events.filter((e): e is OutbidEvent & { type: T } => e.type === type);
  }
}
