import Foundation
public import Logging
public import PostgresNIO
public import ServiceLifecycle

/// What a job kind does. A handler runs inside the job's tenant (through `JobRun`), reports
/// progress as it goes, and answers how the job ended. Throwing puts the job back in the queue for
/// another attempt, until it has had them all.
public protocol JobHandler: Sendable {
    var kind: String { get }
    func run(_ job: Job, in run: JobRun) async throws -> JobOutcome
}

/// How a job ended, when it did not throw.
public enum JobOutcome: Sendable, Equatable {
    /// Done; `result` is a JSON object readers see.
    case succeeded(result: String)
    /// Given up on purpose (a later job does the work); `reason` is what readers see.
    case cancelled(reason: String)
    /// Failed for good, without another attempt (the handler has recorded why).
    case failed(reason: String)
}

extension JobOutcome {
    /// The outcome as metrics name it.
    var label: String {
        switch self {
        case .succeeded: "succeeded"
        case .cancelled: "cancelled"
        case .failed: "failed"
        }
    }
}

/// Thrown by a handler whose attempt failed and that says when to try again (a receiver's
/// `Retry-After`, a delivery's back-off schedule); the job fails for good once it has had its
/// attempts.
public struct JobRetry: Error, CustomStringConvertible {
    public let after: Duration
    public let reason: String

    public init(after: Duration, reason: String) {
        self.after = after
        self.reason = reason
    }

    public var description: String { reason }
}

/// One claimed job's surroundings: the database, its tenant, and the lease to keep.
public struct JobRun: Sendable {
    public let client: PQPool
    public let tenant: Tenant
    public let logger: Logger
    let jobID: UUID
    let worker: String
    let lease: Duration

    /// Runs `body` in one transaction of the job's tenant.
    public func inTenant<Result: Sendable>(_ body: (TenantConnection) async throws -> Result) async throws -> Result {
        try await TenantTransaction.run(client, tenant: tenant.identity, logger: logger, body)
    }

    /// Records how far the job has got and renews its lease. Throws when another worker has taken the
    /// job over (this one's lease ran out), so the work stops.
    public func progress(done: Int64, total: Int64?) async throws {
        if Task.isShuttingDownGracefully || Task.isCancelled { throw JobInterrupted() }
        let held = try await client.withConnection { connection in
            try await JobStore.progress(
                jobID, done: done, total: total, worker: worker, lease: lease, on: connection, logger: logger)
        }
        guard held else { throw JobError("job \(jobID) is no longer held by \(worker)") }
    }
}

/// Thrown by `JobRun.progress` when the server is stopping, so that a job stops between steps.
struct JobInterrupted: Error {}

/// Claims jobs from the queue and runs them, one at a time per worker; `itinera serve` runs one
/// beside the HTTP server. Also queues periodic jobs (`periodic`) for every tenant when due.
public final class JobWorker: Service, Sendable {
    let client: PQPool
    let handlers: [String: any JobHandler]
    let periodic: [(kind: String, every: Duration)]
    let name: String
    let pollInterval: Duration
    let lease: Duration
    let retryDelay: Duration
    let logger: Logger

    public init(
        client: PQPool, handlers: [any JobHandler], periodic: [(kind: String, every: Duration)] = [],
        pollInterval: Duration = .milliseconds(250), lease: Duration = .seconds(120),
        retryDelay: Duration = .seconds(30),
        logger: Logger
    ) {
        self.client = client
        self.handlers = Dictionary(handlers.map { ($0.kind, $0) }) { first, _ in first }
        self.periodic = periodic
        self.name = "\(Self.hostName()):\(ProcessInfo.processInfo.processIdentifier):\(UUID())"
        self.pollInterval = pollInterval
        self.lease = lease
        self.retryDelay = retryDelay
        self.logger = logger
    }

