-- Member programmes: how members earn points and lose them, the window their tier is judged over,
-- and when a demotion takes effect. A tenant may run several.
CREATE TABLE programs (
    id                      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name                    text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200),
    currency                char(3) NOT NULL,
    -- Points per whole currency unit (100 minor units of CNY), before the tier's multiplier.
    points_per_unit         numeric(12, 4) NOT NULL CHECK (points_per_unit >= 0),
    points_rounding         text NOT NULL CHECK (points_rounding IN ('down', 'nearest', 'up')),
    points_expiry           text NOT NULL CHECK (points_expiry IN ('never', 'after_days', 'end_of_year')),
    points_expiry_days      integer CHECK (points_expiry_days BETWEEN 1 AND 3660),
    tier_window             text NOT NULL CHECK (tier_window IN ('rolling_days', 'calendar_year')),
    tier_window_days        integer CHECK (tier_window_days BETWEEN 1 AND 3660),
    downgrade               text NOT NULL CHECK (downgrade IN ('immediate', 'end_of_period', 'grace_days')),
    downgrade_grace_days    integer CHECK (downgrade_grace_days BETWEEN 1 AND 3660),
    enrolment               text NOT NULL CHECK (enrolment IN ('first_order', 'explicit')),
    -- Card numbers are the prefix, a zero-padded sequence number and a Luhn check digit.
    card_prefix             text NOT NULL CHECK (card_prefix ~ '^[0-9]{2,6}$'),
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    CHECK ((points_expiry = 'after_days') = (points_expiry_days IS NOT NULL)),
    CHECK ((tier_window = 'rolling_days') = (tier_window_days IS NOT NULL)),
    CHECK ((downgrade = 'grace_days') = (downgrade_grace_days IS NOT NULL))
);

-- A programme's tiers, highest rank best. A member holds the best tier whose thresholds the figures
-- of the window meet (all of them, or any of them).
CREATE TABLE tiers (
    program_id                  bigint NOT NULL REFERENCES programs (id) ON DELETE CASCADE,
    code                        text NOT NULL CHECK (code ~ '^[a-z][a-z0-9_]{0,39}$'),
    name                        text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    rank                        integer NOT NULL CHECK (rank BETWEEN 1 AND 100),
    combine                     text NOT NULL CHECK (combine IN ('all', 'any')),
    min_orders                  integer CHECK (min_orders >= 0),
    min_total_spent_minor       bigint CHECK (min_total_spent_minor >= 0),
    min_average_order_minor     bigint CHECK (min_average_order_minor >= 0),
    max_average_order_minor     bigint CHECK (max_average_order_minor >= 0),
    max_days_since_last_order   integer CHECK (max_days_since_last_order >= 0),
    min_points                  bigint CHECK (min_points >= 0),
    points_multiplier           numeric(6, 3) NOT NULL DEFAULT 1 CHECK (points_multiplier BETWEEN 0 AND 100),
    benefits                    jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(benefits) = 'array'),
    PRIMARY KEY (program_id, code),
    UNIQUE (program_id, rank)
);

-- Next card sequence number per programme.
CREATE TABLE program_card_sequences (
    program_id  bigint PRIMARY KEY REFERENCES programs (id) ON DELETE CASCADE,
    last_number bigint NOT NULL DEFAULT 0
);

-- One membership per customer and programme. A demotion the policy defers waits in
-- demotion_to / demotion_due_at until it is due or the member qualifies again. tier_code names a
-- tier of the programme; it is not a foreign key, because replacing the tier list may drop a code
-- members hold until the re-evaluation that follows moves them.
CREATE TABLE members (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    program_id      bigint NOT NULL REFERENCES programs (id),
    customer_id     bigint NOT NULL REFERENCES customers (id),
    card_number     text NOT NULL UNIQUE,
    tier_code       text,
    tier_since      timestamptz,
    demotion_to     text,
    demotion_due_at timestamptz,
    points_balance  bigint NOT NULL DEFAULT 0 CHECK (points_balance >= 0),
    enrolled_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (program_id, customer_id),
    CHECK ((demotion_due_at IS NULL) OR (tier_code IS NOT NULL))
);
CREATE INDEX members_customer_idx ON members (customer_id);
CREATE INDEX members_program_tier_idx ON members (program_id, tier_code);

-- The points ledger: append-only. Every entry carries the balance after it.
CREATE TABLE points_ledger (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    member_id       bigint NOT NULL REFERENCES members (id),
    kind            text NOT NULL CHECK (kind IN ('earn', 'redeem', 'adjust', 'expire', 'reverse')),
    points          bigint NOT NULL CHECK (points <> 0),
    balance_after   bigint NOT NULL CHECK (balance_after >= 0),
    order_id        bigint REFERENCES orders (id),
    reason          text CHECK (length(reason) BETWEEN 1 AND 500),
    actor_type      text NOT NULL CHECK (actor_type IN ('user', 'api_key', 'platform', 'system')),
    actor_id        text,
    idempotency_key text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CHECK ((kind IN ('earn', 'redeem', 'expire')) OR (kind = 'reverse' AND order_id IS NOT NULL) OR reason IS NOT NULL),
    CHECK ((kind IN ('earn', 'adjust')) OR points < 0)
);
CREATE INDEX points_ledger_member_idx ON points_ledger (member_id, id DESC);
CREATE UNIQUE INDEX points_ledger_earn_idx ON points_ledger (order_id, member_id) WHERE kind = 'earn';

-- What is left of each credit (an earn or a positive adjustment), spent first-in first-out; the
-- credit's unspent remainder expires at expires_at.
CREATE TABLE point_lots (
    entry_id    bigint PRIMARY KEY REFERENCES points_ledger (id),
    member_id   bigint NOT NULL REFERENCES members (id),
    points      bigint NOT NULL CHECK (points > 0),
    remaining   bigint NOT NULL CHECK (remaining BETWEEN 0 AND points),
    earned_at   timestamptz NOT NULL,
    expires_at  timestamptz
);
CREATE INDEX point_lots_open_idx ON point_lots (member_id, expires_at, entry_id) WHERE remaining > 0;
CREATE INDEX point_lots_expiry_idx ON point_lots (expires_at) WHERE remaining > 0;

-- Every tier change, with what caused it and the figures that decided it.
CREATE TABLE tier_history (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    member_id   bigint NOT NULL REFERENCES members (id),
    from_tier   text,
    to_tier     text,
    source      text NOT NULL CHECK (source IN ('enrolment', 'order', 'cancellation', 'bulk', 'rule_change', 'admin')),
    figures     jsonb NOT NULL CHECK (jsonb_typeof(figures) = 'object'),
    order_id    bigint REFERENCES orders (id),
    changed_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tier_history_member_idx ON tier_history (member_id, changed_at DESC, id DESC);

-- The ledger and the tier history are append-only for the tenant's own role.
DO $$
BEGIN
    EXECUTE format(
        'REVOKE UPDATE, DELETE, TRUNCATE ON points_ledger, tier_history FROM %I',
        current_setting('itinera.tenant_role')
    );
END
$$;
