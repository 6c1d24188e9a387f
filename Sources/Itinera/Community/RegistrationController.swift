import Foundation
import ItineraAPI
import Logging

/// Registrations for community events: `/v1/events/{id}/registrations/…`.
struct RegistrationController: Sendable {
    let access: AccessControl
    let events: DomainEvents
    let logger: Logger

    func listEventRegistrations(_ input: Operations.ListEventRegistrations.Input) async throws
        -> Operations.ListEventRegistrations.Output
    {
        let id = try Problem.pathID(input.path.id, of: "event")
        let page = try PageRequest(limit: input.query.limit, cursor: input.query.cursor)
        let after = try page.afterID()
        let found = try await access.inTenant { tenant, _ in
            _ = try await EventController.require(id, on: tenant)
            return try await RegistrationStore.list(
                event: id, state: input.query.state?.rawValue, after: after, limit: page.limit + 1, on: tenant)
        }
        let (shown, next) = page.split(found) { PageRequest.cursor([String($0.id)]) }
        return .ok(.init(body: .json(.init(items: shown.map(\.api), nextCursor: next))))
    }

    func registerForEvent(_ input: Operations.RegisterForEvent.Input) async throws
        -> Operations.RegisterForEvent.Output
    {
        let id = try Problem.pathID(input.path.id, of: "event")
        let key = try input.headers.idempotencyKey.map { text throws(Problem) in try IdempotencyStore.key(text) }
        guard case .json(let body) = input.body else { throw Problem.malformedBody("Expected a JSON body.") }
        let customer = try FieldText.id(body.customerId, field: "customer_id", what: "a customer's id")
        let requestHash = try IdempotencyStore.requestHash(body)
        let registration = try await access.inTenant { tenant, principal in
            try await IdempotencyStore.once(
                operation: "event.\(id).register", key: key, requestHash: requestHash, on: tenant
            ) {
                let source = principal.role == nil ? "api" : "admin"
                let outcome: Result<(EventRegistration, CommunityEvent), RegistrationStore.Refusal>
                do {
                    outcome = try await RegistrationStore.register(id, customer: customer, source: source, on: tenant)
                } catch let error as PQError where error.sqlState == "23505" {
                    // A concurrent registration of the same customer took the event's lock first.
                    throw Self.already(customer, registration: nil, event: id)
                }
                switch outcome {
                case .success(let (registration, event)):
                    try await events.publish(
                        EventRegistered(event: event, registration: registration),
                        in: EventContext(connection: tenant, tenant: principal.tenant, events: events))
                    return registration.api
                case .failure(let refusal): throw Self.problem(refusal, event: id, customer: body.customerId)
                }
            }
        }
        return .created(.init(body: .json(registration)))
    }

    func getEventRegistration(_ input: Operations.GetEventRegistration.Input) async throws
        -> Operations.GetEventRegistration.Output
    {
        let id = try Problem.pathID(input.path.id, of: "event")
        let rid = try Problem.pathID(input.path.registrationId, of: "registration")
        let found = try await access.inTenant { tenant, _ in
            try await RegistrationStore.find(rid, event: id, on: tenant)
        }
        guard let found else { throw Problem.notFound("registration", input.path.registrationId) }
        return .ok(.init(body: .json(found.api)))
    }

    /// Cancels under the event's row lock, so that concurrent cancellations promote the waiting list
    /// one after another, in order.
    func cancelEventRegistration(_ input: Operations.CancelEventRegistration.Input) async throws
        -> Operations.CancelEventRegistration.Output
    {
        let id = try Problem.pathID(input.path.id, of: "event")
        let rid = try Problem.pathID(input.path.registrationId, of: "registration")
        let cancelled = try await access.inTenant { tenant, principal in
            let event = try await EventController.require(id, lock: true, on: tenant)
            guard let cancelled = try await RegistrationStore.cancel(rid, event: id, on: tenant) else {
                throw Problem.notFound("live registration", input.path.registrationId)
            }
            let context = EventContext(connection: tenant, tenant: principal.tenant, events: events)
            try await context.publish(RegistrationCancelled(event: event, registration: cancelled.registration))
            if let promoted = cancelled.promoted {
                try await context.publish(RegistrationPromoted(event: event, registration: promoted))
            }
            return cancelled
        }
        return .ok(
            .init(body: .json(.init(registration: cancelled.registration.api, promoted: cancelled.promoted?.api))))
    }

