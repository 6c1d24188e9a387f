-- Trip touchpoints: the tenant's rules (a phase of the trip, an offset in hours from the start or
-- the end of travel, a channel and a template, optionally only for a product category or a
-- destination) and, for each order with travel dates, one touchpoint per matching rule with the
-- moment it is due, moved out of the tenant's quiet hours.
CREATE TABLE touchpoint_settings (
    only_row    boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    -- Local times of day in the tenant's time zone; equal times mean no quiet hours.
    quiet_start time NOT NULL DEFAULT '21:00',
    quiet_end   time NOT NULL DEFAULT '08:00'
);
INSERT INTO touchpoint_settings DEFAULT VALUES;

CREATE TABLE touchpoint_rules (
    code             text PRIMARY KEY CHECK (code ~ '^[a-z0-9][a-z0-9_-]{0,39}$'),
    position         integer NOT NULL,
    phase            text NOT NULL CHECK (phase IN ('pre', 'in', 'post')),
    -- `start`: 00:00 of the first day of travel; `end`: 24:00 of the last day, both local.
    anchor           text NOT NULL CHECK (anchor IN ('start', 'end')),
    offset_hours     integer NOT NULL CHECK (offset_hours BETWEEN -2160 AND 2160),
    channel          text NOT NULL CHECK (channel IN ('email', 'sms', 'wechat')),
    template         text NOT NULL CHECK (length(template) BETWEEN 1 AND 100),
    product_category text CHECK (length(product_category) BETWEEN 1 AND 100),
    destination      text CHECK (length(destination) BETWEEN 1 AND 200)
);

-- When a touchpoint of a trip anchored at local `anchor` is due: `offset_hours` later, moved to the
-- end of the quiet hours when it falls inside them, in the time zone `zone`. One expression without
-- FROM, so that the planner inlines it into the order path's statement.
CREATE FUNCTION touchpoint_due(anchor timestamp, offset_hours integer, quiet_start time, quiet_end time, zone text)
RETURNS timestamptz LANGUAGE sql STABLE AS $$
    SELECT (CASE
        WHEN quiet_start = quiet_end THEN anchor + offset_hours * interval '1 hour'
        WHEN quiet_start > quiet_end AND (anchor + offset_hours * interval '1 hour')::time >= quiet_start
            THEN ((anchor + offset_hours * interval '1 hour')::date + 1) + quiet_end
        WHEN quiet_start > quiet_end AND (anchor + offset_hours * interval '1 hour')::time < quiet_end
            THEN (anchor + offset_hours * interval '1 hour')::date + quiet_end
        WHEN quiet_start < quiet_end AND (anchor + offset_hours * interval '1 hour')::time >= quiet_start
             AND (anchor + offset_hours * interval '1 hour')::time < quiet_end
            THEN (anchor + offset_hours * interval '1 hour')::date + quiet_end
        ELSE anchor + offset_hours * interval '1 hour' END) AT TIME ZONE zone
$$;

CREATE TABLE touchpoints (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id   bigint NOT NULL REFERENCES orders (id),
    rule       text NOT NULL,
    phase      text NOT NULL,
    channel    text NOT NULL,
    template   text NOT NULL,
    due_at     timestamptz NOT NULL,
    -- `sent`: its message was queued (`message_id`); `skipped`: it could not be (`reason`: no
    -- consent, no address, no template…); `withdrawn`: the order was cancelled or the rules changed.
    state      text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'skipped', 'withdrawn')),
    reason     text,
    message_id bigint,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (order_id, rule)
);
CREATE INDEX touchpoints_due_idx ON touchpoints (due_at, id) WHERE state = 'pending';

-- The due times that have a `care.touchpoints` job queued: an order whose touchpoints fall on one of
-- them queues nothing more (the job takes every touchpoint due by its time). The job removes the
-- times it has passed.
CREATE TABLE touchpoint_slots (
    due_at timestamptz PRIMARY KEY
);
