-- Consent per channel and purpose: a customer may agree to service messages about their bookings
-- on a channel and refuse marketing on it. Consents recorded before purposes existed covered the
-- channel as a whole, so each becomes one statement for each purpose.
ALTER TABLE consents DROP CONSTRAINT consents_pkey;
ALTER TABLE consents ADD COLUMN purpose text NOT NULL DEFAULT 'marketing'
    CHECK (purpose IN ('marketing', 'service'));
INSERT INTO consents (customer_id, channel, purpose, granted, recorded_at, source)
SELECT customer_id, channel, 'service', granted, recorded_at, source FROM consents;
ALTER TABLE consents ALTER COLUMN purpose DROP DEFAULT;
ALTER TABLE consents ADD PRIMARY KEY (customer_id, channel, purpose);

-- Every consent statement as it was recorded (the table above keeps the latest per channel and
-- purpose): the proof of when a customer agreed or withdrew, and the timeline's consent entries.
CREATE TABLE consent_history (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    channel     text NOT NULL,
    purpose     text NOT NULL,
    granted     boolean NOT NULL,
    recorded_at timestamptz NOT NULL,
    source      text NOT NULL
);
CREATE INDEX consent_history_customer_idx ON consent_history (customer_id, recorded_at DESC, id DESC);
INSERT INTO consent_history (customer_id, channel, purpose, granted, recorded_at, source)
SELECT customer_id, channel, purpose, granted, recorded_at, source FROM consents ORDER BY recorded_at;

-- Messages to customers: what was sent on which channel for which purpose, and what became of it.
-- `queued` until the worker sends it; then `sent`, and `delivered` or `bounced` where the channel
-- tells; `failed` when the channel refused it for good; `suppressed` when consent was missing or
-- withdrawn by the time of sending. The address and text are erased with the customer.
CREATE TABLE messages (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id     bigint NOT NULL REFERENCES customers (id),
    channel         text NOT NULL CHECK (channel IN ('email', 'sms', 'wechat')),
    purpose         text NOT NULL CHECK (purpose IN ('marketing', 'service')),
    template        text CHECK (length(template) <= 60),
    source          text NOT NULL CHECK (length(source) BETWEEN 1 AND 100),
    source_ref      text CHECK (length(source_ref) <= 200),
    address         text CHECK (length(address) <= 254),
    subject         text CHECK (length(subject) <= 400),
    body            text CHECK (length(body) <= 40000),
    -- The links of the body in order; a click goes through `/r/<signed token>` naming its index.
    links           text[] NOT NULL DEFAULT '{}' CHECK (cardinality(links) <= 50),
    state           text NOT NULL DEFAULT 'queued'
                    CHECK (state IN ('queued', 'sent', 'delivered', 'bounced', 'failed', 'suppressed')),
    state_reason    text CHECK (length(state_reason) <= 500),
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,
    delivered_at    timestamptz,
    bounced_at      timestamptz,
    first_click_at  timestamptz,
    clicks          integer NOT NULL DEFAULT 0,
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX messages_customer_idx ON messages (customer_id, created_at DESC, id DESC);
CREATE INDEX messages_created_idx ON messages (created_at DESC, id DESC);

-- The timeline gains consent statements, messages and tier changes.
CREATE OR REPLACE VIEW timeline_events AS
    SELECT customer_id, ordered_at AS occurred_at, 'order'::text AS kind, id,
           jsonb_build_object(
               'order_id', id::text, 'external_id', external_id, 'amount_minor', amount_minor,
               'currency', currency, 'product_name', product_name, 'product_category', product_category,
               'destination', destination, 'channel', channel, 'status', status) AS data
    FROM orders
    UNION ALL
    SELECT customer_id, occurred_at, 'interaction', id,
           jsonb_build_object('type', type, 'channel', channel, 'attributes', attributes)
    FROM interactions
    UNION ALL
    SELECT into_id, merged_at, 'merge', merged_id, summary
    FROM customer_merges
    UNION ALL
    SELECT customer_id, recorded_at, 'consent', id,
           jsonb_build_object('channel', channel, 'purpose', purpose, 'granted', granted, 'source', source)
    FROM consent_history
    UNION ALL
    SELECT customer_id, created_at, 'message', id,
           jsonb_strip_nulls(jsonb_build_object(
               'message_id', id::text, 'channel', channel, 'purpose', purpose, 'template', template,
               'source', source, 'subject', subject, 'state', state, 'sent_at', sent_at,
               'delivered_at', delivered_at, 'bounced_at', bounced_at, 'first_click_at', first_click_at,
               'clicks', clicks))
    FROM messages
    UNION ALL
    SELECT m.customer_id, h.changed_at, 'tier_change', h.id,
           jsonb_build_object(
               'member_id', h.member_id::text, 'program_id', m.program_id::text, 'from_tier', h.from_tier,
               'to_tier', h.to_tier, 'source', h.source)
    FROM tier_history h JOIN members m ON m.id = h.member_id;
