-- The customer data platform: one record per customer, the identities that find it, consents,
-- orders with the customer's value figures, interactions, and the record of merges.

-- A customer: profile, value figures kept by every order in the order's own transaction, and the
-- RFM scores the set-based recomputation writes. An erased customer keeps only the anonymous
-- figures and its orders' amounts.
CREATE TABLE customers (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name                text CHECK (length(name) BETWEEN 1 AND 200),
    gender              text CHECK (gender IN ('female', 'male', 'other', 'undisclosed')),
    birth_year          smallint CHECK (birth_year BETWEEN 1900 AND 2100),
    region              text CHECK (length(region) BETWEEN 1 AND 100),
    city                text CHECK (length(city) BETWEEN 1 AND 100),
    language            text CHECK (length(language) BETWEEN 2 AND 35),
    attributes          jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(attributes) = 'object'),
    order_count         integer NOT NULL DEFAULT 0 CHECK (order_count >= 0),
    total_spent_minor   bigint NOT NULL DEFAULT 0 CHECK (total_spent_minor >= 0),
    first_order_at      timestamptz,
    last_order_at       timestamptz,
    rfm_recency         smallint CHECK (rfm_recency BETWEEN 1 AND 5),
    rfm_frequency       smallint CHECK (rfm_frequency BETWEEN 1 AND 5),
    rfm_monetary        smallint CHECK (rfm_monetary BETWEEN 1 AND 5),
    rfm_segment         text,
    rfm_computed_at     timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    erased_at           timestamptz
);
CREATE INDEX customers_created_idx ON customers (created_at DESC, id DESC);
CREATE INDEX customers_name_idx ON customers (lower(name) text_pattern_ops) WHERE name IS NOT NULL;

-- How a customer is recognised: a phone in E.164, a case-folded e-mail, a member card, or an id in
-- a partner's system (`source`). Each identity belongs to one customer of the tenant.
CREATE TABLE customer_identities (
    kind        text NOT NULL CHECK (kind IN ('phone', 'email', 'member_card', 'external')),
    source      text NOT NULL DEFAULT '' CHECK ((kind = 'external') = (source <> '')),
    value       text NOT NULL CHECK (length(value) BETWEEN 1 AND 254),
    customer_id bigint NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (kind, source, value)
);
CREATE INDEX customer_identities_customer_idx ON customer_identities (customer_id);

-- Whether a customer may be contacted on a channel, when that was said and where.
CREATE TABLE consents (
    customer_id bigint NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    channel     text NOT NULL CHECK (channel IN ('email', 'sms', 'wechat', 'phone')),
    granted     boolean NOT NULL,
    recorded_at timestamptz NOT NULL,
    source      text NOT NULL CHECK (length(source) BETWEEN 1 AND 100),
    PRIMARY KEY (customer_id, channel)
);

-- Orders pushed by partners or imported. Confirmed and completed orders count in the customer's
-- value figures; cancelled and refunded ones do not.
CREATE TABLE orders (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id         bigint NOT NULL REFERENCES customers (id),
    external_id         text UNIQUE CHECK (length(external_id) BETWEEN 1 AND 200),
    amount_minor        bigint NOT NULL CHECK (amount_minor >= 0),
    currency            char(3) NOT NULL,
    product_name        text NOT NULL CHECK (length(product_name) BETWEEN 1 AND 200),
    product_category    text CHECK (length(product_category) BETWEEN 1 AND 100),
    product_sku         text CHECK (length(product_sku) BETWEEN 1 AND 100),
    destination         text CHECK (length(destination) BETWEEN 1 AND 200),
    channel             text CHECK (length(channel) BETWEEN 1 AND 100),
    ordered_at          timestamptz NOT NULL,
    travel_start        date,
    travel_end          date CHECK (travel_end >= travel_start),
    party_size          integer CHECK (party_size BETWEEN 1 AND 10000),
    status              text NOT NULL CHECK (status IN ('confirmed', 'completed', 'cancelled', 'refunded')),
    cancelled_at        timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orders_customer_idx ON orders (customer_id, ordered_at DESC, id DESC);

-- What customers did besides ordering.
CREATE TABLE interactions (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    type        text NOT NULL CHECK (type ~ '^[a-z][a-z0-9_]{1,39}$'),
    channel     text CHECK (length(channel) BETWEEN 1 AND 100),
    occurred_at timestamptz NOT NULL,
    attributes  jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(attributes) = 'object'),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX interactions_customer_idx ON interactions (customer_id, occurred_at DESC, id DESC);

-- A merged-away customer's id and where its records went, so the old id can say so.
CREATE TABLE customer_merges (
    merged_id   bigint PRIMARY KEY,
    into_id     bigint NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    merged_at   timestamptz NOT NULL DEFAULT now(),
    summary     jsonb NOT NULL
);
CREATE INDEX customer_merges_into_idx ON customer_merges (into_id, merged_at DESC);

-- The first answer to each idempotent request, by operation and the client's key: a retry with the
-- same key and body gets it again, the same key with another body is refused.
CREATE TABLE idempotency_keys (
    operation       text NOT NULL,
    key             text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    request_hash    bytea NOT NULL,
    status          smallint,
    response        jsonb,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (operation, key)
);

-- Everything that happened to a customer, newest first: one branch per kind of event, each served
-- by its table's (customer_id, time DESC, id DESC) index. Later capabilities add branches.
CREATE VIEW timeline_events AS
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
    FROM customer_merges;
