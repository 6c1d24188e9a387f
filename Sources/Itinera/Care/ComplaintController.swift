import Foundation
import ItineraAPI
import Logging

/// Complaints and their service levels: `/v1/complaints`.
struct ComplaintController: Sendable {
    let access: AccessControl
    let events: DomainEvents
    let clock: WallClock
    let logger: Logger

    func createComplaint(_ input: Operations.CreateComplaint.Input) async throws -> Operations.CreateComplaint.Output {
        guard case .json(let body) = input.body else { throw Problem.malformedBody("Expected a JSON body.") }
        let draft = try ComplaintInput.draft(body)
        let at = clock.now()
        let complaint = try await access.inControl { connection, principal in
            try await Self.checkAssignee(draft.assignee, principal: principal, on: connection, logger: logger)
            let tenant = try await access.enter(connection, principal: principal)
            guard
                let made = try await ComplaintOpening.open(
                    draft, actor: "\(principal.auditActor.type):\(principal.auditActor.id)", at: at,
                    in: EventContext(connection: tenant, tenant: principal.tenant, events: events))
            else {
                throw draft.order == nil
                    ? Problem.notFound("customer", body.customerId, field: "customer_id")
                    : Problem.invalidField(
                        "order_id", "order_id must name one of customer \(body.customerId)'s orders.")
            }
            return made
        }
        return .created(.init(body: .json(complaint.api(now: at))))
    }

    func getComplaint(_ input: Operations.GetComplaint.Input) async throws -> Operations.GetComplaint.Output {
        let id = try Problem.pathID(input.path.id, of: "complaint")
        let now = clock.now()
        let (complaint, events) = try await access.inTenant { tenant, _ in
            guard let complaint = try await ComplaintStore.find(id, on: tenant) else {
                throw Problem.notFound("complaint", input.path.id)
            }
            return (complaint, try await ComplaintStore.events(of: id, on: tenant))
        }
        var view = complaint.api(now: now)
        view.history = events.map(\.api)
        return .ok(.init(body: .json(view)))
    }

    func listComplaints(_ input: Operations.ListComplaints.Input) async throws -> Operations.ListComplaints.Output {
        let page = try PageRequest(limit: input.query.limit, cursor: input.query.cursor)
        let after = try page.afterTimeAndNumber()
        let customer = try input.query.customerId.map { text throws(Problem) in
            try FieldText.id(text, field: "customer_id", what: "a customer's id")
        }
        let now = clock.now()
        let found = try await access.inTenant { tenant, _ in
            try await ComplaintStore.list(
                state: input.query.state?.rawValue, customer: customer, breached: input.query.breached, now: now,
                after: after, limit: page.limit + 1, on: tenant)
        }
        let (shown, next) = page.split(found) { PageRequest.cursor(time: $0.openedAt, number: $0.id) }
        return .ok(.init(body: .json(.init(items: shown.map { $0.api(now: now) }, nextCursor: next))))
    }

