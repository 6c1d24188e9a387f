import Foundation

/// Tells the travellers a risk alert found (`care.risk_alert`, queued by the alert): in
/// transactions of `batch` bookings, each locked, its `RiskAlertDue` published and its notification
/// recorded in the same transaction, so that nobody is told twice when the job is interrupted and
/// run again. When none is left the alert is done (`risk_alert.completed`).
struct RiskAlertJob: JobHandler {
    static let kind = "care.risk_alert"
    var kind: String { Self.kind }
    let events: DomainEvents
    var batch = 200

    func run(_ job: Job, in run: JobRun) async throws -> JobOutcome {
        guard let data = job.payload.data(using: .utf8),
            let payload = try? JSONDecoder().decode([String: Int64].self, from: data), let id = payload["risk_alert"]
        else { return .failed(reason: "the job names no risk alert") }
        var told: Int64 = 0
        while true {
            let step = try await run.inTenant { tenant -> Int in
                guard let alert = try await RiskAlertStore.find(id, on: tenant) else { return 0 }
                let due = try await RiskAlertStore.takePending(of: id, limit: batch, on: tenant)
                let context = EventContext(connection: tenant, tenant: run.tenant, events: events)
                for booking in due {
                    try await context.publish(
                        RiskAlertDue(alert: alert, booking: booking))
                    // Whatever the reactions did not settle.
                    try await RiskAlertStore.settle(
                        alert: id, order: booking.orderID, message: nil, channel: nil, reason: "no_template",
                        zone: run.tenant.timezone, on: tenant)
                }
                return due.count
            }
            told += Int64(step)
            if step < batch { break }
            try await run.progress(done: told, total: nil)
        }
        try await run.inTenant { tenant in
            guard let alert = try await RiskAlertStore.finish(id, on: tenant) else { return }
            let report = try await RiskAlertStore.report(id, on: tenant)
            try await EventContext(connection: tenant, tenant: run.tenant, events: events).publish(
                RiskAlertChanged(alert: alert, action: "completed", report: report))
        }
        return .succeeded(result: #"{"told":\#(told)}"#)
    }
}
