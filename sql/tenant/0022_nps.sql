-- Net promoter answers (0–10) by trip stage, from partners or the signed link of a post-trip
-- message, at most one per order. The order's destination and product category and the customer's
-- tier when they answered are kept with the answer, so that the figures by each stay as they were.
CREATE TABLE nps_responses (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id      bigint NOT NULL REFERENCES customers (id),
    order_id         bigint REFERENCES orders (id),
    score            smallint NOT NULL CHECK (score BETWEEN 0 AND 10),
    comment          text CHECK (length(comment) BETWEEN 1 AND 5000),
    stage            text NOT NULL CHECK (stage IN ('pre', 'in', 'post')),
    source           text NOT NULL CHECK (source IN ('api', 'link')),
    destination      text,
    product_category text,
    tier             text,
    -- The complaint a detractor's answer opened, when the tenant has them opened.
    complaint_id     bigint REFERENCES complaints (id),
    responded_at     timestamptz NOT NULL
);
CREATE UNIQUE INDEX nps_responses_order_idx ON nps_responses (order_id) WHERE order_id IS NOT NULL;
CREATE INDEX nps_responses_time_idx ON nps_responses (responded_at, id);
CREATE INDEX nps_responses_customer_idx ON nps_responses (customer_id);

-- What care does by itself: open a complaint for each detractor (0–6), of this severity.
CREATE TABLE care_settings (
    only_row             boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    detractor_complaints boolean NOT NULL DEFAULT false,
    detractor_severity   text NOT NULL DEFAULT 'normal' CHECK (detractor_severity IN ('low', 'normal', 'high', 'urgent'))
);
INSERT INTO care_settings DEFAULT VALUES;

-- The timeline gains complaints (when opened) and NPS answers.
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
    FROM tier_history h JOIN members m ON m.id = h.member_id
    UNION ALL
    SELECT h.customer_id, h.at, 'community', h.id,
           jsonb_build_object('community_id', h.community_id::text, 'name', c.name, 'action', h.action,
                              'source', h.source)
    FROM community_history h JOIN communities c ON c.id = h.community_id
    UNION ALL
    SELECT r.customer_id, r.created_at, 'event_registration', r.id,
           jsonb_strip_nulls(jsonb_build_object(
               'registration_id', r.id::text, 'event_id', r.event_id::text, 'title', e.title, 'kind', e.kind,
               'starts_at', e.starts_at, 'state', r.state, 'promoted_at', r.promoted_at,
               'checked_in_at', r.checked_in_at, 'cancelled_at', r.cancelled_at))
    FROM event_registrations r JOIN community_events e ON e.id = r.event_id
    UNION ALL
    SELECT r.customer_id, r.redeemed_at, 'offer_redemption', r.id,
           jsonb_strip_nulls(jsonb_build_object(
               'offer_id', r.offer_id::text, 'name', o.name, 'benefit', o.benefit, 'order_id', r.order_id::text))
    FROM offer_redemptions r JOIN offers o ON o.id = r.offer_id
    UNION ALL
    SELECT customer_id, opened_at, 'complaint', id,
           jsonb_strip_nulls(jsonb_build_object(
               'complaint_id', id::text, 'order_id', order_id::text, 'channel', channel, 'category', category,
               'severity', severity, 'state', state))
    FROM complaints
    UNION ALL
    SELECT customer_id, responded_at, 'nps', id,
           jsonb_strip_nulls(jsonb_build_object(
               'score', score, 'stage', stage, 'source', source, 'order_id', order_id::text, 'comment', comment,
               'complaint_id', complaint_id::text))
    FROM nps_responses;
