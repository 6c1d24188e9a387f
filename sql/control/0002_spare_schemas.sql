-- Tenant schemas built ahead of need. Sign-up claims one (a row delete) instead of running DDL, so
-- its cost does not grow with the number of tenants or of tenant migrations; a background task
-- builds replacements. Only spares at the latest tenant version are ever claimed.
CREATE TABLE itinera.spare_schemas (
    schema_name     text PRIMARY KEY CHECK (schema_name ~ '^t_[0-9a-f]{16}$'),
    role_name       text NOT NULL UNIQUE CHECK (role_name ~ '^t_[0-9a-f]{16}$'),
    schema_version  integer NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX spare_schemas_claim_idx ON itinera.spare_schemas (schema_version, created_at);
