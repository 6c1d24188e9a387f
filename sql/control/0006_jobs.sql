-- The job queue: work that runs in the background (re-evaluating a programme's members after its
-- tiers change, the loyalty sweep that expires points and applies due demotions). Workers claim a
-- job with FOR UPDATE SKIP LOCKED and hold a lease on it; a job whose lease ran out (its worker
-- died) is claimed again. A job belongs to one tenant and runs inside that tenant.
CREATE TABLE itinera.jobs (
    id              uuid PRIMARY KEY,
    tenant_id       uuid NOT NULL REFERENCES itinera.tenants (id) ON DELETE CASCADE,
    kind            text NOT NULL CHECK (kind ~ '^[a-z][a-z_.]{2,59}$'),
    payload         jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(payload) = 'object'),
    -- At most one queued job per tenant, kind and key (one programme's re-evaluation, the sweep): a
    -- second request while one waits joins it. Null for jobs that may queue side by side.
    dedupe_key      text,
    state           text NOT NULL DEFAULT 'queued'
                    CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    run_after       timestamptz NOT NULL DEFAULT now(),
    attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    max_attempts    integer NOT NULL DEFAULT 3 CHECK (max_attempts BETWEEN 1 AND 20),
    lease_owner     text,
    lease_until     timestamptz,
    progress_done   bigint NOT NULL DEFAULT 0 CHECK (progress_done >= 0),
    progress_total  bigint CHECK (progress_total >= 0),
    result          jsonb,
    error           text,
    created_by      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    started_at      timestamptz,
    finished_at     timestamptz,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CHECK ((state = 'running') = (lease_until IS NOT NULL))
);

-- What a worker looks for: queued jobs that are due, and running jobs whose lease ran out.
CREATE INDEX jobs_queued_idx ON itinera.jobs (run_after) WHERE state = 'queued';
CREATE INDEX jobs_running_idx ON itinera.jobs (lease_until) WHERE state = 'running';
CREATE INDEX jobs_tenant_idx ON itinera.jobs (tenant_id, created_at DESC, id DESC);
CREATE UNIQUE INDEX jobs_dedupe_idx ON itinera.jobs (tenant_id, kind, dedupe_key)
    WHERE dedupe_key IS NOT NULL AND state = 'queued';
