import Foundation

/// Computes a tenant's insight overview and stores it (`insight.refresh`: hourly for every tenant,
/// and on request by `POST /v1/insight/refresh`), the RFM sizes of the one before giving the drift.
struct InsightRefreshJob: JobHandler {
    static let kind = "insight.refresh"
    var kind: String { Self.kind }
    let clock: WallClock

    static func request(createdBy: String) -> JobRequest {
        JobRequest(kind: kind, dedupeKey: "refresh", createdBy: createdBy)
    }

    func run(_ job: Job, in run: JobRun) async throws -> JobOutcome {
        let snapshot = try await run.inTenant { try await Self.refresh(tenant: run.tenant, clock: clock, on: $0) }
        return .succeeded(
            result:
                #"{"computed_at":"\#(snapshot.computedAt.formatted(.iso8601))","took_ms":\#(snapshot.tookMilliseconds)}"#
        )
    }

    /// Computes the overview now and stores it, in the caller's transaction of the tenant.
    static func refresh(tenant: Tenant, clock: WallClock, on connection: TenantConnection) async throws
        -> InsightSnapshot
    {
        let started = ContinuousClock.now
        let asOf = clock.now()
        let previous = try await InsightStore.snapshot(on: connection)
        let overview = try await InsightStore.compute(
            asOf: asOf, zone: tenant.timezone, currency: tenant.currency, previous: previous?.overview,
            on: connection)
        let took = Int((ContinuousClock.now - started).milliseconds)
        try await InsightStore.store(overview, computedAt: asOf, took: took, on: connection)
        return InsightSnapshot(overview: overview, computedAt: asOf, tookMilliseconds: took)
    }
}
