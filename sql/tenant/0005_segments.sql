-- Saved segments: a named rule over customers' attributes, tags, value figures, RFM and recent
-- interactions, compiled to SQL each time it is counted or listed.
CREATE TABLE segments (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200),
    description text CHECK (length(description) BETWEEN 1 AND 500),
    rule        jsonb NOT NULL CHECK (jsonb_typeof(rule) = 'object'),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Recent interactions of a type, for segment conditions.
CREATE INDEX interactions_type_idx ON interactions (type, occurred_at DESC);