    /// Moves the complaint on (state, assignee, a note), each change an event of its history at the
    /// server's time; the service-level columns are derived again from the whole history.
    func updateComplaint(_ input: Operations.UpdateComplaint.Input) async throws -> Operations.UpdateComplaint.Output {
        let id = try Problem.pathID(input.path.id, of: "complaint")
        guard case .json(let body) = input.body else { throw Problem.malformedBody("Expected a JSON body.") }
        let change = try ComplaintInput.change(body)
        let at = clock.now()
        let complaint = try await access.inControl { connection, principal in
            try await Self.checkAssignee(change.assignee, principal: principal, on: connection, logger: logger)
            let tenant = try await access.enter(connection, principal: principal)
            guard let before = try await ComplaintStore.find(id, lock: true, on: tenant) else {
                throw Problem.notFound("complaint", input.path.id)
            }
            let actor = "\(principal.auditActor.type):\(principal.auditActor.id)"
            var state = before.state
            if let next = change.state, next != before.state {
                guard before.state.next.contains(next) else {
                    throw Problem.conflict(
                        "Complaint \(id) is \(before.state.rawValue); it cannot become \(next.rawValue).",
                        field: "state")
                }
                state = next
                try await ComplaintStore.record(
                    ComplaintEvent(type: "state", state: next, at: at, actor: actor, note: change.note), of: id,
                    on: tenant)
            } else if let note = change.note {
                try await ComplaintStore.record(
                    ComplaintEvent(type: "note", state: nil, at: at, actor: actor, note: note), of: id, on: tenant)
            }
            var assignee = before.assigneeID
            if let given = change.assignee, given != before.assigneeID {
                assignee = given
                try await ComplaintStore.record(
                    ComplaintEvent(
                        type: "assigned", state: nil, at: at, actor: actor, note: given.uuidString.lowercased()),
                    of: id, on: tenant)
            }
            let history = try await ComplaintStore.events(of: id, on: tenant)
            let sla = ComplaintSLA(
                openedAt: before.openedAt, firstResponseMinutes: before.firstResponseMinutes,
                resolutionMinutes: before.resolutionMinutes,
                changes: history.compactMap { event in event.type == "state" ? event.state.map { ($0, event.at) } : nil
                },
                now: at)
            guard
                let after = try await ComplaintStore.update(
                    id, state: state, assignee: assignee, sla: sla, at: at, on: tenant)
            else { throw Problem.notFound("complaint", input.path.id) }
            if state != before.state {
                // A reopened complaint's resolution runs again: its check is queued anew.
                if before.state == .resolved, state == .open {
                    try await JobStore.queue(
                        ComplaintCheckJob.kind, subject: "complaint", id: id, runAfter: sla.resolutionDueAt,
                        createdBy: "care", on: tenant)
                }
                try await events.publish(
                    ComplaintChanged(complaint: after, from: before.state),
                    in: EventContext(connection: tenant, tenant: principal.tenant, events: events))
            }
            return after
        }
        return .ok(.init(body: .json(complaint.api(now: at))))
    }

    /// An assignee must be a user of the caller's tenant.
    static func checkAssignee(_ assignee: UUID?, principal: Principal, on connection: PQConnection, logger: Logger)
        async throws
    {
        guard let assignee else { return }
        guard
            try await UserStore.find(id: assignee, tenantID: principal.tenant.id, on: connection, logger: logger) != nil
        else {
            throw Problem.notFound("user", assignee.uuidString.lowercased(), field: "assignee_id")
        }
    }
}

extension ComplaintController {
    /// The service-level report: `GET /v1/insight/complaints`.
    func getComplaintReport(_ input: Operations.GetComplaintReport.Input) async throws
        -> Operations.GetComplaintReport.Output
    {
        let now = clock.now()
        let (from, to) = try ReportRange.checked(from: input.query.from, to: input.query.to, now: now, defaultDays: 30)
        let unit = input.query.period?.rawValue ?? "week"
        let lines = try await access.inTenant { tenant, principal in
            try await ComplaintStore.report(
                from: from, to: to, unit: unit, timezone: principal.tenant.timezone, now: now, on: tenant)
        }
        func rows(_ dimension: String) -> [Components.Schemas.ComplaintReportLine] {
            lines.filter { $0.dimension == dimension }.map { line in
                func rate(_ met: Int, _ missed: Int) -> Double? {
                    met + missed > 0 ? Double(met) / Double(met + missed) : nil
                }
                return Components.Schemas.ComplaintReportLine(
                    key: line.key, complaints: line.complaints, firstResponseMet: line.firstResponseMet,
                    firstResponseMissed: line.firstResponseMissed,
                    firstResponseRate: rate(line.firstResponseMet, line.firstResponseMissed),
                    resolutionMet: line.resolutionMet, resolutionMissed: line.resolutionMissed,
                    resolutionRate: rate(line.resolutionMet, line.resolutionMissed))
            }
        }
        return .ok(
            .init(
                body: .json(
                    .init(
                        from: from, to: to, period: .init(rawValue: unit) ?? .week, byPeriod: rows("period"),
                        byAgent: rows("agent"), byCategory: rows("category")))))
    }
}
