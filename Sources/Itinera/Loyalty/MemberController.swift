import Foundation
import ItineraAPI
import Logging
import OpenAPIRuntime

/// Members: enrolment, the member view, the points ledger, redemptions and the tier history.
struct MemberController: Sendable {
    let access: AccessControl
    let events: DomainEvents
    let logger: Logger

    func enrolMember(_ input: Operations.EnrolMember.Input) async throws -> Operations.EnrolMember.Output {
        guard case .json(let body) = input.body else { throw Problem.malformedBody("Expected a JSON body.") }
        let programID = try Problem.pathID(input.path.id, of: "programme")
        let customerID = try FieldText.id(body.customerId, field: "customer_id", what: "a customer's id")
        let (member, created) = try await access.inTenant { tenant, principal in
            guard let program = try await ProgramStore.find(programID, on: tenant) else {
                throw Problem.notFound("programme", input.path.id)
            }
            do {
                try await CustomerStore.requireLive(customerID, on: tenant)
            } catch var problem as Problem where problem.status == .notFound {
                problem.field = "customer_id"
                throw problem
            }
            let (member, created) = try await Loyalty.enrol(
                customer: customerID, in: program, source: "enrolment", order: nil, principal: principal,
                in: EventContext(connection: tenant, tenant: principal.tenant, events: events))
            return (try await Loyalty.view(member, program: program, tenant: principal.tenant, on: tenant), created)
        }
        return created ? .created(.init(body: .json(member))) : .ok(.init(body: .json(member)))
    }

    func getMember(_ input: Operations.GetMember.Input) async throws -> Operations.GetMember.Output {
        let id = try Problem.pathID(input.path.id, of: "member")
        let member = try await access.inTenant { tenant, principal in
            let (member, program) = try await Self.find(id, input.path.id, on: tenant)
            return try await Loyalty.view(member, program: program, tenant: principal.tenant, on: tenant)
        }
        return .ok(.init(body: .json(member)))
    }

    func listMemberPoints(_ input: Operations.ListMemberPoints.Input) async throws
        -> Operations.ListMemberPoints.Output
    {
        let id = try Problem.pathID(input.path.id, of: "member")
        let page = try PageRequest(limit: input.query.limit, cursor: input.query.cursor)
        let before = try page.afterID()
        let entries = try await access.inTenant { tenant, _ in
            _ = try await Self.find(id, input.path.id, on: tenant)
            return try await PointsStore.entries(of: id, before: before, limit: page.limit + 1, on: tenant)
        }
        let shown = Array(entries.prefix(page.limit))
        let next = entries.count > page.limit ? shown.last.map { PageRequest.cursor([String($0.id)]) } : nil
        return .ok(.init(body: .json(.init(items: shown.map(Self.api), nextCursor: next))))
    }

    func adjustMemberPoints(_ input: Operations.AdjustMemberPoints.Input) async throws
        -> Operations.AdjustMemberPoints.Output
    {
        guard case .json(let body) = input.body else { throw Problem.malformedBody("Expected a JSON body.") }
        let id = try Problem.pathID(input.path.id, of: "member")
        guard body.points != 0, abs(body.points) <= 100_000_000 else {
            throw Problem.invalidField("points", "points must be a non-zero number of at most 100000000 either way.")
        }
        let reason = try OrderInput.trimmed(body.reason, field: "reason", max: 500)
        let entry = try await access.inTenant { tenant, principal in
            let (member, program) = try await Self.find(id, input.path.id, on: tenant)
            let actor = (type: principal.auditActor.type, id: Optional(principal.auditActor.id))
            let entry: PointsEntry?
            if body.points > 0 {
                entry = try await PointsStore.credit(
                    body.points, kind: .adjust, member: member.id, reason: reason, actor: actor,
                    expiresAt: program.expiry.expiresAt(
                        earnedAt: Date(), timeZone: principal.tenant.timeZone),
                    on: tenant)
            } else {
                entry = try await PointsStore.debit(
                    -body.points, kind: .adjust, member: member.id, reason: reason, actor: actor, on: tenant)
            }
            guard let entry else { throw Self.shortOfPoints(member.id, want: -body.points) }
            let context = EventContext(connection: tenant, tenant: principal.tenant, events: events)
            try await context.publish(PointsMoved(.adjusted, entry, of: member, order: nil, reason: reason))
            try await AuditLog.record(
                principal.auditEvent(
                    action: "member.points.adjust", targetType: "member", targetID: String(member.id), before: nil,
                    after: try JSONSerialization.data(
                        withJSONObject: ["points": body.points, "reason": reason, "balance_after": entry.balanceAfter],
                        options: [.sortedKeys])),
                on: tenant)
            try await Loyalty.pointsChanged(
                member, program: program,
                in: EventContext(connection: tenant, tenant: principal.tenant, events: events))
            return entry
        }
        return .created(.init(body: .json(Self.api(entry))))
    }

