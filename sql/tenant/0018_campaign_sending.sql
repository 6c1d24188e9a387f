-- Win-back campaigns send: each treated recipient is passed once by the send job (`contacted_at`),
-- its message found by the campaign's reference; a campaign may start later or run again for
-- customers who newly lapse; an audience may be narrowed by a saved segment (by id: a segment
-- deleted later leaves the campaign to refuse its next preview or launch, naming it).
ALTER TABLE campaign_recipients DROP COLUMN message_id;
ALTER TABLE campaign_recipients ADD COLUMN contacted_at timestamptz;
-- What the send job takes next: the treated it has not passed yet.
CREATE INDEX campaign_recipients_due_idx ON campaign_recipients (campaign_id, customer_id)
    WHERE grp = 'treated' AND contacted_at IS NULL;

ALTER TABLE campaigns
    ADD COLUMN segment_id  bigint CHECK (segment_id > 0),
    ADD COLUMN schedule    text NOT NULL DEFAULT 'once' CHECK (schedule IN ('once', 'recurring')),
    ADD COLUMN start_at    timestamptz,
    ADD COLUMN every_days  integer CHECK (every_days BETWEEN 1 AND 90),
    ADD COLUMN next_run_at timestamptz,
    ADD CONSTRAINT campaigns_recurring_every CHECK ((schedule = 'recurring') = (every_days IS NOT NULL));
-- What the scheduler looks for: campaigns due to start or to run again.
CREATE INDEX campaigns_due_idx ON campaigns (next_run_at) WHERE next_run_at IS NOT NULL;

-- A campaign's messages, by its reference and the customer.
CREATE INDEX messages_source_ref_idx ON messages (source_ref, customer_id) WHERE source_ref IS NOT NULL;
