-- The control schema: tenants, their people and their credentials. Nothing tenant-private lives here.
--
-- Roles (cluster-wide, so created only when missing):
--   itinera_tenant_owner  owns every tenant schema and table; nobody logs in as it. The application
--                         role is a NOINHERIT member and switches to it only to run tenant DDL.
--   itinera_nobody        owns itinera_no_tenant, the empty schema that is the application role's
--                         default search_path, so a query run without a tenant context finds nothing.
-- Each step tolerates another migrator creating the same cluster-wide role at the same moment.
DO $$
BEGIN
    BEGIN
        CREATE ROLE itinera_tenant_owner NOLOGIN;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
    END;
    BEGIN
        CREATE ROLE itinera_nobody NOLOGIN;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
    END;
    IF NOT pg_has_role(current_user, 'itinera_tenant_owner', 'MEMBER') THEN
        EXECUTE format('GRANT itinera_tenant_owner TO %I', current_user);
    END IF;
    IF NOT pg_has_role(current_user, 'itinera_nobody', 'MEMBER') THEN
        EXECUTE format('GRANT itinera_nobody TO %I', current_user);
    END IF;
    IF (SELECT rolinherit FROM pg_roles WHERE rolname = current_user) THEN
        EXECUTE format('ALTER ROLE %I NOINHERIT', current_user);
    END IF;
    EXECUTE format(
        'ALTER ROLE %I IN DATABASE %I SET search_path = itinera_no_tenant',
        current_user, current_database()
    );
END
$$;

CREATE SCHEMA itinera_no_tenant AUTHORIZATION itinera_nobody;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;

CREATE TABLE itinera.tenants (
    id              uuid PRIMARY KEY,
    slug            text NOT NULL UNIQUE CHECK (slug ~ '^[a-z][a-z0-9-]{2,39}$'),
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    kind            text NOT NULL CHECK (kind IN ('agency', 'scenic_area', 'hotel')),
    schema_name     text NOT NULL UNIQUE CHECK (schema_name ~ '^t_[0-9a-f]{16}$'),
    role_name       text NOT NULL UNIQUE CHECK (role_name ~ '^t_[0-9a-f]{16}$'),
    state           text NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'suspended')),
    schema_version  integer NOT NULL,
    timezone        text NOT NULL,
    currency        char(3) NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

-- Lets `itinera migrate` and /readyz find the tenants behind the latest version without a scan.
CREATE INDEX tenants_schema_version_idx ON itinera.tenants (schema_version);

CREATE TABLE itinera.users (
    id              uuid PRIMARY KEY,
    tenant_id       uuid NOT NULL REFERENCES itinera.tenants (id) ON DELETE CASCADE,
    email           text NOT NULL CHECK (email = lower(email)),
    name            text NOT NULL,
    role            text NOT NULL CHECK (role IN ('owner', 'admin', 'marketer', 'agent', 'analyst')),
    password_hash   text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, email)
);

CREATE TABLE itinera.sessions (
    token_hash      bytea PRIMARY KEY CHECK (length(token_hash) = 32),
    tenant_id       uuid NOT NULL REFERENCES itinera.tenants (id) ON DELETE CASCADE,
    user_id         uuid NOT NULL REFERENCES itinera.users (id) ON DELETE CASCADE,
    created_at      timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL
);

CREATE INDEX sessions_user_idx ON itinera.sessions (user_id);
CREATE INDEX sessions_expires_idx ON itinera.sessions (expires_at);
