import Foundation

/// Raises a complaint's breaches when they happen (`care.sla_check`, queued by the complaint's own
/// transactions for its first-response and resolution due times): as of the server's clock, each
/// breach not yet recorded becomes a `breached` entry of the history and a `ComplaintBreached`
/// event (`complaint.sla_breached` to webhooks). A resolution whose due time has moved on (a pause)
/// is checked again then; a complaint resolved in time is left alone.
struct ComplaintCheckJob: JobHandler {
    static let kind = "care.sla_check"
    var kind: String { Self.kind }
    let events: DomainEvents
    let clock: WallClock

    func run(_ job: Job, in run: JobRun) async throws -> JobOutcome {
        guard let data = job.payload.data(using: .utf8),
            let payload = try? JSONDecoder().decode([String: Int64].self, from: data), let id = payload["complaint"]
        else { return .failed(reason: "the job names no complaint") }
        let now = clock.now()
        let raised = try await run.inTenant { tenant -> [String] in
            guard let complaint = try await ComplaintStore.find(id, lock: true, on: tenant) else { return [] }
            let history = try await ComplaintStore.events(of: id, on: tenant)
            let recorded = Set(history.filter { $0.type == "breached" }.compactMap(\.note))
            let sla = ComplaintSLA(stored: complaint, now: now)
            let context = EventContext(connection: tenant, tenant: run.tenant, events: events)
            var raised: [String] = []
            for (kind, late, due) in [
                ("first_response", sla.firstResponseBreached, sla.firstResponseDueAt),
                ("resolution", sla.resolutionBreached, sla.resolutionDueAt),
            ] where late && !recorded.contains(kind) {
                try await ComplaintStore.record(
                    ComplaintEvent(type: "breached", state: nil, at: now, actor: "system", note: kind), of: id,
                    on: tenant)
                try await context.publish(ComplaintBreached(complaint: complaint, kind: kind, dueAt: due))
                raised.append(kind)
            }
            // A resolution still running, not late yet: check again when it falls due.
            if !sla.resolutionBreached, complaint.resolvedAt == nil {
                try await JobStore.queue(
                    ComplaintCheckJob.kind, subject: "complaint", id: id, runAfter: sla.resolutionDueAt,
                    createdBy: "care", on: tenant)
            }
            return raised
        }
        return .succeeded(result: #"{"breached":[\#(raised.map { "\"\($0)\"" }.joined(separator: ","))]}"#)
    }
}
