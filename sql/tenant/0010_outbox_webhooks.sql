-- The transactional outbox: every domain event the tenant's changes publish, appended in the
-- change's own transaction. `position` is the order they were written in; `ordering_key` (the
-- customer the event concerns, or the entity itself) is what deliveries keep in order.
CREATE TABLE outbox_events (
    id             uuid PRIMARY KEY,
    position       bigint GENERATED ALWAYS AS IDENTITY,
    type           text NOT NULL,
    occurred_at    timestamptz NOT NULL DEFAULT now(),
    entity_type    text NOT NULL,
    entity_id      text NOT NULL,
    ordering_key   text NOT NULL,
    schema_version integer NOT NULL DEFAULT 1,
    -- Written by the server only, as the JSON object it sends; kept as written (json, not jsonb:
    -- nothing queries inside it, and parsing it into jsonb on every order was measurable).
    data           json NOT NULL
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

-- Appends one event (nearly every change publishes one) and, only when an enabled endpoint wants
-- its type, the deliveries and their jobs. As a function its statements are prepared once per
-- session and the delivery part costs nothing where no endpoint listens: the same work as one
-- statement with the deliveries in CTEs cost a tenant without endpoints three times as much
-- executor set-up on every order.
CREATE FUNCTION outbox_append(
    p_id uuid, p_type text, p_entity_type text, p_entity_id text, p_key text, p_version integer,
    p_data text, p_tenant uuid, p_attempts integer
) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO outbox_events (id, type, entity_type, entity_id, ordering_key, schema_version, data)
    VALUES (p_id, p_type, p_entity_type, p_entity_id, p_key, p_version, p_data::json);
    IF EXISTS (SELECT 1 FROM webhook_endpoints w
               WHERE w.state = 'enabled' AND (w.event_types = '{}' OR p_type = ANY (w.event_types))) THEN
        WITH d AS (
            INSERT INTO webhook_deliveries (id, endpoint_id, event_id)
            SELECT gen_random_uuid(), w.id, p_id FROM webhook_endpoints w
            WHERE w.state = 'enabled' AND (w.event_types = '{}' OR p_type = ANY (w.event_types))
            RETURNING id, endpoint_id
        )
        INSERT INTO itinera.jobs (id, tenant_id, kind, payload, ordering_key, max_attempts, created_by, state)
        SELECT d.id, p_tenant, 'webhook.deliver', jsonb_build_object('delivery', d.id),
               d.endpoint_id::text || '/' || p_key, p_attempts, 'outbox',
               CASE WHEN itinera.job_key_busy(p_tenant, d.endpoint_id::text || '/' || p_key)
                    THEN 'waiting' ELSE 'queued' END
        FROM d;
    END IF;
END
$$;
