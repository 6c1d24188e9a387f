-- Messages to customers are sent by `message.send` jobs, queued in the tenant's own transaction
-- with the message, as webhook deliveries are.
ALTER POLICY jobs_tenant_queues_deliveries ON itinera.jobs
    WITH CHECK (kind IN ('webhook.deliver', 'message.send') AND state IN ('waiting', 'queued')
                AND tenant_id = itinera.tenant_of_role(current_user::text));

-- Keys of the server itself, shared by every instance: `links` signs the links in messages (one-click
-- unsubscribe, click tracking, a gateway's status callback). 244 random bits from the server's
-- strong random source; tenant roles cannot read this table.
CREATE TABLE itinera.server_keys (
    name       text PRIMARY KEY,
    secret     bytea NOT NULL CHECK (length(secret) >= 30),
    created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO itinera.server_keys (name, secret)
VALUES ('links', decode(replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''), 'hex'));
