import Foundation

/// Passes on the seats offered from an event's waiting list whose hold has run out
/// (`community.expire_holds`, queued by the promotion that offered the seat, due at the hold's
/// end): each expired offer is cancelled (reason `hold expired`) and its seat offered to the next
/// waiting, under the event's row lock, as any cancellation is. An offer confirmed in time is left
/// alone, so the job then does nothing.
struct HoldExpiryJob: JobHandler {
    static let kind = "community.expire_holds"
    var kind: String { Self.kind }
    let events: DomainEvents

    func run(_ job: Job, in run: JobRun) async throws -> JobOutcome {
        guard let data = job.payload.data(using: .utf8),
            let payload = try? JSONDecoder().decode([String: Int64].self, from: data), let id = payload["event"]
        else { return .failed(reason: "the job names no event") }
        let expired = try await run.inTenant { tenant in
            guard let event = try await EventStore.find(id, lock: true, on: tenant) else { return 0 }
            let context = EventContext(connection: tenant, tenant: run.tenant, events: events)
            var expired = 0
            for registration in try await RegistrationStore.expiredHolds(of: id, on: tenant) {
                guard
                    let cancelled = try await RegistrationStore.cancel(
                        registration, event: id, reason: "hold expired", on: tenant)
                else { continue }
                expired += 1
                try await context.publish(RegistrationCancelled(event: event, registration: cancelled.registration))
                if let promoted = cancelled.promoted {
                    try await context.publish(RegistrationPromoted(event: event, registration: promoted))
                }
            }
            return expired
        }
        return .succeeded(result: #"{"expired":\#(expired)}"#)
    }
}
