-- Destination risk alerts: the bookings whose travel overlaps an alert's dates at its destination,
-- each told through the first of the alert's templates the traveller can be reached by, with when
-- and how long before travel, or why not.
CREATE TABLE risk_alerts (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    destination   text NOT NULL CHECK (length(destination) BETWEEN 1 AND 200),
    starts_at     timestamptz NOT NULL,
    ends_at       timestamptz NOT NULL CHECK (ends_at >= starts_at),
    severity      text NOT NULL CHECK (severity IN ('advisory', 'warning', 'severe')),
    message       text NOT NULL CHECK (length(message) BETWEEN 1 AND 5000),
    offer_id      bigint REFERENCES offers (id),
    templates     text[] NOT NULL CHECK (cardinality(templates) BETWEEN 1 AND 3),
    -- `notifying` while its job tells the travellers, then `done`.
    state         text NOT NULL DEFAULT 'notifying' CHECK (state IN ('notifying', 'done')),
    bookings      integer NOT NULL DEFAULT 0,
    created_by    text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    finished_at   timestamptz
);
CREATE INDEX risk_alerts_created_idx ON risk_alerts (created_at DESC, id DESC);

CREATE TABLE risk_alert_bookings (
    alert_id     bigint NOT NULL REFERENCES risk_alerts (id),
    order_id     bigint NOT NULL,
    customer_id  bigint NOT NULL,
    travel_start date NOT NULL,
    -- `reached`: a message was queued (`message_id`, by `channel`); `unreachable`: none could be
    -- (`reason`: no_consent, consent_withdrawn, no_address, no_customer, no_template).
    state        text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'reached', 'unreachable')),
    reason       text,
    channel      text,
    message_id   bigint,
    notified_at  timestamptz,
    -- Hours from the notification to 00:00 of the first day of travel on the tenant's clock.
    hours_before numeric(10, 2),
    PRIMARY KEY (alert_id, order_id)
);
CREATE INDEX risk_alert_bookings_pending_idx ON risk_alert_bookings (alert_id, order_id) WHERE state = 'pending';

-- The bookings at a destination whose travel has not ended before a date.
CREATE INDEX orders_destination_travel_idx ON orders (lower(destination), (coalesce(travel_end, travel_start)))
    WHERE travel_start IS NOT NULL;
