-- Win-back campaigns send: each treated recipient is passed once by the send job (`contacted_at`,
-- taken in customer order by the primary key),
-- its message found by the campaign's reference; a campaign may start later or run again for
-- customers who newly lapse; an audience may be narrowed by a saved segment (by id: a segment
-- deleted later leaves the campaign to refuse its next preview or launch, naming it).
ALTER TABLE campaign_recipients DROP COLUMN message_id;
ALTER TABLE campaign_recipients ADD COLUMN contacted_at timestamptz;
-- A launch writes a row per recipient, a million in one statement for a large tenant, where each
-- foreign-key check is a query of its own (they were half of the launch's time). The rows are
-- written only from existing customers in the statement that reads them, campaigns are never
-- deleted, and a merge moves a recipient to the survivor before the merged customer is deleted
-- (`Campaigns`' reaction, tested), so the keys hold without the checks.
ALTER TABLE campaign_recipients
    DROP CONSTRAINT campaign_recipients_campaign_id_fkey,
    DROP CONSTRAINT campaign_recipients_customer_id_fkey;
-- An order's recovery finds the customer's open recipients by the customer index (a customer has
-- few), so the partial index is one more index a launch need not write.
DROP INDEX campaign_recipients_open_idx;

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
