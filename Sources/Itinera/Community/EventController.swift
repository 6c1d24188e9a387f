import Foundation
import ItineraAPI
import Logging

/// Community events: `/v1/events`, `/v1/events/{id}` and its report.
struct EventController: Sendable {
    let access: AccessControl
    let events: DomainEvents
    let logger: Logger

    func listEvents(_ input: Operations.ListEvents.Input) async throws -> Operations.ListEvents.Output {
        let page = try PageRequest(limit: input.query.limit, cursor: input.query.cursor)
        let after = try page.afterTimeAndNumber()
        let community = try input.query.communityId.map { text throws(Problem) in
            try FieldText.id(text, field: "community_id", what: "a community's id")
        }
        let (found, timezone) = try await access.inTenant { tenant, principal in
            (
                try await EventStore.list(
                    community: community, state: input.query.state?.rawValue, after: after, limit: page.limit + 1,
                    on: tenant),
                principal.tenant.timezone
            )
        }
        let (shown, next) = page.split(found) { PageRequest.cursor(time: $0.startsAt, number: $0.id) }
        return .ok(.init(body: .json(.init(items: shown.map { $0.api(in: timezone) }, nextCursor: next))))
    }

    func createEvent(_ input: Operations.CreateEvent.Input) async throws -> Operations.CreateEvent.Output {
        guard case .json(let body) = input.body else { throw Problem.malformedBody("Expected a JSON body.") }
        let fields = body.value1
        let (kind, title) = (body.value2.kind, body.value2.title)
        let (startsAt, endsAt) = (body.value2.startsAt, body.value2.endsAt)
        let now = Date()
        var draft = CommunityEvent(
            id: 0, communityID: nil, membersOnly: false, kind: CommunityEvent.Kind(rawValue: kind.rawValue) ?? .meetup,
            title: title, description: nil, startsAt: startsAt, endsAt: endsAt, location: nil, onlineURL: nil,
            capacity: nil, waitlistCapacity: nil, registrationOpensAt: nil, registrationClosesAt: nil, programID: nil,
            minTier: nil, state: body.value2.state.flatMap { CommunityEvent.State(rawValue: $0.rawValue) } ?? .draft,
            registeredCount: 0, waitlistedCount: 0, cancelledReason: nil, createdAt: now, updatedAt: now,
            votingOpensAt: nil, votingClosesAt: nil)
        try EventInput.apply(fields, to: &draft, creating: true)
        let event = try await access.inTenant { tenant, principal in
            let made: CommunityEvent
            switch try await EventStore.insert(draft, on: tenant) {
            case .success(let event): made = event
            case .failure(.noCommunity):
                throw Problem.notFound("community", fields.communityId ?? "", field: "community_id")
            case .failure(.noTier): throw EventInput.noTier(draft)
            }
            try await AuditLog.record(
                principal.auditEvent(
                    action: "event.create", targetType: "event", targetID: String(made.id), before: nil,
                    after: made.auditJSON),
                on: tenant)
            return made.api(in: principal.tenant.timezone)
        }
        return .created(.init(body: .json(event)))
    }

    func getEvent(_ input: Operations.GetEvent.Input) async throws -> Operations.GetEvent.Output {
        let id = try Problem.pathID(input.path.id, of: "event")
        let event = try await access.inTenant { tenant, principal in
            try await Self.require(id, on: tenant).api(in: principal.tenant.timezone)
        }
        return .ok(.init(body: .json(event)))
    }

    func getEventReport(_ input: Operations.GetEventReport.Input) async throws -> Operations.GetEventReport.Output {
        let id = try Problem.pathID(input.path.id, of: "event")
        let report = try await access.inTenant { tenant, _ in
            _ = try await Self.require(id, on: tenant)
            return try await EventStore.report(id, on: tenant)
        }
        return .ok(.init(body: .json(report.api)))
    }

    /// Changes the event under its row lock (which registrations and cancellations also take): a
    /// lower capacity may not fall below the seats taken; a higher one promotes the waiting list into
    /// the new seats; cancelling tells everyone registered or waiting.
    func updateEvent(_ input: Operations.UpdateEvent.Input) async throws -> Operations.UpdateEvent.Output {
        let id = try Problem.pathID(input.path.id, of: "event")
        guard case .json(let body) = input.body else { throw Problem.malformedBody("Expected a JSON body.") }
        let event = try await access.inTenant { tenant, principal in
            let before = try await Self.require(id, lock: true, on: tenant)
            var changed = before
            try EventInput.apply(body.value1, to: &changed, creating: false)
            if let state = body.value2.state.flatMap({ CommunityEvent.State(rawValue: $0.rawValue) }) {
                guard CommunityEvent.allowed(from: before.state).contains(state) else {
                    throw Problem.conflict(
                        "Event \(id) is \(before.state.rawValue); it cannot become \(state.rawValue).", field: "state")
                }
                changed.state = state
            }
            if let reason = body.value2.cancelledReason {
                changed.cancelledReason = try FieldText.required(reason, field: "cancelled_reason", max: 500)
            }
            if let capacity = changed.capacity, capacity < before.registeredCount {
                throw Problem.conflict(
                    "Event \(id) has \(before.registeredCount) registered; capacity cannot be \(capacity).",
                    field: "capacity")
            }
            guard let after = try await EventStore.update(changed, on: tenant) else { throw EventInput.noTier(changed) }
            let context = EventContext(connection: tenant, tenant: principal.tenant, events: events)
            var current = after
            if after.state != .cancelled, after.waitlistedCount > 0,
                after.capacity.map({ $0 > after.registeredCount }) ?? true
            {
                let seats = after.capacity.map { $0 - after.registeredCount } ?? after.waitlistedCount
                for promoted in try await RegistrationStore.promote(event: id, seats: seats, on: tenant) {
                    try await context.publish(RegistrationPromoted(event: after, registration: promoted))
                }
                current = try await Self.require(id, on: tenant)
            }
            if before.state != .cancelled, after.state == .cancelled {
                try await context.publish(
                    EventCancelled(
                        event: after, customers: try await RegistrationStore.liveCustomers(of: id, on: tenant)))
            }
            try await AuditLog.record(
                principal.auditEvent(
                    action: after.state == .cancelled && before.state != .cancelled ? "event.cancel" : "event.update",
                    targetType: "event", targetID: String(id), before: before.auditJSON, after: after.auditJSON),
                on: tenant)
            return current.api(in: principal.tenant.timezone)
        }
        return .ok(.init(body: .json(event)))
    }

    static func require(_ id: Int64, lock: Bool = false, on tenant: TenantConnection) async throws -> CommunityEvent {
        guard let event = try await EventStore.find(id, lock: lock, on: tenant) else {
            throw Problem.notFound("event", String(id))
        }
        return event
    }
}
