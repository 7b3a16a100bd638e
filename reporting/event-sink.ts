/**
 * Events emitted by the bidder. The ClickHouse-backed sink (events issue) implements the same
 * interface; until then the in-memory sink keeps them for tests and the process's lifetime.
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
    }
  | NoticeEvent;

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
}

/** Where events go. `emit` must be cheap and never throw on the bid path. */
export interface EventSink {
  emit(event: OutbidEvent): void;
  /** Delivers everything emitted so far (called on shutdown). */
  flush(): Promise<void>;
}

/** Keeps events in memory, newest last, up to `capacity` (oldest dropped first, counted in `dropped`). */
export class MemoryEventSink implements EventSink {
  readonly events: OutbidEvent[] = [];
  dropped = 0;
  readonly #capacity: number;
  constructor(capacity = 100_000) {
    this.#capacity = capacity;
  }
  emit(event: OutbidEvent): void {
    if (this.events.length >= this.#capacity) {
      this.events.shift();
      this.dropped++;
    }
    this.events.push(event);
  }
  async flush(): Promise<void> {}
  /** Events of one type. */
  ofType<T extends OutbidEvent['type']>(type: T): (OutbidEvent & { type: T })[] {
    return this.events.filter((e): e is OutbidEvent & { type: T } => e.type === type);
  }
}
