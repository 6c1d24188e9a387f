import Foundation
import Logging
import PostgresNIO

/// The SQL of the job queue (`itinera.jobs`, control schema). Requests read and queue their own
/// tenant's jobs; workers claim any tenant's.
enum JobStore {
    static let columns = """
        j.id, j.tenant_id, j.kind, j.payload::text, j.state, j.attempts, j.max_attempts, j.progress_done,
        j.progress_total, j.result::text, j.error, j.created_by, j.created_at, j.started_at, j.finished_at,
        j.run_after
        """
    static let columnCount = 16

    static func job(from row: PQRow) throws -> Job {
        Job(
            id: try row[0].decode(UUID.self), tenantID: try row[1].decode(UUID.self),
            kind: try row[2].decode(String.self), payload: try row[3].decode(String.self),
            state: Job.State(rawValue: try row[4].decode(String.self)) ?? .failed,
            attempts: try row[5].decode(Int.self), maxAttempts: try row[6].decode(Int.self),
            progressDone: try row[7].decode(Int64.self), progressTotal: try row[8].decode(Int64?.self),
            result: try row[9].decode(String?.self), error: try row[10].decode(String?.self),
            createdBy: try row[11].decode(String?.self), createdAt: try row[12].decode(Date.self),
            startedAt: try row[13].decode(Date?.self), finishedAt: try row[14].decode(Date?.self),
            runAfter: try row[15].decode(Date.self))
    }

    /// Queues `request` for `tenant` in the caller's transaction (so the job exists exactly when the
    /// change that needs it commits). With a dedupe key and a job of that key already queued, answers
    /// that job instead.
    static func enqueue(_ request: JobRequest, tenant: UUID, on connection: PQConnection, logger: Logger)
        async throws -> Job
    {
        let inserted = try await connection.query(
            """
            INSERT INTO itinera.jobs AS j (id, tenant_id, kind, payload, dedupe_key, max_attempts, created_by, run_after)
            VALUES (\(UUID()), \(tenant), \(request.kind), \(request.payload)::jsonb, \(request.dedupeKey),
                    \(request.maxAttempts), \(request.createdBy), coalesce(\(request.runAfter)::timestamptz, now()))
            ON CONFLICT (tenant_id, kind, dedupe_key) WHERE dedupe_key IS NOT NULL AND state = 'queued' DO NOTHING
            RETURNING \(unescaped: columns)
            """, logger: logger)
        for try await row in inserted { return try job(from: row.makeRandomAccess()) }
        let waiting = try await connection.query(
            """
            SELECT \(unescaped: columns) FROM itinera.jobs j
            WHERE j.tenant_id = \(tenant) AND j.kind = \(request.kind) AND j.dedupe_key = \(request.dedupeKey)
            ORDER BY j.created_at DESC LIMIT 1
            """, logger: logger)
        for try await row in waiting { return try job(from: row.makeRandomAccess()) }
        throw JobError("job \(request.kind) could be neither queued nor found")
    }

    static func find(_ id: UUID, tenant: UUID, on connection: PQConnection, logger: Logger) async throws -> Job? {
        let rows = try await connection.query(
            "SELECT \(unescaped: columns) FROM itinera.jobs j WHERE j.id = \(id) AND j.tenant_id = \(tenant)",
            logger: logger)
        for try await row in rows { return try job(from: row.makeRandomAccess()) }
        return nil
    }

    /// A tenant's jobs, newest first, `limit + 1` of them after job `after` (the cursor). Webhook
    /// deliveries (one job each, with a log of their own) only when asked for by kind.
    static func list(
        tenant: UUID, kind: String?, after: UUID?, limit: Int, on connection: PQConnection, logger: Logger
    ) async throws -> [Job] {
        let rows = try await connection.query(
            """
            SELECT \(unescaped: columns) FROM itinera.jobs j
            WHERE j.tenant_id = \(tenant)
              AND ((\(kind)::text IS NULL AND j.kind <> 'webhook.deliver') OR j.kind = \(kind))
              AND (\(after)::uuid IS NULL
                   OR (j.created_at, j.id) < (SELECT c.created_at, c.id FROM itinera.jobs c
                                              WHERE c.id = \(after) AND c.tenant_id = \(tenant)))
            ORDER BY j.created_at DESC, j.id DESC LIMIT \(limit + 1)
            """, logger: logger)
        var jobs: [Job] = []
        for try await row in rows { jobs.append(try job(from: row.makeRandomAccess())) }
        return jobs
    }

