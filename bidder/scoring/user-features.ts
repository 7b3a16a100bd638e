import { profileKeyHash } from '../../core/index.ts';
import type { BidRequest } from '../../openrtb/index.ts';
import type { ScoringSegment } from './score.ts';

/** Settings of `userFeatures` (from config). */
export interface UserFeaturesOptions {
  /** `PROFILE_SALT`: the same salt the profile import hashed with. */
  readonly profileSalt: string;
  /** Skip hashing profile keys (an HMAC each) when no profile store will be asked. */
  readonly withoutProfileKeys?: boolean;
}

/** What the scoring step may use about the user and the context of one request. */
export interface UserFeatures {
  /**
   * True for `device.dnt = 1`, `device.lmt = 1` or `regs.coppa = 1`: score on context only. Then
   * `segments` and `profileKeys` are empty, so nothing about the user is read or looked up.
   */
  readonly contextualOnly: boolean;
  /**
   * `user.data[].segment[]` as `${data.id}:${segment.id}` (the bare segment id when the data
   * provider has no id: two providers' ids must not collide, and a table names them the same
   * way), then one presence feature `eid:${source}` per `user.eids[]` entry (source lower-cased).
   */
  readonly segments: readonly ScoringSegment[];
  /** Profile-store keys in lookup priority: `user.buyeruid`, `user.id`, `device.ifa`, each `profileKeyHash`ed; repeats and zeroed IFAs left out. */
  readonly profileKeys: readonly string[];
  readonly deviceType: number | undefined;
  readonly inventoryType: 'site' | 'app' | 'dooh' | undefined;
}

/** All-zero IFAs (`00000000-0000-0000-0000-000000000000`) are what devices send when tracking is limited: not a user. */
const ZEROED_ID = /^[0-]+$/;

function segmentsOf(req: BidRequest): ScoringSegment[] {
  const out: ScoringSegment[] = [];
  const user = req.user;
  if (!user) return out;
  for (const data of user.data ?? []) {
    const ns = data.id ? `${data.id}:` : '';
    for (const seg of data.segment ?? []) {
      if (!seg.id) continue;
      out.push(seg.value === undefined ? { id: ns + seg.id } : { id: ns + seg.id, value: seg.value });
    }
  }
  // eids are untyped objects in the schema (extensions vary by vendor): read `source` defensively.
  for (const eid of user.eids ?? []) {
    const source = (eid as { source?: unknown }).source;
    if (typeof source === 'string' && source !== '') out.push({ id: `eid:${source.toLowerCase()}` });
  }
  return out;
}

function profileKeysOf(req: BidRequest, salt: string): string[] {
  const raw: string[] = [];
  const add = (id: string | undefined) => {
    if (id && !raw.includes(id)) raw.push(id);
  };
  add(req.user?.buyeruid);
  add(req.user?.id);
  const ifa = req.device?.ifa;
  if (ifa && !ZEROED_ID.test(ifa)) add(ifa);
  return raw.map((id) => profileKeyHash(id, salt));
}

/** Extracts the scoring inputs of a validated, normalised request, honouring opt-outs first. */
export function userFeatures(req: BidRequest, opts: UserFeaturesOptions): UserFeatures {
  const device = req.device;
  const inventoryType = req.dooh ? 'dooh' : req.app ? 'app' : req.site ? 'site' : undefined;
  const contextualOnly = device?.dnt === 1 || device?.lmt === 1 || req.regs?.coppa === 1;
  return {
    contextualOnly,
    segments: contextualOnly ? [] : segmentsOf(req),
    profileKeys: contextualOnly || opts.withoutProfileKeys ? [] : profileKeysOf(req, opts.profileSalt),
    deviceType: device?.devicetype,
    inventoryType,
  };
}
