-- Jobs that must run one after another: jobs with the same ordering key (a customer's webhook
-- deliveries to one endpoint) run in the order of `seq`, and jobs of other keys in parallel. Only the
-- head of a key is `queued`; the jobs behind it are `waiting` and the head's end moves the next one up,
-- so a key held up by retries (an endpoint that is down) costs the other keys' claims nothing.
ALTER TABLE itinera.jobs
    ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY,
    ADD COLUMN ordering_key text CHECK (length(ordering_key) <= 200),
    DROP CONSTRAINT jobs_state_check,
    ADD CONSTRAINT jobs_state_check
        CHECK (state IN ('waiting', 'queued', 'running', 'succeeded', 'failed', 'cancelled'));
-- Claims take the due queued jobs in the order they fell due.
DROP INDEX itinera.jobs_queued_idx;
CREATE INDEX jobs_queued_idx ON itinera.jobs (run_after, seq) WHERE state = 'queued';
-- The jobs of one key that have not ended, for "is anything ahead of this one".
CREATE INDEX jobs_ordering_idx ON itinera.jobs (tenant_id, ordering_key, seq)
    WHERE ordering_key IS NOT NULL AND state IN ('waiting', 'queued', 'running');
-- Finished jobs, for the sweep that removes old ones.
CREATE INDEX jobs_finished_idx ON itinera.jobs (finished_at) WHERE finished_at IS NOT NULL;

-- Whether a job of the tenant's key has not ended (so a new one waits behind it).
CREATE FUNCTION itinera.job_key_busy(tenant uuid, key text) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog
    AS $$
        SELECT EXISTS (SELECT 1 FROM itinera.jobs
                       WHERE tenant_id = tenant AND ordering_key = key AND state IN ('waiting', 'queued', 'running'))
    $$;

-- A tenant's own transaction queues the deliveries of the events it appends to its outbox, so the
-- deliveries exist exactly when the change commits. Tenant roles may insert webhook deliveries for
-- their own tenant and nothing else: row security checks the tenant against the role that inserts
-- (the application role owns the table and is not subject to it), and they can read nothing back.
CREATE FUNCTION itinera.tenant_of_role(role text) RETURNS uuid
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog
    AS $$ SELECT id FROM itinera.tenants WHERE role_name = role $$;
ALTER TABLE itinera.jobs ENABLE ROW LEVEL SECURITY;
CREATE POLICY jobs_tenant_queues_deliveries ON itinera.jobs FOR INSERT TO PUBLIC
    WITH CHECK (kind = 'webhook.deliver' AND state IN ('waiting', 'queued')
                AND tenant_id = itinera.tenant_of_role(current_user::text));
GRANT USAGE ON SCHEMA itinera TO PUBLIC;
GRANT INSERT ON itinera.jobs TO PUBLIC;

-- Periodic jobs are scheduled per slot (the interval's multiples since 1970): a slot's job exists at
-- most once per tenant, however many servers schedule it at the same moment. Jobs scheduled before
-- slots each get a key of their own.
UPDATE itinera.jobs SET dedupe_key = 'before-slots:' || id WHERE created_by = 'scheduler';
CREATE UNIQUE INDEX jobs_slot_idx ON itinera.jobs (tenant_id, kind, dedupe_key) WHERE created_by = 'scheduler';
