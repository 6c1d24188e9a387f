-- Access: invited users, invitations and per-tenant API keys.

-- An invited user has no password until they accept their invitation.
ALTER TABLE itinera.users ALTER COLUMN password_hash DROP NOT NULL;
ALTER TABLE itinera.users
    ADD COLUMN state text NOT NULL DEFAULT 'active' CHECK (state IN ('invited', 'active')),
    ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now(),
    ADD CONSTRAINT users_active_has_password CHECK (state = 'invited' OR password_hash IS NOT NULL);

-- One-time invitation tokens, stored as SHA-256 hashes like session tokens.
CREATE TABLE itinera.invitations (
    token_hash      bytea PRIMARY KEY CHECK (length(token_hash) = 32),
    tenant_id       uuid NOT NULL REFERENCES itinera.tenants (id) ON DELETE CASCADE,
    user_id         uuid NOT NULL REFERENCES itinera.users (id) ON DELETE CASCADE,
    created_at      timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL
);
CREATE INDEX invitations_user_idx ON itinera.invitations (user_id);

-- API keys `itn_<prefix>_<secret>`: the public prefix finds the row, the SHA-256 of the whole key
-- proves it. The secret itself is never stored.
CREATE TABLE itinera.api_keys (
    id              uuid PRIMARY KEY,
    tenant_id       uuid NOT NULL REFERENCES itinera.tenants (id) ON DELETE CASCADE,
    prefix          text NOT NULL UNIQUE CHECK (prefix ~ '^[a-z0-9]{12}$'),
    key_hash        bytea NOT NULL CHECK (length(key_hash) = 32),
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    scopes          text[] NOT NULL,
    created_by      uuid,
    created_at      timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz,
    revoked_at      timestamptz,
    last_used_at    timestamptz
);
CREATE INDEX api_keys_tenant_idx ON itinera.api_keys (tenant_id, created_at, id);
