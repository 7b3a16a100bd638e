import Type, { type Static } from 'typebox';

/**
 * Segment scoring: the contract between the optimizer (which fits and writes score tables) and
 * the bidder (which compiles them and scores requests). A table holds one logistic model for
 * pCTR and optionally one for pCVR (post-click conversion rate):
 *
 *   p = sigmoid(bias + Σ weight[segment] × value(segment) + w.deviceType[d] + w.inventoryType[i] + w.hour[h])
 *
 * `value(segment)` is 1 (`segmentValues: 'binary'`, the default) or the segment's numeric
 * `value` (`'numeric'`). Absent keys weigh 0. Weights are bounded to ±1e6 so that a sum of them
 * cannot overflow to ±Infinity and turn the logit into NaN.
 */

const Id = Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_.:-]+$' });
const Weight = Type.Number({ minimum: -1e6, maximum: 1e6 });

/** A logistic model over segments and request context. */
export const LogisticModelSchema = Type.Object({
  bias: Weight,
  /** Segment id → weight. Ids as the bidder sees them: `${data.id}:${segment.id}`, `eid:${source}`, or profile segment ids verbatim. */
  segments: Type.Record(Type.String({ pattern: '^.{1,256}$' }), Weight, { additionalProperties: false }),
  /** `binary` (default): a present segment contributes its weight; `numeric`: weight × the segment's numeric `value` (segments without one contribute nothing). */
  segmentValues: Type.Optional(Type.Union([Type.Literal('binary'), Type.Literal('numeric')])),
  context: Type.Optional(
    Type.Object({
      /** AdCOM device type (`"1"`…`"99"`) → weight. */
      deviceType: Type.Optional(
        Type.Record(Type.String({ pattern: '^[1-9][0-9]?$' }), Weight, { additionalProperties: false }),
      ),
      /** Inventory type → weight. */
      inventoryType: Type.Optional(
        Type.Object(
          { site: Type.Optional(Weight), app: Type.Optional(Weight), dooh: Type.Optional(Weight) },
          { additionalProperties: false },
        ),
      ),
      /** Hour of day in the campaign time zone (`"0"`…`"23"`) → weight. */
      hour: Type.Optional(
        Type.Record(Type.String({ pattern: '^([0-9]|1[0-9]|2[0-3])$' }), Weight, {
          additionalProperties: false,
        }),
      ),
    }),
  ),
});
/** A logistic model. */
export type LogisticModel = Static<typeof LogisticModelSchema>;

/** The score table of one line item: a versioned pCTR model and an optional pCVR model. */
export const ScoreTableSchema = Type.Object({
  id: Id,
  /** The line item it scores; at most one table per line item. */
  lineItemId: Id,
  /** Model version, bumped by whoever refits the table (reported with decisions; the store has its own version). */
  version: Type.Integer({ minimum: 1 }),
  ctr: LogisticModelSchema,
  cvr: Type.Optional(LogisticModelSchema),
  /** Expected value of one conversion, account micros (what target-ROAS bidding multiplies pCVR by). */
  conversionValueMicros: Type.Optional(Type.Integer({ minimum: 0 })),
});
/** A score table. */
export type ScoreTable = Static<typeof ScoreTableSchema>;

/** One segment of a user profile, in OpenRTB's `user.data[].segment[]` shape (`value` is a string there too). */
export const ProfileSegmentSchema = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 256 }),
  value: Type.Optional(Type.String({ maxLength: 256 })),
});
/** A profile segment. */
export type ProfileSegment = Static<typeof ProfileSegmentSchema>;

/** The segments stored for one user. */
export const ProfileSegmentsSchema = Type.Array(ProfileSegmentSchema, { maxItems: 1024 });
/** The segments of one profile. */
export type ProfileSegments = readonly ProfileSegment[];