    /// Claims the next due job of one of `kinds`, skipping jobs other workers hold, and answers it
    /// with its tenant. Jobs whose worker's lease ran out (it died) are put back in the queue by the
    /// same statement, for the next claim. Only the head of an ordering key is `queued`; the check
    /// that nothing of its key is ahead of it covers two heads queued at once by concurrent writers.
    static func claim(
        kinds: [String], worker: String, lease: Duration, on connection: PQConnection, logger: Logger
    ) async throws -> (Job, Tenant)? {
        let rows = try await connection.query(
            """
            WITH expired AS (
                UPDATE itinera.jobs SET state = 'queued', lease_owner = NULL, lease_until = NULL, updated_at = now()
                WHERE state = 'running' AND lease_until < now()
            ), next AS (
                SELECT id FROM itinera.jobs q
                WHERE state = 'queued' AND run_after <= now() AND kind = ANY(\(kinds))
                  AND (q.ordering_key IS NULL OR NOT EXISTS (
                      SELECT 1 FROM itinera.jobs e
                      WHERE e.tenant_id = q.tenant_id AND e.ordering_key = q.ordering_key AND e.seq < q.seq
                        AND e.state IN ('waiting', 'queued', 'running')))
                ORDER BY run_after, seq
                LIMIT 1
                FOR UPDATE SKIP LOCKED
            )
            UPDATE itinera.jobs j
            SET state = 'running', attempts = j.attempts + 1, lease_owner = \(worker),
                lease_until = now() + make_interval(secs => \(lease.milliseconds / 1000)::float8),
                started_at = coalesce(j.started_at, now()), updated_at = now()
            FROM next, itinera.tenants t
            WHERE j.id = next.id AND t.id = j.tenant_id
            RETURNING \(unescaped: columns), \(unescaped: TenantStore.tenantColumns)
            """, logger: logger)
        for try await row in rows {
            let random = row.makeRandomAccess()
            return (try job(from: random), try TenantStore.tenant(from: random, at: columnCount))
        }
        return nil
    }

    /// The statement fragment that moves up the next `waiting` job of the key of the job that just
    /// ended (`ended`: a CTE of its `tenant_id`, `ordering_key` and `state`), unless another job of
    /// that key is still queued or running.
    static let promoteNext = """
        , promoted AS (
            UPDATE itinera.jobs w SET state = 'queued', updated_at = now()
            FROM ended
            WHERE ended.state IN ('succeeded', 'failed', 'cancelled') AND w.id = (
                SELECT n.id FROM itinera.jobs n
                WHERE n.tenant_id = ended.tenant_id AND n.ordering_key = ended.ordering_key AND n.state = 'waiting'
                  AND NOT EXISTS (
                      SELECT 1 FROM itinera.jobs o
                      WHERE o.tenant_id = ended.tenant_id AND o.ordering_key = ended.ordering_key
                        AND o.state IN ('queued', 'running') AND o.id <> ended.id)
                ORDER BY n.seq LIMIT 1)
        )
        SELECT 1
        """

    /// Moves up every `waiting` job that has nothing of its key ahead of it: the head of a key whose
    /// job ended while it was being queued (the end looked for a next job before it committed).
    /// Answers how many moved.
    static func promoteStranded(on connection: PQConnection, logger: Logger) async throws -> Int {
        try await connection.query(
            """
            UPDATE itinera.jobs w SET state = 'queued', updated_at = now()
            WHERE w.state = 'waiting' AND w.updated_at < now() - interval '5 seconds' AND NOT EXISTS (
                SELECT 1 FROM itinera.jobs e
                WHERE e.tenant_id = w.tenant_id AND e.ordering_key = w.ordering_key AND e.seq < w.seq
                  AND e.state IN ('waiting', 'queued', 'running'))
            """, logger: logger
        ).affected
    }

    /// Records progress and renews the lease; false when the job is no longer this worker's.
    static func progress(
        _ id: UUID, done: Int64, total: Int64?, worker: String, lease: Duration, on connection: PQConnection,
        logger: Logger
    ) async throws -> Bool {
        let rows = try await connection.query(
            """
            UPDATE itinera.jobs SET progress_done = \(done), progress_total = coalesce(\(total), progress_total),
                lease_until = now() + make_interval(secs => \(lease.milliseconds / 1000)::float8), updated_at = now()
            WHERE id = \(id) AND state = 'running' AND lease_owner = \(worker)
            RETURNING 1
            """, logger: logger)
        for try await _ in rows { return true }
        return false
    }

    /// Ends a job this worker holds as `state` (succeeded, failed or cancelled).
    static func finish(
        _ id: UUID, state: Job.State, result: String?, error: String?, worker: String,
        on connection: PQConnection, logger: Logger
    ) async throws {
        try await connection.execute(
            """
            WITH ended AS (
                UPDATE itinera.jobs SET state = \(state.rawValue), result = \(result)::jsonb, error = \(error),
                    lease_owner = NULL, lease_until = NULL, finished_at = now(), updated_at = now()
                WHERE id = \(id) AND state = 'running' AND lease_owner = \(worker)
                RETURNING id, tenant_id, ordering_key, state
            )
            \(unescaped: promoteNext)
            """, logger: logger)
    }

    /// Puts a job this worker holds back in the queue, due now, as if it had not been claimed.
    static func release(_ id: UUID, worker: String, on connection: PQConnection, logger: Logger) async throws {
        try await connection.execute(
            """
            UPDATE itinera.jobs SET state = 'queued', attempts = greatest(attempts - 1, 0), lease_owner = NULL,
                lease_until = NULL, progress_done = 0, updated_at = now()
            WHERE id = \(id) AND state = 'running' AND lease_owner = \(worker)
            """, logger: logger)
    }

