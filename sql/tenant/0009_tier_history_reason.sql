-- Each tier change says why in words (TierReason): "Cancelled order 1: 2 orders in the window;
-- Diamond needs 3 orders". Changes recorded before get a sentence from what they kept.
ALTER TABLE tier_history ADD COLUMN reason text;
UPDATE tier_history
SET reason = initcap(replace(source, '_', ' ')) || ': from ' || coalesce(from_tier, 'no tier')
             || ' to ' || coalesce(to_tier, 'no tier');
ALTER TABLE tier_history ALTER COLUMN reason SET NOT NULL;
