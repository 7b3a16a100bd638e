export type { BidRequest, Deal, Imp } from './bid-request.ts';
export { BidRequestSchema } from './bid-request.ts';
export {
  type Bid,
  type BidResponse,
  BidResponseSchema,
  MarkupType,
  type NoBidResponse,
  NoBidResponseSchema,
} from './bid-response.ts';
export { jsonTooDeep, normalizeBidRequest, type ParseResult, parseBidRequest } from './parse-bid-request.ts';
