import type { Creative } from '../core/index.ts';

/** A creative with what the bid path needs precomputed once per campaign change. */
export interface CompiledCreative {
  readonly creative: Creative;
  /** True when every URL in the markup/assets is https (required by `imp.secure=1`). */
  readonly secure: boolean;
  /** `adomain` lower-cased, for `badv` and deal `wadomain`. */
  readonly adomain: readonly string[];
}

const INSECURE_URL = /http:\/\//i;

/** True when nothing in the creative loads or links over plain http (the landing URL becomes the click URL in the markup). */
export function isSecureCreative(c: Creative): boolean {
  if (!c.landingUrl.startsWith('https://')) return false;
  if (c.markup !== undefined && INSECURE_URL.test(c.markup)) return false;
  const n = c.native;
  if (n !== undefined) {
    if (n.image && !n.image.url.startsWith('https://')) return false;
    if (n.icon && !n.icon.url.startsWith('https://')) return false;
  }
  return true;
}

/** Precomputes a creative's bid-path facts. */
export function compileCreative(creative: Creative): CompiledCreative {
  return {
    creative,
    secure: isSecureCreative(creative),
    adomain: creative.adomain.map((d) => d.toLowerCase()),
  };
}
