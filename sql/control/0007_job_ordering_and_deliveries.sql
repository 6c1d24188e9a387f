-- Jobs that must run one after another: a job with an ordering key is claimed only once every
-- earlier job (by `seq`) of its tenant and key has ended, so a customer's webhook deliveries to one
-- endpoint leave in the order their events happened, while other customers' go in parallel.
ALTER TABLE itinera.jobs
    ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY,
    ADD COLUMN ordering_key text CHECK (length(ordering_key) <= 200);
CREATE INDEX jobs_ordering_idx ON itinera.jobs (tenant_id, ordering_key, seq)
    WHERE ordering_key IS NOT NULL AND state IN ('queued', 'running');
-- Finished jobs, for the sweep that removes old ones.
CREATE INDEX jobs_finished_idx ON itinera.jobs (finished_at) WHERE finished_at IS NOT NULL;

-- A tenant's own transaction queues the deliveries of the events it appends to its outbox, so the
-- deliveries exist exactly when the change commits. Tenant roles may insert webhook deliveries for
-- their own tenant and nothing else: row security checks the tenant against the role that inserts
-- (the application role owns the table and is not subject to it), and they can read nothing back.
CREATE FUNCTION itinera.tenant_of_role(role text) RETURNS uuid
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog
    AS $$ SELECT id FROM itinera.tenants WHERE role_name = role $$;
ALTER TABLE itinera.jobs ENABLE ROW LEVEL SECURITY;
CREATE POLICY jobs_tenant_queues_deliveries ON itinera.jobs FOR INSERT TO PUBLIC
    WITH CHECK (kind = 'webhook.deliver' AND state = 'queued'
                AND tenant_id = itinera.tenant_of_role(current_user::text));
GRANT USAGE ON SCHEMA itinera TO PUBLIC;
GRANT INSERT ON itinera.jobs TO PUBLIC;
