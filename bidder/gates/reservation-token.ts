import type { ReservationRef } from '../budget/budget-gate.ts';

/**
 * The budget reservations of one bid as they travel in its notice URLs (`r`, signed by
 * `NoticeSigner.gateQuery`), so whichever instance receives the billing can settle them against
 * the lease they were drawn from: entries `<budgetId>~<leaseId>~<dayKey>~<reservationId>` joined
 * by `!`. Neither separator can occur in an id (`[A-Za-z0-9_.:-]`), and both survive URLs unescaped.
 */
export function encodeReservations(refs: readonly ReservationRef[]): string {
  return refs.map((r) => `${r.campaignId}~${r.leaseId}~${r.dayKey}~${r.id}`).join('!');
}

const ENTRY =
  /^([A-Za-z0-9_.:-]{1,136})~(\d{1,15})~(\d{4}-\d{2}-\d{2})~([A-Za-z0-9_.:-]{1,96})\.([0-9a-z]{1,12})$/;

/** The reservations of a token; undefined when it is malformed (it was signed by us, so that is a bug or an old secret). */
export function decodeReservations(token: string): ReservationRef[] | undefined {
  if (token === '') return [];
  const out: ReservationRef[] = [];
  for (const entry of token.split('!')) {
    const m = ENTRY.exec(entry);
    if (m === null) return undefined;
    out.push({
      campaignId: m[1]!,
      leaseId: Number(m[2]),
      dayKey: m[3]!,
      holder: m[4]!,
      id: `${m[4]}.${m[5]}`,
    });
  }
  return out;
}
