-- Photo contests: an event of kind `contest` takes entries (an image and a caption) from customers
-- and votes, one per voter per entry, within its voting window; winners are chosen by votes or by an
-- admin and shown on the event.
ALTER TABLE community_events
    ADD COLUMN voting_opens_at timestamptz,
    ADD COLUMN voting_closes_at timestamptz,
    ADD CONSTRAINT community_events_voting_check
        CHECK (voting_closes_at IS NULL OR voting_opens_at IS NULL OR voting_closes_at > voting_opens_at);

CREATE TABLE contest_entries (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id    bigint NOT NULL REFERENCES community_events (id),
    customer_id bigint NOT NULL REFERENCES customers (id),
    image_url   text NOT NULL CHECK (length(image_url) BETWEEN 1 AND 2048),
    caption     text CHECK (length(caption) <= 500),
    votes       integer NOT NULL DEFAULT 0 CHECK (votes >= 0),
    winner_rank integer CHECK (winner_rank BETWEEN 1 AND 100),
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (event_id, customer_id)
);
CREATE INDEX contest_entries_votes_idx ON contest_entries (event_id, votes DESC, id);
CREATE UNIQUE INDEX contest_entries_winner_idx ON contest_entries (event_id, winner_rank)
    WHERE winner_rank IS NOT NULL;

CREATE TABLE contest_votes (
    entry_id    bigint NOT NULL REFERENCES contest_entries (id) ON DELETE CASCADE,
    customer_id bigint NOT NULL REFERENCES customers (id),
    voted_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (entry_id, customer_id)
);
CREATE INDEX contest_votes_customer_idx ON contest_votes (customer_id);