    func redeemMemberPoints(_ input: Operations.RedeemMemberPoints.Input) async throws
        -> Operations.RedeemMemberPoints.Output
    {
        let key = try input.headers.idempotencyKey.map { text throws(Problem) in try IdempotencyStore.key(text) }
        guard case .json(let body) = input.body else { throw Problem.malformedBody("Expected a JSON body.") }
        let id = try Problem.pathID(input.path.id, of: "member")
        guard (1...100_000_000).contains(body.points) else {
            throw Problem.invalidField("points", "points must be between 1 and 100000000.")
        }
        let reason = try body.reason.map { text throws(Problem) in
            try OrderInput.trimmed(text, field: "reason", max: 500)
        }
        let requestHash = try IdempotencyStore.requestHash(body)
        let operation = "member.\(id).redeem"
        let entry = try await access.inTenant { tenant, principal in
            let (member, program) = try await Self.find(id, input.path.id, on: tenant)
            return try await IdempotencyStore.once(
                operation: operation, key: key, requestHash: requestHash, on: tenant
            ) {
                guard
                    let entry = try await PointsStore.debit(
                        body.points, kind: .redeem, member: member.id, reason: reason,
                        actor: (principal.auditActor.type, principal.auditActor.id),
                        on: tenant)
                else { throw Self.shortOfPoints(member.id, want: body.points) }
                try await events.publish(
                    PointsMoved(.redeemed, entry, of: member, order: nil, reason: reason),
                    in: EventContext(connection: tenant, tenant: principal.tenant, events: events))
                try await Loyalty.pointsChanged(
                    member, program: program,
                    in: EventContext(connection: tenant, tenant: principal.tenant, events: events))
                return Self.api(entry)
            }
        }
        return .created(.init(body: .json(entry)))
    }

    func listMemberTierHistory(_ input: Operations.ListMemberTierHistory.Input) async throws
        -> Operations.ListMemberTierHistory.Output
    {
        let id = try Problem.pathID(input.path.id, of: "member")
        let page = try PageRequest(limit: input.query.limit, cursor: input.query.cursor)
        let before = try page.afterID()
        let items = try await access.inTenant { tenant, _ in
            _ = try await Self.find(id, input.path.id, on: tenant)
            return try await MemberStore.tierHistory(of: id, before: before, limit: page.limit + 1, on: tenant).map {
                change in
                Components.Schemas.TierHistoryEntry(
                    id: String(change.id), from: change.from, to: change.to,
                    source: .init(rawValue: change.source) ?? .admin, orderId: change.orderID.map(String.init),
                    figures: .init(
                        additionalProperties: try JSONDecoder().decode(
                            OpenAPIObjectContainer.self, from: Data(change.figures.utf8))), reason: change.reason,
                    changedAt: change.changedAt)
            }
        }
        let shown = Array(items.prefix(page.limit))
        let next = items.count > page.limit ? shown.last.map { PageRequest.cursor([$0.id]) } : nil
        return .ok(.init(body: .json(.init(items: shown, nextCursor: next))))
    }

    static func find(_ id: Int64, _ text: String, on tenant: TenantConnection) async throws -> (Member, Program) {
        guard let member = try await MemberStore.find(id, on: tenant),
            let program = try await ProgramStore.find(member.programID, on: tenant)
        else { throw Problem.notFound("member", text) }
        return (member, program)
    }

    static func shortOfPoints(_ member: Int64, want: Int64) -> Problem {
        var problem = Problem.conflict(
            "Member \(member) has fewer than \(want) points; the balance never goes below zero.", field: "points")
        problem.members["points_requested"] = .string(String(want))
        return problem
    }
}