    /// The machine's name, for the lease owner that workers write (`gethostname`: `ProcessInfo.hostName`
    /// may look the name up through DNS, which can hold up start-up).
    static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "host" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public func run() async throws {
        var lastScheduled = ContinuousClock.now - .seconds(3600)
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            if !periodic.isEmpty, ContinuousClock.now - lastScheduled >= .seconds(60) {
                lastScheduled = .now
                do { try await schedulePeriodic() } catch {
                    logger.warning("Scheduling periodic jobs failed", metadata: ["error": "\(error)"])
                }
                do {
                    let moved = try await client.withConnection { connection in
                        try await JobStore.promoteStranded(on: connection, logger: logger)
                    }
                    if moved > 0 { logger.notice("Moved up stranded waiting jobs", metadata: ["count": "\(moved)"]) }
                } catch {
                    logger.warning("Moving up stranded jobs failed", metadata: ["error": "\(error)"])
                }
            }
            if Task.isCancelled || Task.isShuttingDownGracefully { break }
            let ran: Bool
            do { ran = try await runNext() } catch {
                logger.warning("Claiming a job failed", metadata: ["error": "\(error)"])
                ran = false
            }
            if !ran { try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.pollInterval) } }
        }
    }

    /// Queues each periodic kind for the tenants whose last one is older than its interval.
    public func schedulePeriodic() async throws {
        try await client.withConnection { connection in
            for (kind, every) in periodic {
                let queued = try await JobStore.schedule(kind: kind, every: every, on: connection, logger: logger)
                if queued > 0 {
                    logger.info("Queued periodic jobs", metadata: ["kind": "\(kind)", "count": "\(queued)"])
                }
            }
        }
    }

    /// Runs every job that is due now, one after another; answers how many ran.
    @discardableResult
    public func drain() async throws -> Int {
        var count = 0
        while try await runNext() { count += 1 }
        return count
    }

    /// Claims and runs one due job; false when none is due.
    @discardableResult
    public func runNext() async throws -> Bool {
        let claimed = try await client.withConnection { connection in
            try await JobStore.claim(
                kinds: Array(handlers.keys), worker: name, lease: lease, on: connection, logger: self.logger)
        }
        guard let (job, tenant) = claimed else { return false }
        var logger = self.logger
        logger[metadataKey: "job"] = "\(job.id)"
        logger[metadataKey: "kind"] = "\(job.kind)"
        logger[metadataKey: "tenant"] = "\(tenant.slug)"
        guard let handler = handlers[job.kind] else { return true }
        if job.attempts > job.maxAttempts {
            try await end(job.id, .failed, result: nil, error: "gave up after \(job.maxAttempts) attempts", logger)
            return true
        }
        let started = ContinuousClock.now
        do {
            let outcome = try await handler.run(
                job,
                in: JobRun(client: client, tenant: tenant, logger: logger, jobID: job.id, worker: name, lease: lease))
            switch outcome {
            case .succeeded(let result): try await end(job.id, .succeeded, result: result, error: nil, logger)
            case .cancelled(let reason): try await end(job.id, .cancelled, result: nil, error: reason, logger)
            case .failed(let reason): try await end(job.id, .failed, result: nil, error: reason, logger)
            }
            logger.info(
                "Job ended",
                metadata: ["outcome": "\(outcome)", "ms": "\((ContinuousClock.now - started).milliseconds)"])
            ItineraMetrics.jobEnded(kind: job.kind, outcome: outcome.label, duration: ContinuousClock.now - started)
        } catch
            where error is JobInterrupted || error is CancellationError || Task.isCancelled
            || Task.isShuttingDownGracefully
        {
            // The server is stopping (between steps, or in the middle of a statement the stop
            // cancelled): the job goes back to the queue as it was, for this or another server to
            // start again (in a task of its own: the worker's may be cancelled).
            let (client, name, id, logger) = (self.client, self.name, job.id, logger)
            try await Task {
                try await client.withConnection { connection in
                    try await JobStore.release(id, worker: name, on: connection, logger: logger)
                }
            }.value
            logger.notice("Job put back in the queue: the server is stopping")
        } catch let retry as JobRetry {
            ItineraMetrics.jobEnded(kind: job.kind, outcome: "retry", duration: ContinuousClock.now - started)
            try await client.withConnection { connection in
                try await JobStore.retryOrFail(
                    job.id, error: String(retry.reason.prefix(500)), delay: retry.after, worker: name, on: connection,
                    logger: logger)
            }
        } catch {
            logger.error(
                "Job failed", metadata: ["error": "\(String(reflecting: error))", "attempt": "\(job.attempts)"])
            ItineraMetrics.jobEnded(kind: job.kind, outcome: "error", duration: ContinuousClock.now - started)
            try await client.withConnection { connection in
                try await JobStore.retryOrFail(
                    job.id, error: Self.describe(error), delay: retryDelay * job.attempts, worker: name,
                    on: connection, logger: logger)
            }
        }
        return true
    }

    private func end(_ id: UUID, _ state: Job.State, result: String?, error: String?, _ logger: Logger) async throws {
        try await client.withConnection { connection in
            try await JobStore.finish(
                id, state: state, result: result, error: error, worker: name, on: connection, logger: logger)
        }
    }

    /// What readers of a failed job see: the database's own message when there is one.
    static func describe(_ error: any Error) -> String {
        if let psql = error as? PQError {
            let message = psql.message
            return String(message.prefix(500))
        }
        return String(String(describing: error).prefix(500))
    }
}
