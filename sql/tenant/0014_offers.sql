-- Community offers: coupons limited to a community and/or a tier, with an unguessable code (one for
-- everyone, or one per recipient), total and per-customer limits and a validity window.
CREATE TABLE offers (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name               text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    benefit            text NOT NULL CHECK (length(benefit) BETWEEN 1 AND 500),
    community_id       bigint REFERENCES communities (id),
    program_id         bigint,
    min_tier           text,
    code_mode          text NOT NULL CHECK (code_mode IN ('single', 'per_recipient')),
    code_prefix        text NOT NULL CHECK (code_prefix ~ '^[A-Z0-9]{1,12}$'),
    -- The one code of a `single` offer.
    code               text UNIQUE,
    max_redemptions    integer CHECK (max_redemptions BETWEEN 1 AND 100000000),
    per_customer_limit integer NOT NULL DEFAULT 1 CHECK (per_customer_limit BETWEEN 1 AND 1000),
    valid_from         timestamptz NOT NULL DEFAULT now(),
    valid_until        timestamptz NOT NULL,
    state              text NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'retired')),
    redeemed_count     integer NOT NULL DEFAULT 0 CHECK (redeemed_count >= 0),
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (program_id, min_tier) REFERENCES tiers (program_id, code),
    CHECK ((program_id IS NULL) = (min_tier IS NULL)),
    CHECK (valid_until > valid_from),
    CHECK ((code_mode = 'single') = (code IS NOT NULL)),
    CHECK (max_redemptions IS NULL OR redeemed_count <= max_redemptions)
);

-- Codes issued to one recipient each (`per_recipient` offers); a campaign hands them out.
CREATE TABLE offer_codes (
    code        text PRIMARY KEY,
    offer_id    bigint NOT NULL REFERENCES offers (id) ON DELETE CASCADE,
    customer_id bigint NOT NULL REFERENCES customers (id),
    source      text NOT NULL CHECK (length(source) BETWEEN 1 AND 100),
    issued_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (offer_id, customer_id)
);
CREATE INDEX offer_codes_customer_idx ON offer_codes (customer_id);

CREATE TABLE offer_redemptions (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    offer_id    bigint NOT NULL REFERENCES offers (id),
    customer_id bigint NOT NULL REFERENCES customers (id),
    code        text NOT NULL,
    order_id    bigint REFERENCES orders (id),
    redeemed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX offer_redemptions_offer_customer_idx ON offer_redemptions (offer_id, customer_id);
CREATE INDEX offer_redemptions_customer_idx ON offer_redemptions (customer_id, redeemed_at DESC, id DESC);

-- The timeline gains the community: joins and leaves, registrations, and offers redeemed.
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
    FROM offer_redemptions r JOIN offers o ON o.id = r.offer_id;
