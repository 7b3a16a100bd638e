import Type from 'typebox';
import type { ErrorDef } from '../core/index.ts';

/** The bidder's error catalog: every code the HTTP API returns in `{ error: { code, message } }`. Documented in README ("Errors"). */
export const BidderErrors = {
  BID_INVALID_JSON: { code: 'BID_INVALID_JSON', statusCode: 400, description: 'The body is not valid JSON' },
  BID_INVALID_REQUEST: {
    code: 'BID_INVALID_REQUEST',
    statusCode: 400,
    description: 'The body is JSON but not a valid OpenRTB bid request (missing `id`/`imp`, wrong types)',
  },
  BID_TOO_DEEP: {
    code: 'BID_TOO_DEEP',
    statusCode: 400,
    description: 'The JSON nests deeper than MAX_JSON_DEPTH',
  },
  BID_BODY_TOO_LARGE: {
    code: 'BID_BODY_TOO_LARGE',
    statusCode: 400,
    description: 'The body (or its decompressed form) exceeds BODY_LIMIT_BYTES',
  },
  BID_BAD_ENCODING: {
    code: 'BID_BAD_ENCODING',
    statusCode: 400,
    description: 'Unsupported `Content-Encoding`, or a gzip/deflate body that does not decompress',
  },
  NOTICE_BAD_SIGNATURE: {
    code: 'NOTICE_BAD_SIGNATURE',
    statusCode: 400,
    description: 'A notice URL whose ids or bid price do not match its signature',
  },
  NOTICE_BAD_PRICE: {
    code: 'NOTICE_BAD_PRICE',
    statusCode: 400,
    description: 'The clearing price is missing where required, not a number, negative, or above our bid',
  },
  API_DISABLED: {
    code: 'API_DISABLED',
    statusCode: 403,
    description: 'The admin API is off (OUTBID_ADMIN_KEY unset), or the feature it needs is not configured',
  },
  API_UNAUTHORIZED: {
    code: 'API_UNAUTHORIZED',
    statusCode: 401,
    description: 'Missing or wrong `Authorization: Bearer <OUTBID_ADMIN_KEY>`',
  },
  API_INVALID_BODY: {
    code: 'API_INVALID_BODY',
    statusCode: 400,
    description: 'An admin API body that is neither JSONL nor a JSON array',
  },
  HTTP_BAD_REQUEST: {
    code: 'HTTP_BAD_REQUEST',
    statusCode: 400,
    description: 'Any other malformed HTTP request',
  },
  HTTP_NOT_FOUND: { code: 'HTTP_NOT_FOUND', statusCode: 404, description: 'No such route' },
  INTERNAL: {
    code: 'INTERNAL',
    statusCode: 500,
    description: 'An internal fault outside the bid route (details are logged, not returned)',
  },
} as const satisfies Record<string, ErrorDef>;

/** The body of every error response. */
export const ErrorBodySchema = Type.Object({
  error: Type.Object({ code: Type.String(), message: Type.String() }),
});
