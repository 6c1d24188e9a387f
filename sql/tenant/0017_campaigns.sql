-- Win-back campaigns: an audience of lapsed customers, split deterministically into treated and a
-- hold-out, and each recipient's recovery (an order within the attribution window) recorded by the
-- order's own transaction.
CREATE TABLE campaigns (
    id                       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name                     text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    state                    text NOT NULL DEFAULT 'draft'
                             CHECK (state IN ('draft', 'scheduled', 'running', 'paused', 'completed', 'cancelled')),
    lapsed_days_min          integer NOT NULL CHECK (lapsed_days_min BETWEEN 1 AND 3650),
    lapsed_days_max          integer CHECK (lapsed_days_max BETWEEN 1 AND 3650),
    min_lifetime_spent_minor bigint CHECK (min_lifetime_spent_minor >= 0),
    program_id               bigint REFERENCES programs (id),
    tiers                    text[] CHECK (cardinality(tiers) BETWEEN 1 AND 20),
    rfm_segments             text[] CHECK (cardinality(rfm_segments) BETWEEN 1 AND 20),
    offer_id                 bigint REFERENCES offers (id),
    gift                     text CHECK (length(gift) BETWEEN 1 AND 500),
    channel                  text NOT NULL CHECK (channel IN ('email', 'sms', 'wechat')),
    template                 text NOT NULL CHECK (template ~ '^[a-z0-9][a-z0-9_-]{0,59}$'),
    holdout_percent          integer NOT NULL CHECK (holdout_percent BETWEEN 0 AND 50),
    attribution_days         integer NOT NULL CHECK (attribution_days BETWEEN 1 AND 365),
    cooldown_days            integer NOT NULL DEFAULT 30 CHECK (cooldown_days BETWEEN 0 AND 365),
    launched_at              timestamptz,
    created_at               timestamptz NOT NULL DEFAULT now(),
    updated_at               timestamptz NOT NULL DEFAULT now(),
    CHECK (lapsed_days_max IS NULL OR lapsed_days_max >= lapsed_days_min),
    CHECK ((tiers IS NULL) = (program_id IS NULL)),
    CHECK (offer_id IS NULL OR gift IS NULL)
);

-- The audience as launched: every customer once (the resolved customer, after merges), in the
-- treated group or the hold-out by a hash of campaign and customer (see `docs/campaigns.md`), with
-- what they spent on average before, and their recovery once an order of theirs falls in the window.
CREATE TABLE campaign_recipients (
    campaign_id            bigint NOT NULL REFERENCES campaigns (id),
    customer_id            bigint NOT NULL REFERENCES customers (id),
    grp                    text NOT NULL CHECK (grp IN ('treated', 'holdout')),
    entered_at             timestamptz NOT NULL,
    attribution_ends_at    timestamptz NOT NULL,
    prior_average_minor    bigint NOT NULL,
    message_id             bigint,
    recovered_order_id     bigint,
    recovered_at           timestamptz,
    recovered_amount_minor bigint,
    PRIMARY KEY (campaign_id, customer_id)
);
-- What an order's transaction looks up: the customer's recipients still open to recovery.
CREATE INDEX campaign_recipients_open_idx ON campaign_recipients (customer_id, attribution_ends_at)
    WHERE recovered_at IS NULL;
-- Who was contacted when, for the cool-down.
CREATE INDEX campaign_recipients_customer_idx ON campaign_recipients (customer_id, entered_at DESC);
