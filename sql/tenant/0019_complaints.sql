-- Complaints with a service level: a first response within an hour and a resolution within a day by
-- default, per severity. Each complaint keeps its history (`complaint_events`); its due times and
-- breaches are derived from that history (waiting on the customer pauses the resolution clock) and
-- kept on the row for listing.
CREATE TABLE complaint_sla_policies (
    severity               text PRIMARY KEY CHECK (severity IN ('low', 'normal', 'high', 'urgent')),
    first_response_minutes integer NOT NULL CHECK (first_response_minutes BETWEEN 1 AND 10080),
    resolution_minutes     integer NOT NULL CHECK (resolution_minutes BETWEEN 1 AND 43200)
);
INSERT INTO complaint_sla_policies (severity, first_response_minutes, resolution_minutes)
VALUES ('low', 60, 1440), ('normal', 60, 1440), ('high', 60, 1440), ('urgent', 60, 1440);

CREATE TABLE complaints (
    id                     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id            bigint NOT NULL REFERENCES customers (id),
    order_id               bigint REFERENCES orders (id),
    channel                text NOT NULL
                           CHECK (channel IN ('phone', 'email', 'sms', 'wechat', 'web', 'in_person', 'partner')),
    category               text NOT NULL CHECK (category ~ '^[a-z0-9][a-z0-9_-]{0,39}$'),
    severity               text NOT NULL CHECK (severity IN ('low', 'normal', 'high', 'urgent')),
    summary                text NOT NULL CHECK (length(summary) BETWEEN 1 AND 5000),
    assignee_id            uuid,
    state                  text NOT NULL DEFAULT 'open'
                           CHECK (state IN ('open', 'responded', 'waiting_on_customer', 'resolved', 'closed')),
    opened_at              timestamptz NOT NULL,
    -- The policy when it was opened: a later change of policy does not move its clocks.
    first_response_minutes integer NOT NULL,
    resolution_minutes     integer NOT NULL,
    -- Derived from the history at each change (see `ComplaintSLA`).
    first_response_due_at  timestamptz NOT NULL,
    first_responded_at     timestamptz,
    resolution_due_at      timestamptz NOT NULL,
    paused_since           timestamptz,
    resolved_at            timestamptz,
    updated_at             timestamptz NOT NULL
);
CREATE INDEX complaints_open_idx ON complaints (first_response_due_at, id) WHERE state NOT IN ('resolved', 'closed');
CREATE INDEX complaints_customer_idx ON complaints (customer_id, opened_at DESC);
CREATE INDEX complaints_opened_idx ON complaints (opened_at DESC, id DESC);

CREATE TABLE complaint_events (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    complaint_id bigint NOT NULL REFERENCES complaints (id),
    -- `breached`: the first response (note `first_response`) or the resolution (`resolution`) became
    -- late, recorded once by the check queued for its due time.
    type         text NOT NULL CHECK (type IN ('opened', 'state', 'assigned', 'note', 'breached')),
    state        text,
    at           timestamptz NOT NULL,
    actor        text NOT NULL,
    note         text CHECK (length(note) <= 5000)
);
CREATE INDEX complaint_events_complaint_idx ON complaint_events (complaint_id, at, id);