    /// Puts a job that failed back in the queue after `delay`, or fails it for good once it has had
    /// its attempts.
    static func retryOrFail(
        _ id: UUID, error: String, delay: Duration, worker: String, on connection: PQConnection,
        logger: Logger
    ) async throws {
        try await connection.execute(
            """
            WITH ended AS (
                UPDATE itinera.jobs
                SET state = CASE WHEN attempts < max_attempts THEN 'queued' ELSE 'failed' END,
                    run_after = CASE WHEN attempts < max_attempts
                                     THEN now() + make_interval(secs => \(delay.milliseconds / 1000)::float8)
                                     ELSE run_after END,
                    finished_at = CASE WHEN attempts < max_attempts THEN NULL ELSE now() END,
                    error = \(error), lease_owner = NULL, lease_until = NULL, updated_at = now()
                WHERE id = \(id) AND state = 'running' AND lease_owner = \(worker)
                RETURNING id, tenant_id, ordering_key, state
            )
            \(unescaped: promoteNext)
            """, logger: logger)
    }

    /// Queues `kind` for every active tenant in the current slot of `interval` (its multiples since
    /// 1970), once: a slot's job exists at most once per tenant (`jobs_slot_idx`), however many servers
    /// schedule at the same moment. A tenant's first one comes an interval after it signed up. The
    /// kind is its jobs' ordering key, so a slot's job waits while the last slot's still runs.
    static func schedule(
        kind: String, every interval: Duration, now: Date = Date(), on connection: PQConnection, logger: Logger
    ) async throws -> Int {
        let seconds = max(interval.milliseconds / 1000, 1)
        let slot = Date(timeIntervalSince1970: (now.timeIntervalSince1970 / seconds).rounded(.down) * seconds)
        let key = "slot:" + slot.formatted(.iso8601)
        let rows = try await connection.query(
            """
            INSERT INTO itinera.jobs (id, tenant_id, kind, dedupe_key, created_by, ordering_key, state)
            SELECT gen_random_uuid(), t.id, \(kind), \(key), 'scheduler', \(kind),
                   CASE WHEN itinera.job_key_busy(t.id, \(kind)) THEN 'waiting' ELSE 'queued' END
            FROM itinera.tenants t
            WHERE t.state = 'active' AND t.created_at <= \(now) - make_interval(secs => \(seconds)::float8)
            ON CONFLICT (tenant_id, kind, dedupe_key) WHERE created_by = 'scheduler' DO NOTHING
            RETURNING 1
            """, logger: logger)
        return rows.count
    }
}

extension JobStore {
    /// Deletes the tenant's jobs that ended before `before`; answers how many.
    static func prune(tenant: UUID, endedBefore before: Date, on connection: PQConnection, logger: Logger)
        async throws -> Int
    {
        try await connection.query(
            """
            DELETE FROM itinera.jobs
            WHERE tenant_id = \(tenant) AND finished_at < \(before) AND state IN ('succeeded', 'failed', 'cancelled')
            """, logger: logger
        ).affected
    }
}

/// A job queue failure that is the server's own (never the caller's input).
struct JobError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension JobStore {
    /// Queues a job about one record (`{"<subject>": id}`) from inside a tenant's transaction, due
    /// at `runAfter` (or now): the tenant's role may queue the kinds the control schema's policy
    /// on `itinera.jobs` names, for its own tenant only.
    static func queue(
        _ kind: String, subject: String, id: Int64, runAfter: Date? = nil, createdBy: String, maxAttempts: Int = 10,
        on tenant: TenantConnection
    ) async throws {
        try await tenant.execute(
            """
            INSERT INTO itinera.jobs (id, tenant_id, kind, payload, run_after, max_attempts, created_by, state)
            VALUES (gen_random_uuid(), \(tenant.tenant.id), \(kind), jsonb_build_object(\(subject)::text, \(id)),
                    coalesce(\(runAfter)::timestamptz, now()), \(maxAttempts), \(createdBy), 'queued')
            """)
    }
}

extension JobStore {
    /// SQL that queues, from inside a tenant's transaction, one `kind` job for each distinct
    /// `due_at` of the relation `times`, due then; a due time that already has one queued is left
    /// to it. `tenant` is an SQL expression of the tenant's id.
    static func queueAtDueTimes(kind: String, times: String, tenant: String, createdBy: String) -> String {
        """
        INSERT INTO itinera.jobs (id, tenant_id, kind, payload, run_after, max_attempts, created_by, state, dedupe_key)
        SELECT gen_random_uuid(), \(tenant), '\(kind)', '{}'::jsonb, d.due_at, 10, '\(createdBy)', 'queued',
               'due:' || (extract(epoch FROM d.due_at) * 1000000)::bigint
        FROM (SELECT DISTINCT due_at FROM \(times)) AS d
        ON CONFLICT (tenant_id, kind, dedupe_key) WHERE dedupe_key IS NOT NULL AND state = 'queued' DO NOTHING
        """
    }
}
