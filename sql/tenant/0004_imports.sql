-- Bulk imports of customers or orders: one row per import with its counts and the lines it refused.
CREATE TABLE imports (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind                text NOT NULL CHECK (kind IN ('customers', 'orders')),
    lines               integer NOT NULL,
    accepted            integer NOT NULL,
    customers_created   integer NOT NULL,
    customers_updated   integer NOT NULL,
    orders_created      integer NOT NULL,
    duplicates          integer NOT NULL,
    error_count         integer NOT NULL,
    errors              jsonb NOT NULL CHECK (jsonb_typeof(errors) = 'array'),
    read_ms             integer NOT NULL,
    merge_ms            integer NOT NULL,
    actor_type          text NOT NULL,
    actor_id            text,
    started_at          timestamptz NOT NULL,
    finished_at         timestamptz NOT NULL DEFAULT now()
);
