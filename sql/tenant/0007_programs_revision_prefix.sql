-- Each replacement of a programme's tiers counts up its revision. The re-evaluation job queued with
-- a replacement runs for that revision (and stands down if a later one replaced it meanwhile); an
-- order evaluated while tiers were replaced decides again under the revision it finds.
ALTER TABLE programs ADD COLUMN tiers_revision bigint NOT NULL DEFAULT 1 CHECK (tiers_revision >= 1);

-- Card numbers are the prefix, a sequence number per programme and a check digit: two programmes
-- with one prefix would hand out the same numbers.
CREATE UNIQUE INDEX programs_card_prefix_key ON programs (card_prefix);
