import Foundation

/// The tenant's periodic clean-up of what delivery leaves behind (`delivery.prune`, daily): outbox
/// events older than the retention (their deliveries with them) and the tenant's jobs that ended
/// before it. A replay reaches back as far as the events kept.
struct OutboxPruneJob: JobHandler {
    static let kind = "delivery.prune"
    var kind: String { Self.kind }
    let retention: Duration

    func run(_ job: Job, in run: JobRun) async throws -> JobOutcome {
        let before = Date().addingTimeInterval(-Double(retention.milliseconds) / 1000)
        var events = 0
        // In batches, each its own transaction, so a large backlog does not hold one long transaction.
        while true {
            let deleted = try await run.inTenant { tenant in
                try await OutboxStore.prune(before: before, limit: 10_000, on: tenant)
            }
            events += deleted
            try await run.progress(done: Int64(events), total: nil)
            if deleted < 10_000 { break }
        }
        let jobs = try await run.client.withConnection { connection in
            try await JobStore.prune(tenant: run.tenant.id, endedBefore: before, on: connection, logger: run.logger)
        }
        return .succeeded(result: #"{"events":\#(events),"jobs":\#(jobs)}"#)
    }
}
