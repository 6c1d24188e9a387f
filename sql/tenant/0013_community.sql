-- The private community: member clubs and their events (sharing sessions, livestreams, contests,
-- meetups, trips) with capacity, a waiting list, gating and check-in.

-- A club. `open`: anyone may join; `invitation`: only an admin adds members; `tier`: customers at or
-- above `min_tier` of `program_id` may join. A minimum tier may also be set on an open club.
CREATE TABLE communities (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description  text CHECK (length(description) <= 5000),
    visibility   text NOT NULL CHECK (visibility IN ('open', 'invitation', 'tier')),
    program_id   bigint,
    min_tier     text,
    member_count integer NOT NULL DEFAULT 0 CHECK (member_count >= 0),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (program_id, min_tier) REFERENCES tiers (program_id, code),
    CHECK ((program_id IS NULL) = (min_tier IS NULL)),
    CHECK (visibility <> 'tier' OR min_tier IS NOT NULL)
);

CREATE TABLE community_members (
    community_id bigint NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    customer_id  bigint NOT NULL REFERENCES customers (id),
    joined_at    timestamptz NOT NULL DEFAULT now(),
    source       text NOT NULL CHECK (source IN ('api', 'admin')),
    PRIMARY KEY (community_id, customer_id)
);
CREATE INDEX community_members_customer_idx ON community_members (customer_id);
CREATE INDEX community_members_joined_idx ON community_members (community_id, joined_at, customer_id);

-- Every join and leave, for the timeline and the reports (a member who left is no longer in
-- `community_members`).
CREATE TABLE community_history (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    community_id bigint NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    customer_id  bigint NOT NULL REFERENCES customers (id),
    action       text NOT NULL CHECK (action IN ('joined', 'left')),
    source       text NOT NULL,
    at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX community_history_customer_idx ON community_history (customer_id, at DESC, id DESC);

-- An event. Registration is open while the state is `open` and now is within the window; gating by
-- the community's membership (`members_only`) and/or a minimum tier. `capacity` null: no limit;
-- `waitlist_capacity` null: no limit, 0: no waiting list. The counts are kept by the statements
-- that register and cancel, under the event's row lock.
CREATE TABLE community_events (
    id                     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    community_id           bigint REFERENCES communities (id),
    members_only           boolean NOT NULL DEFAULT false,
    kind                   text NOT NULL
                           CHECK (kind IN ('sharing_session', 'livestream', 'contest', 'meetup', 'trip')),
    title                  text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    description            text CHECK (length(description) <= 10000),
    starts_at              timestamptz NOT NULL,
    ends_at                timestamptz NOT NULL,
    location               text CHECK (length(location) <= 500),
    online_url             text CHECK (length(online_url) <= 2048),
    capacity               integer CHECK (capacity BETWEEN 1 AND 1000000),
    waitlist_capacity      integer CHECK (waitlist_capacity BETWEEN 0 AND 1000000),
    registration_opens_at  timestamptz,
    registration_closes_at timestamptz,
    program_id             bigint,
    min_tier               text,
    state                  text NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'open', 'closed', 'cancelled')),
    registered_count       integer NOT NULL DEFAULT 0 CHECK (registered_count >= 0),
    waitlisted_count       integer NOT NULL DEFAULT 0 CHECK (waitlisted_count >= 0),
    -- Whether the last registration got a seat: written by the statement that registers (its SET
    -- sees the counts before the change), read back from its RETURNING.
    last_got_seat          boolean,
    cancelled_reason       text CHECK (length(cancelled_reason) <= 500),
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (program_id, min_tier) REFERENCES tiers (program_id, code),
    CHECK ((program_id IS NULL) = (min_tier IS NULL)),
    CHECK (ends_at > starts_at),
    CHECK (registration_closes_at IS NULL OR registration_opens_at IS NULL
           OR registration_closes_at > registration_opens_at),
    CHECK (NOT members_only OR community_id IS NOT NULL),
    CHECK (capacity IS NULL OR registered_count <= capacity),
    CHECK (waitlist_capacity IS NULL OR waitlisted_count <= waitlist_capacity)
);
CREATE INDEX community_events_starts_idx ON community_events (starts_at DESC, id DESC);
CREATE INDEX community_events_community_idx ON community_events (community_id, starts_at DESC);

-- One registration of a customer for an event: `registered` holds a seat, `waitlisted` waits in
-- the order of its id; `cancelled` keeps the record. At most one live registration per customer
-- and event. A check-in carries the device's nonce, so a re-sent check-in is recognised.
CREATE TABLE event_registrations (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id       bigint NOT NULL REFERENCES community_events (id),
    customer_id    bigint NOT NULL REFERENCES customers (id),
    state          text NOT NULL CHECK (state IN ('registered', 'waitlisted', 'cancelled')),
    source         text NOT NULL CHECK (length(source) BETWEEN 1 AND 100),
    promoted_at    timestamptz,
    checked_in_at  timestamptz,
    check_in_nonce text CHECK (length(check_in_nonce) BETWEEN 1 AND 200),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    cancelled_at   timestamptz,
    CHECK ((checked_in_at IS NULL) = (check_in_nonce IS NULL))
);
CREATE UNIQUE INDEX event_registrations_live_idx ON event_registrations (event_id, customer_id)
    WHERE state <> 'cancelled';
CREATE INDEX event_registrations_waitlist_idx ON event_registrations (event_id, id) WHERE state = 'waitlisted';
CREATE INDEX event_registrations_event_idx ON event_registrations (event_id, id);
CREATE INDEX event_registrations_customer_idx ON event_registrations (customer_id, created_at DESC, id DESC);
