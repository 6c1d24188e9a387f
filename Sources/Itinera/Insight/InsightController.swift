import Foundation
import ItineraAPI
import Logging

/// The tenant's figures: `GET /v1/insight/overview` from the stored refresh, `POST /v1/insight/refresh`.
struct InsightController: Sendable {
    let access: AccessControl
    let clock: WallClock
    let logger: Logger

    /// The stored overview; a tenant's first request computes and stores it.
    func getInsightOverview(_ input: Operations.GetInsightOverview.Input) async throws
        -> Operations.GetInsightOverview.Output
    {
        let snapshot = try await access.inTenant(isolation: .repeatableRead) { tenant, principal in
            if let stored = try await InsightStore.snapshot(on: tenant) { return stored }
            return try await InsightRefreshJob.refresh(tenant: principal.tenant, clock: clock, on: tenant)
        }
        return .ok(.init(body: .json(snapshot.api)))
    }

    /// Queues a refresh (one at a time per tenant).
    func refreshInsight(_ input: Operations.RefreshInsight.Input) async throws -> Operations.RefreshInsight.Output {
        let job = try await access.inTenant { tenant, principal in
            let actor = principal.auditActor
            return try await JobStore.enqueue(
                InsightRefreshJob.request(createdBy: "\(actor.type):\(actor.id)"), tenant: principal.tenant.id,
                on: try await TenantTransaction.leave(tenant), logger: logger)
        }
        return .accepted(.init(body: .json(job.api)))
    }
}
