import Foundation

/// Sends the trip touchpoints that are due (`care.touchpoints`, queued by orders and rule changes
/// for each due time): in transactions of `batch`, each touchpoint locked, its `TouchpointDue`
/// published, and what became of it recorded in the same transaction, so that none is sent twice
/// when the job is interrupted and run again. A touchpoint whose order was cancelled meanwhile is
/// withdrawn; one that nothing answered for is skipped (`no_template`).
struct TouchpointJob: JobHandler {
    static let kind = "care.touchpoints"
    var kind: String { Self.kind }
    let events: DomainEvents
    /// Makes each touchpoint's link to its order's survey (`survey.url` in templates).
    let surveys: SurveyLinks
    var batch = 200

    func run(_ job: Job, in run: JobRun) async throws -> JobOutcome {
        var counts: [Touchpoint.State: Int] = [:]
        while true {
            let step = try await run.inTenant { tenant -> [Touchpoint.State] in
                try await TouchpointStore.passSlots(on: tenant)
                let due = try await TouchpointStore.takeDue(limit: batch, on: tenant)
                let context = EventContext(connection: tenant, tenant: run.tenant, events: events)
                for (touchpoint, orderCounts) in due {
                    if orderCounts {
                        let url = try await surveys.url(tenant: run.tenant.id, order: touchpoint.orderID)
                        try await context.publish(TouchpointDue(touchpoint: touchpoint, surveyURL: url))
                    }
                    // Whatever the reactions did not settle.
                    try await TouchpointStore.settle(
                        touchpoint.id, state: orderCounts ? .skipped : .withdrawn,
                        reason: orderCounts ? "no_template" : "order_cancelled", message: nil, on: tenant)
                }
                return try await TouchpointStore.states(of: due.map(\.0.id), on: tenant)
            }
            for state in step { counts[state, default: 0] += 1 }
            if step.count < batch { break }
        }
        let result = Touchpoint.State.allCases.map { "\"\($0.rawValue)\":\(counts[$0] ?? 0)" }
        return .succeeded(result: "{\(result.joined(separator: ","))}")
    }
}
