import type { NativeAssets } from '../core/index.ts';

/**
 * OpenRTB Dynamic Native Ads 1.0–1.2: the subset of the request markup Outbid reads, and the
 * assembly of a response from a creative's assets. Asset ids in the response must echo the
 * request's (Native 1.2 §5.3).
 */

/** One asset of a native request. */
export interface NativeRequestAsset {
  id: number;
  required: boolean;
  title?: { len?: number };
  img?: { type?: number; w?: number; h?: number; wmin?: number; hmin?: number };
  data?: { type?: number; len?: number };
  video?: object;
}

/** A parsed native request. `wrapped` is true for 1.0/1.1 bodies that sit under a `native` key. */
export interface NativeRequest {
  assets: NativeRequestAsset[];
  wrapped: boolean;
  ver: string | undefined;
}

/** Native data asset types (Native 1.2 §7.4). */
const DATA_SPONSORED = 1;
const DATA_DESC = 2;
const DATA_CTA = 12;
/** Native image asset types (§7.4): 1 icon, 3 main. */
const IMG_ICON = 1;

function num(v: unknown): number | undefined {
  const n = typeof v === 'string' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
}

function obj(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;
}

/** Parses `imp.native.request` (a JSON string, or an object from lenient exchanges). Undefined when unusable. */
export function parseNativeRequest(request: unknown): NativeRequest | undefined {
  let value: unknown = request;
  if (typeof request === 'string') {
    try {
      value = JSON.parse(request);
    } catch {
      return undefined;
    }
  }
  let root = obj(value);
  if (root === undefined) return undefined;
  const wrapped = obj(root.native) !== undefined;
  if (wrapped) root = obj(root.native)!;
  if (!Array.isArray(root.assets)) return undefined;
  const assets: NativeRequestAsset[] = [];
  for (const a of root.assets) {
    const o = obj(a);
    const id = num(o?.id);
    if (o === undefined || id === undefined) return undefined;
    const asset: NativeRequestAsset = { id, required: num(o.required) === 1 };
    const title = obj(o.title);
    const img = obj(o.img);
    const data = obj(o.data);
    if (title) {
      const len = num(title.len);
      asset.title = len === undefined ? {} : { len };
    }
    if (img) {
      asset.img = {};
      for (const k of ['type', 'w', 'h', 'wmin', 'hmin'] as const) {
        const n = num(img[k]);
        if (n !== undefined) asset.img[k] = n;
      }
    }
    if (data) {
      asset.data = {};
      const type = num(data.type);
      const len = num(data.len);
      if (type !== undefined) asset.data.type = type;
      if (len !== undefined) asset.data.len = len;
    }
    if (obj(o.video)) asset.video = o.video as object;
    assets.push(asset);
  }
  return { assets, wrapped, ver: typeof root.ver === 'string' ? root.ver : undefined };
}

type ResponseAsset = {
  id: number;
  title?: { text: string };
  img?: { url: string; w: number; h: number };
  data?: { value: string };
};

function fill(asset: NativeRequestAsset, n: NativeAssets): ResponseAsset | undefined {
  if (asset.title) {
    const len = asset.title.len;
    if (len !== undefined && len > 0 && n.title.length > len) return undefined;
    return { id: asset.id, title: { text: n.title } };
  }
  if (asset.img) {
    const image = asset.img.type === IMG_ICON ? n.icon : n.image;
    if (!image) return undefined;
    const { w, h, wmin, hmin } = asset.img;
    if (w !== undefined && h !== undefined && w > 0 && h > 0 && (image.w !== w || image.h !== h))
      return undefined;
    if ((wmin !== undefined && image.w < wmin) || (hmin !== undefined && image.h < hmin)) return undefined;
    return { id: asset.id, img: { url: image.url, w: image.w, h: image.h } };
  }
  if (asset.data) {
    const value =
      asset.data.type === DATA_SPONSORED
        ? n.sponsoredBy
        : asset.data.type === DATA_DESC
          ? n.description
          : asset.data.type === DATA_CTA
            ? n.cta
            : undefined;
    if (value === undefined) return undefined;
    const len = asset.data.len;
    if (len !== undefined && len > 0 && value.length > len) return undefined;
    return { id: asset.id, data: { value } };
  }
  return undefined;
}

/**
 * Builds the native response for a request from a creative's assets, or undefined when a required
 * asset cannot be filled (then the creative does not fit the imp).
 */
export function assembleNative(req: NativeRequest, n: NativeAssets, clickUrl: string): string | undefined {
  const assets: ResponseAsset[] = [];
  for (const a of req.assets) {
    const filled = fill(a, n);
    if (filled) assets.push(filled);
    else if (a.required) return undefined;
  }
  if (assets.length === 0) return undefined;
  // Answer in the request's version: 1.0/1.1 wrap the response in `native` and expect their own `ver`.
  const body = { ver: req.ver ?? (req.wrapped ? '1.1' : '1.2'), assets, link: { url: clickUrl } };
  return JSON.stringify(req.wrapped ? { native: body } : body);
}
