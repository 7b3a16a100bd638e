import { furtherReason, type NoBidReasonName } from '../../core/index.ts';
import type { BidResponse } from '../../openrtb/index.ts';
import type { OutbidEvent } from '../../reporting/index.ts';
import { gateMarker } from '../bidding/build-response.ts';
import type { Admission } from './bid-gates.ts';

/** A response whose bids the gates have admitted (gate parameters in their URLs), or the no-bid they came to. */
export type Gated<R> =
  | { readonly kind: 'bid'; readonly response: R; readonly events: OutbidEvent[]; readonly mtypes: number[] }
  | { readonly kind: 'nobid'; readonly reason: NoBidReasonName };

function turnedAway(admissions: readonly Admission[]): NoBidReasonName {
  let reason: NoBidReasonName = 'NO_MATCHING_LINE_ITEM';
  for (const a of admissions) if (!a.ok) reason = furtherReason(reason, a.reason);
  return reason;
}

function keep(
  admissions: readonly Admission[],
  events: readonly OutbidEvent[],
  mtypes: readonly number[],
): { events: OutbidEvent[]; mtypes: number[]; admitted: Map<string, string> } {
  const admitted = new Map<string, string>();
  const kept: number[] = [];
  admissions.forEach((a, i) => {
    if (a.ok) {
      admitted.set(a.bidId, a.gateQuery);
      kept.push(mtypes[i]!);
    }
  });
  return {
    events: events.filter((e) => e.type !== 'bid' || admitted.has(e.bidId)),
    mtypes: kept,
    admitted,
  };
}

/** Applies the gates' answers to a response object built in this thread: drops bids turned away, signs the rest's URLs. */
export function gateResponse(
  response: BidResponse,
  events: readonly OutbidEvent[],
  mtypes: readonly number[],
  admissions: readonly Admission[],
): Gated<BidResponse> {
  const k = keep(admissions, events, mtypes);
  if (k.admitted.size === 0) return { kind: 'nobid', reason: turnedAway(admissions) };
  for (const seat of response.seatbid ?? []) {
    seat.bid = seat.bid.filter((b) => k.admitted.has(b.id));
    for (const b of seat.bid) {
      const marker = gateMarker(b.id);
      const q = k.admitted.get(b.id)!;
      if (b.nurl !== undefined) b.nurl = b.nurl.replace(marker, q);
      if (b.burl !== undefined) b.burl = b.burl.replace(marker, q);
      if (b.lurl !== undefined) b.lurl = b.lurl.replace(marker, q);
    }
  }
  return { kind: 'bid', response, events: k.events, mtypes: k.mtypes };
}

/**
 * The same for a response a worker serialised already. When every bid is admitted, the gate
 * parameters replace the markers in the JSON text (a few string scans, no re-serialisation); when
 * some are turned away, the response is parsed, filtered and serialised again — the rare path.
 */
export function gateJson(
  json: string,
  events: readonly OutbidEvent[],
  mtypes: readonly number[],
  admissions: readonly Admission[],
): Gated<string> {
  const k = keep(admissions, events, mtypes);
  if (k.admitted.size === 0) return { kind: 'nobid', reason: turnedAway(admissions) };
  let text = json;
  if (k.admitted.size < admissions.length) {
    const response = JSON.parse(text) as BidResponse;
    for (const seat of response.seatbid ?? []) seat.bid = seat.bid.filter((b) => k.admitted.has(b.id));
    text = JSON.stringify(response);
  }
  for (const [bidId, q] of k.admitted) text = text.replaceAll(gateMarker(bidId), q);
  return { kind: 'bid', response: text, events: k.events, mtypes: k.mtypes };
}
