-- The first tenant-schema version. Tenant SQL runs as itinera_tenant_owner with search_path set to
-- the tenant's schema; `current_setting('itinera.tenant_role')` names the tenant's own role, which
-- receives SELECT, INSERT, UPDATE and DELETE on every table through the schema's default privileges.

-- Settings the tenant's admins keep for themselves (one row).
CREATE TABLE tenant_settings (
    id          boolean PRIMARY KEY DEFAULT true CHECK (id),
    settings    jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(settings) = 'object'),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO tenant_settings DEFAULT VALUES;

-- Every admin change: who did what to which thing, with the state before and after.
CREATE TABLE audit_events (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at timestamptz NOT NULL DEFAULT now(),
    actor_type  text NOT NULL CHECK (actor_type IN ('user', 'api_key', 'platform', 'system')),
    actor_id    text,
    action      text NOT NULL,
    target_type text NOT NULL,
    target_id   text,
    before      jsonb,
    after       jsonb,
    request_id  text
);
CREATE INDEX audit_events_occurred_idx ON audit_events (occurred_at DESC, id DESC);

-- The audit trail is append-only for the tenant's own role.
DO $$
BEGIN
    EXECUTE format(
        'REVOKE UPDATE, DELETE, TRUNCATE ON audit_events FROM %I',
        current_setting('itinera.tenant_role')
    );
END
$$;
