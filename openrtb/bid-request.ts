import Type, { type Static } from 'typebox';

/**
 * OpenRTB 2.6 BidRequest, limited to the fields Outbid reads; everything else (and every `ext`)
 * is accepted and ignored. Field names are the spec's. Numbers arrive quoted in real traffic, so
 * the validator coerces scalars (see `parse-bid-request.ts`); enum values outside the lists are
 * kept and simply match nothing.
 */

const Str = Type.String();
const Num = Type.Number();
const Int = Type.Integer();
const StrList = Type.Array(Str);
const IntList = Type.Array(Int);
/** Absent or null: real traffic sends `null` for objects and lists it has nothing for. */
function Opt<T extends Parameters<typeof Type.Optional>[0]>(schema: T) {
  return Type.Optional(Type.Union([schema, Type.Null()]));
}
/** `ext` is never validated: exchanges put anything there (strings, numbers, null). */
const Ext = Type.Optional(Type.Unknown());

/** Banner `format` entry. */
export const FormatSchema = Type.Object({ w: Type.Optional(Int), h: Type.Optional(Int) });

/** `imp.banner`. */
export const BannerSchema = Type.Object({
  w: Type.Optional(Int),
  h: Type.Optional(Int),
  format: Opt(Type.Array(FormatSchema)),
  battr: Opt(IntList),
  btype: Opt(IntList),
  mimes: Opt(StrList),
});

/** `imp.video`. */
export const VideoSchema = Type.Object({
  mimes: Opt(StrList),
  minduration: Type.Optional(Int),
  maxduration: Type.Optional(Int),
  protocols: Opt(IntList),
  w: Type.Optional(Int),
  h: Type.Optional(Int),
  battr: Opt(IntList),
  plcmt: Type.Optional(Int),
});

/** `imp.audio`. */
export const AudioSchema = Type.Object({
  mimes: Opt(StrList),
  minduration: Type.Optional(Int),
  maxduration: Type.Optional(Int),
  battr: Opt(IntList),
});

/** `imp.native`: `request` is the Native 1.x request as a JSON string (2.x) or, tolerated, an object. */
export const NativeSchema = Type.Object({
  request: Type.Optional(Type.Union([Str, Type.Object({})])),
  ver: Type.Optional(Str),
  battr: Opt(IntList),
});

/** `imp.pmp.deals[]`. */
export const DealSchema = Type.Object({
  id: Str,
  bidfloor: Type.Optional(Num),
  bidfloorcur: Type.Optional(Str),
  at: Type.Optional(Int),
  wseat: Opt(StrList),
  wadomain: Opt(StrList),
});

/** `imp.pmp`. */
export const PmpSchema = Type.Object({
  private_auction: Type.Optional(Int),
  deals: Opt(Type.Array(DealSchema)),
});

/** `imp`. */
export const ImpSchema = Type.Object({
  id: Type.String({ minLength: 1 }),
  banner: Opt(BannerSchema),
  video: Opt(VideoSchema),
  audio: Opt(AudioSchema),
  native: Opt(NativeSchema),
  pmp: Opt(PmpSchema),
  tagid: Type.Optional(Str),
  bidfloor: Type.Optional(Num),
  bidfloorcur: Type.Optional(Str),
  secure: Type.Optional(Int),
  instl: Type.Optional(Int),
  exp: Type.Optional(Int),
  ext: Ext,
});

const PublisherSchema = Type.Object({ id: Type.Optional(Str), domain: Type.Optional(Str) });
const ContentSchema = Type.Object({ cat: Opt(StrList), language: Type.Optional(Str) });

/** `site`. */
export const SiteSchema = Type.Object({
  id: Type.Optional(Str),
  domain: Type.Optional(Str),
  page: Type.Optional(Str),
  cat: Opt(StrList),
  sectioncat: Opt(StrList),
  pagecat: Opt(StrList),
  publisher: Opt(PublisherSchema),
  content: Opt(ContentSchema),
});

/** `app`. */
export const AppSchema = Type.Object({
  id: Type.Optional(Str),
  bundle: Type.Optional(Str),
  domain: Type.Optional(Str),
  cat: Opt(StrList),
  sectioncat: Opt(StrList),
  pagecat: Opt(StrList),
  publisher: Opt(PublisherSchema),
  content: Opt(ContentSchema),
});

/** `dooh` (OpenRTB 2.6-202301). */
export const DoohSchema = Type.Object({
  id: Type.Optional(Str),
  domain: Type.Optional(Str),
  publisher: Opt(PublisherSchema),
  content: Opt(ContentSchema),
});

/** `geo`. */
export const GeoSchema = Type.Object({
  country: Type.Optional(Str),
  region: Type.Optional(Str),
  utcoffset: Type.Optional(Int),
});

/** `device`. */
export const DeviceSchema = Type.Object({
  ua: Type.Optional(Str),
  geo: Opt(GeoSchema),
  devicetype: Type.Optional(Int),
  os: Type.Optional(Str),
  ifa: Type.Optional(Str),
  dnt: Type.Optional(Int),
  lmt: Type.Optional(Int),
  language: Type.Optional(Str),
  langb: Type.Optional(Str),
});

/** `user.data[]` with its segments. */
export const DataSchema = Type.Object({
  id: Type.Optional(Str),
  segment: Opt(Type.Array(Type.Object({ id: Type.Optional(Str), value: Type.Optional(Str) }))),
});

/** `user`. */
export const UserSchema = Type.Object({
  id: Type.Optional(Str),
  buyeruid: Type.Optional(Str),
  geo: Opt(GeoSchema),
  consent: Type.Optional(Str),
  data: Opt(Type.Array(DataSchema)),
  eids: Opt(Type.Array(Type.Object({}))),
  ext: Ext,
});

/** `source`. */
export const SourceSchema = Type.Object({
  tid: Type.Optional(Str),
  schain: Opt(Type.Object({})),
  ext: Ext,
});

/** `regs`. Null `gdpr` is seen in real traffic and means "unknown". */
export const RegsSchema = Type.Object({
  coppa: Type.Optional(Int),
  gdpr: Type.Optional(Type.Union([Int, Type.Null()])),
  us_privacy: Type.Optional(Str),
  gpp: Type.Optional(Str),
  gpp_sid: Opt(IntList),
  ext: Ext,
});

/** The BidRequest. */
export const BidRequestSchema = Type.Object({
  id: Type.String({ minLength: 1 }),
  imp: Type.Array(ImpSchema, { minItems: 1 }),
  site: Opt(SiteSchema),
  app: Opt(AppSchema),
  dooh: Opt(DoohSchema),
  device: Opt(DeviceSchema),
  user: Opt(UserSchema),
  test: Type.Optional(Int),
  at: Type.Optional(Int),
  tmax: Type.Optional(Int),
  wseat: Opt(StrList),
  bseat: Opt(StrList),
  cur: Opt(StrList),
  wlang: Opt(StrList),
  wlangb: Opt(StrList),
  bcat: Opt(StrList),
  badv: Opt(StrList),
  bapp: Opt(StrList),
  source: Opt(SourceSchema),
  regs: Opt(RegsSchema),
  ext: Ext,
});

/** A BidRequest as validated (fields Outbid does not read are present but untyped). */
export type BidRequest = Static<typeof BidRequestSchema>;
/** One `imp`. */
export type Imp = Static<typeof ImpSchema>;
/** One deal. */
export type Deal = Static<typeof DealSchema>;
