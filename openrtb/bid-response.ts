import Type, { type Static } from 'typebox';

/** One `seatbid.bid`. Prices are CPM in the response currency, as the spec has them. */
export const BidSchema = Type.Object({
  id: Type.String({ minLength: 1 }),
  impid: Type.String({ minLength: 1 }),
  price: Type.Number({ exclusiveMinimum: 0 }),
  nurl: Type.Optional(Type.String()),
  burl: Type.Optional(Type.String()),
  lurl: Type.Optional(Type.String()),
  adm: Type.Optional(Type.String()),
  adid: Type.Optional(Type.String()),
  adomain: Type.Array(Type.String()),
  bundle: Type.Optional(Type.String()),
  iurl: Type.Optional(Type.String()),
  cid: Type.String(),
  crid: Type.String(),
  cat: Type.Array(Type.String()),
  attr: Type.Optional(Type.Array(Type.Integer())),
  mtype: Type.Integer({ minimum: 1, maximum: 4 }),
  dealid: Type.Optional(Type.String()),
  language: Type.Optional(Type.String()),
  w: Type.Optional(Type.Integer()),
  h: Type.Optional(Type.Integer()),
  exp: Type.Optional(Type.Integer()),
});
/** A bid. */
export type Bid = Static<typeof BidSchema>;

/** A `seatbid`. */
export const SeatBidSchema = Type.Object({
  seat: Type.String(),
  bid: Type.Array(BidSchema, { minItems: 1 }),
});

/** The BidResponse with at least one bid. */
export const BidResponseSchema = Type.Object({
  id: Type.String(),
  bidid: Type.Optional(Type.String()),
  cur: Type.String({ minLength: 3, maxLength: 3 }),
  seatbid: Type.Array(SeatBidSchema, { minItems: 1 }),
});
/** A BidResponse carrying bids. */
export type BidResponse = Static<typeof BidResponseSchema>;

/** The empty response some exchanges want instead of a 204: `{ id, nbr }`. */
export const NoBidResponseSchema = Type.Object({
  id: Type.String(),
  nbr: Type.Integer({ minimum: 0 }),
});
/** A no-bid response body. */
export type NoBidResponse = Static<typeof NoBidResponseSchema>;

/** AdCOM `mtype`: markup type of a bid. */
export const MarkupType = { banner: 1, video: 2, audio: 3, native: 4 } as const;