    func confirmEventRegistration(_ input: Operations.ConfirmEventRegistration.Input) async throws
        -> Operations.ConfirmEventRegistration.Output
    {
        let id = try Problem.pathID(input.path.id, of: "event")
        let rid = try Problem.pathID(input.path.registrationId, of: "registration")
        let registration = try await access.inTenant { tenant, principal in
            switch try await RegistrationStore.confirm(rid, event: id, on: tenant) {
            case .confirmed(let registration):
                let event = try await EventController.require(id, on: tenant)
                try await events.publish(
                    RegistrationConfirmed(event: event, registration: registration),
                    in: EventContext(connection: tenant, tenant: principal.tenant, events: events))
                return registration
            case .already(let registration): return registration
            case .expired(let at):
                throw Problem.conflict(
                    "The seat offered to registration \(rid) was held until \(at.formatted(.iso8601)).")
            case .notOffered(let state):
                throw Problem.conflict("Registration \(rid) is \(state.rawValue); only an offered seat is confirmed.")
            case .noRegistration: throw Problem.notFound("registration", input.path.registrationId)
            }
        }
        return .ok(.init(body: .json(registration.api)))
    }

    func checkInEventRegistration(_ input: Operations.CheckInEventRegistration.Input) async throws
        -> Operations.CheckInEventRegistration.Output
    {
        let id = try Problem.pathID(input.path.id, of: "event")
        let rid = try Problem.pathID(input.path.registrationId, of: "registration")
        guard case .json(let body) = input.body else { throw Problem.malformedBody("Expected a JSON body.") }
        let nonce = try FieldText.required(body.nonce, field: "nonce", max: 200)
        let registration = try await access.inTenant { tenant, principal in
            switch try await RegistrationStore.checkIn(rid, event: id, nonce: nonce, on: tenant) {
            case .checkedIn(let registration, let first):
                if first {
                    let event = try await EventController.require(id, on: tenant)
                    try await events.publish(
                        RegistrationCheckedIn(event: event, registration: registration),
                        in: EventContext(connection: tenant, tenant: principal.tenant, events: events))
                }
                return registration
            case .checkedInElsewhere(let at):
                throw Problem.conflict(
                    "Registration \(rid) was checked in at \(at.formatted(.iso8601)) with another nonce.",
                    field: "nonce")
            case .notRegistered(let state):
                throw Problem.conflict(
                    "Registration \(rid) is \(state.rawValue); only a registered customer checks in.")
            case .noRegistration: throw Problem.notFound("registration", input.path.registrationId)
            }
        }
        return .ok(.init(body: .json(registration.api)))
    }

    /// The 4xx for a refused registration, naming the unmet condition.
    static func problem(_ refusal: RegistrationStore.Refusal, event: Int64, customer: String) -> Problem {
        func refused(_ detail: String, condition: String) -> Problem {
            var problem = Problem(
                status: .conflict, type: "registration-refused", title: "Not registered", detail: detail)
            problem.members["condition"] = .string(condition)
            return problem
        }
        switch refusal {
        case .noEvent: return Problem.notFound("event", String(event))
        case .noCustomer: return Problem.notFound("customer", customer, field: "customer_id")
        case .notOpen(let state):
            return refused("Event \(event) is \(state); registration needs it open.", condition: "state")
        case .notYetOpen(let opens):
            return refused(
                "Registration for event \(event) opens at \(opens.formatted(.iso8601)).",
                condition: "registration_window")
        case .closed(let closed):
            return refused(
                "Registration for event \(event) closed at \(closed.formatted(.iso8601)).",
                condition: "registration_window")
        case .gated(let gate): return gate.problem
        case .full:
            return refused("Event \(event) is full and so is its waiting list.", condition: "capacity")
        case .already(let registration):
            return already(Int64(customer) ?? 0, registration: registration, event: event)
        }
    }

    static func already(_ customer: Int64, registration: Int64?, event: Int64) -> Problem {
        var problem = Problem(
            status: .conflict, type: "registration-refused", title: "Not registered",
            detail: "Customer \(customer) is already registered for event \(event)"
                + (registration.map { " (registration \($0))." } ?? "."))
        problem.members["condition"] = .string("already_registered")
        if let registration { problem.members["registration_id"] = .string(String(registration)) }
        return problem
    }
}
