-- user_key: the user's id as the bidder saw it (user.buyeruid, else user.id, else device.ifa),
-- HMAC-SHA256'd with PROFILE_SALT so raw ids are never stored; on bid-tracked impression, click
-- and conversion rows, for attribution of postbacks by user id. Empty when the request had no id
-- or opted out (dnt, lmt, coppa).
-- conversion_id: the advertiser's order / conversion id of a postback (empty when none was sent).
-- 18.16 has no ADD COLUMN IF NOT EXISTS: migrate() checks system.columns and skips a column that
-- exists, so a run that died halfway through this file is safe to repeat.
ALTER TABLE events ADD COLUMN IF NOT EXISTS user_key String;
ALTER TABLE events ADD COLUMN IF NOT EXISTS conversion_id String;
