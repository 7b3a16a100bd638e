import type { Imp } from '../openrtb/index.ts';
import { MarkupType } from '../openrtb/index.ts';
import type { CompiledCreative } from './compile-creative.ts';
import { assembleNative, type NativeRequest } from './native.ts';

/** How a creative fits an imp: the markup type, the size to declare and, for native, the assembled markup. */
export interface Fit {
  mtype: 1 | 2 | 3 | 4;
  w: number | undefined;
  h: number | undefined;
  /** Native creatives only: the response assembled for this imp's asset list. */
  nativeAdm: string | undefined;
  /** The `battr` list of the media object the creative fills. */
  battr: readonly number[] | null | undefined;
}

function durationFits(d: number | undefined, min: number | undefined, max: number | undefined): boolean {
  if (d === undefined) return (min ?? 0) <= 0 && (max ?? 0) <= 0;
  if (min !== undefined && min > 0 && d < min) return false;
  if (max !== undefined && max > 0 && d > max) return false;
  return true;
}

function mimeFits(mime: string | undefined, mimes: readonly string[] | null | undefined): boolean {
  if (!mimes || mimes.length === 0) return true;
  return mime !== undefined && mimes.includes(mime);
}

/**
 * Whether `cc` can fill `imp` by format, size, MIME type, duration and native assets (blocks,
 * https and prices are checked elsewhere). `nativeReq` is the imp's parsed native request.
 * The landing URL is the click target for native assembly.
 */
export function fitCreative(
  cc: CompiledCreative,
  imp: Imp,
  nativeReq: NativeRequest | undefined,
): Fit | undefined {
  const c = cc.creative;
  switch (c.format) {
    case 'banner': {
      const b = imp.banner;
      if (!b) return undefined;
      const hasSizes = (b.w && b.h) || (b.format && b.format.length > 0);
      if (hasSizes) {
        const match =
          (b.w === c.w && b.h === c.h) || (b.format?.some((f) => f.w === c.w && f.h === c.h) ?? false);
        if (!match) return undefined;
      }
      return { mtype: MarkupType.banner, w: c.w, h: c.h, nativeAdm: undefined, battr: b.battr };
    }
    case 'video': {
      const v = imp.video;
      if (!v || !mimeFits(c.mime, v.mimes) || !durationFits(c.durationSec, v.minduration, v.maxduration)) {
        return undefined;
      }
      return { mtype: MarkupType.video, w: v.w ?? c.w, h: v.h ?? c.h, nativeAdm: undefined, battr: v.battr };
    }
    case 'audio': {
      const a = imp.audio;
      if (!a || !mimeFits(c.mime, a.mimes) || !durationFits(c.durationSec, a.minduration, a.maxduration)) {
        return undefined;
      }
      return { mtype: MarkupType.audio, w: undefined, h: undefined, nativeAdm: undefined, battr: a.battr };
    }
    case 'native': {
      if (!imp.native || !nativeReq || !c.native) return undefined;
      const adm = assembleNative(nativeReq, c.native, c.landingUrl);
      if (adm === undefined) return undefined;
      return {
        mtype: MarkupType.native,
        w: undefined,
        h: undefined,
        nativeAdm: adm,
        battr: imp.native.battr,
      };
    }
  }
}
