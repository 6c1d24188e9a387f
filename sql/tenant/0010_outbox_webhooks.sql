-- The transactional outbox: every domain event the tenant's changes publish, appended in the
-- change's own transaction. `position` is the order they were written in; `ordering_key` (the
-- customer the event concerns, or the entity itself) is what deliveries keep in order.
CREATE TABLE outbox_events (
    id             uuid PRIMARY KEY,
    position       bigint GENERATED ALWAYS AS IDENTITY,
    type           text NOT NULL CHECK (type ~ '^[a-z][a-z_]*\.[a-z][a-z_]*$'),
    occurred_at    timestamptz NOT NULL DEFAULT now(),
    entity_type    text NOT NULL,
    entity_id      text NOT NULL,
    ordering_key   text NOT NULL,
    schema_version integer NOT NULL DEFAULT 1 CHECK (schema_version >= 1),
    data           jsonb NOT NULL CHECK (jsonb_typeof(data) = 'object')
);
-- Every order writes here: the ids are time-ordered (UUID version 7), so the primary key grows at
-- its right edge, and the time index is a BRIN index (rows arrive in time order), a few pages for
-- millions of rows. Replays by time range read the blocks it names and sort by position.
CREATE INDEX outbox_events_time_idx ON outbox_events USING brin (occurred_at);

-- Where partners receive the events: an HTTPS address, the event types it wants (empty: all), and
-- the secret its deliveries are signed with (Standard Webhooks). After a rotation the previous secret
-- signs too until it expires.
CREATE TABLE webhook_endpoints (
    id                          uuid PRIMARY KEY,
    url                         text NOT NULL CHECK (length(url) <= 2048),
    description                 text CHECK (length(description) <= 500),
    event_types                 text[] NOT NULL DEFAULT '{}',
    secret                      text NOT NULL,
    previous_secret             text,
    previous_secret_expires_at  timestamptz,
    state                       text NOT NULL DEFAULT 'enabled' CHECK (state IN ('enabled', 'disabled')),
    disabled_reason             text,
    -- Since when every delivery has failed (null once one succeeds): five days of it disable it.
    failing_since               timestamptz,
    created_at                  timestamptz NOT NULL DEFAULT now(),
    updated_at                  timestamptz NOT NULL DEFAULT now()
);

-- One event for one endpoint, and how sending it went. A replay is a new delivery of the same event
-- (the same `webhook-id`), pointing at the one it replays.
CREATE TABLE webhook_deliveries (
    id               uuid PRIMARY KEY,
    endpoint_id      uuid NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_id         uuid NOT NULL REFERENCES outbox_events (id) ON DELETE CASCADE,
    state            text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts         integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_status      integer,
    last_error       text,
    last_attempt_at  timestamptz,
    next_attempt_at  timestamptz,
    delivered_at     timestamptz,
    replay_of        uuid REFERENCES webhook_deliveries (id) ON DELETE SET NULL,
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries (endpoint_id, created_at DESC, id DESC);
CREATE INDEX webhook_deliveries_event_idx ON webhook_deliveries (event_id);
