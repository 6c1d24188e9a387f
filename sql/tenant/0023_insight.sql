-- Precomputed insight: the overview's figures as of their refresh (`insight.refresh`), so that the
-- page stays fast at millions of orders; the previous RFM sizes are kept for their drift.
CREATE TABLE insight_snapshots (
    topic       text PRIMARY KEY CHECK (topic IN ('overview')),
    computed_at timestamptz NOT NULL,
    took_ms     integer NOT NULL CHECK (took_ms >= 0),
    data        jsonb NOT NULL CHECK (jsonb_typeof(data) = 'object')
);
