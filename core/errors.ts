/**
 * Base of every error catalog: a stable `code`, the HTTP status it maps to, and the cause kept.
 * Tests assert codes, never messages.
 */
export class OutbidError extends Error {
  readonly code: string;
  readonly statusCode: number;
  constructor(code: string, statusCode: number, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OutbidError';
    this.code = code;
    this.statusCode = statusCode;
  }
}

/** An entry of a module's error catalog. */
export interface ErrorDef {
  readonly code: string;
  readonly statusCode: number;
  readonly description: string;
}

/** Builds a typed error from a catalog entry. */
export function errorFrom(def: ErrorDef, message: string, cause?: unknown): OutbidError {
  return new OutbidError(def.code, def.statusCode, message, cause === undefined ? undefined : { cause });
}
