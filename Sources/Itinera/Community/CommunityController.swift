import Foundation
import ItineraAPI
import Logging

/// Member clubs: `/v1/communities/…`.
struct CommunityController: Sendable {
    let access: AccessControl
    let events: DomainEvents
    let logger: Logger

    func listCommunities(_ input: Operations.ListCommunities.Input) async throws -> Operations.ListCommunities.Output {
        let page = try PageRequest(limit: input.query.limit, cursor: input.query.cursor)
        let after = try page.afterID()
        let found = try await access.inTenant { tenant, _ in
            try await CommunityStore.list(after: after, limit: page.limit + 1, on: tenant)
        }
        let (shown, next) = page.split(found) { PageRequest.cursor([String($0.id)]) }
        return .ok(.init(body: .json(.init(items: shown.map(\.api), nextCursor: next))))
    }

    func createCommunity(_ input: Operations.CreateCommunity.Input) async throws -> Operations.CreateCommunity.Output {
        guard case .json(let body) = input.body else { throw Problem.malformedBody("Expected a JSON body.") }
        let draft = try CommunityInput.community(
            name: body.name, description: body.description, visibility: body.visibility.rawValue,
            programID: body.programId, minTier: body.minTier)
        let community = try await access.inTenant { tenant, principal in
            guard try await CommunityStore.count(on: tenant) < Community.maxPerTenant else {
                throw Problem.conflict("A tenant keeps at most \(Community.maxPerTenant) communities.")
            }
            guard let made = try await CommunityStore.insert(draft, on: tenant) else {
                throw CommunityInput.noTier(draft)
            }
            try await AuditLog.record(
                principal.auditEvent(
                    action: "community.create", targetType: "community", targetID: String(made.id), before: nil,
                    after: made.auditJSON),
                on: tenant)
            return made
        }
        return .created(.init(body: .json(community.api)))
    }

    func getCommunity(_ input: Operations.GetCommunity.Input) async throws -> Operations.GetCommunity.Output {
        let id = try Problem.pathID(input.path.id, of: "community")
        let community = try await access.inTenant { tenant, _ in try await Self.require(id, on: tenant) }
        return .ok(.init(body: .json(community.api)))
    }

    func updateCommunity(_ input: Operations.UpdateCommunity.Input) async throws -> Operations.UpdateCommunity.Output {
        let id = try Problem.pathID(input.path.id, of: "community")
        guard case .json(let body) = input.body else { throw Problem.malformedBody("Expected a JSON body.") }
        let community = try await access.inTenant { tenant, principal in
            let before = try await Self.require(id, lock: true, on: tenant)
            let programGiven = body.programId != nil || body.minTier != nil
            var changed = try CommunityInput.community(
                name: body.name ?? before.name, description: body.description ?? before.description,
                visibility: body.visibility?.rawValue ?? before.visibility.rawValue,
                programID: programGiven ? body.programId : before.programID.map(String.init),
                minTier: programGiven ? body.minTier : before.minTier)
            changed.id = id
            guard let after = try await CommunityStore.update(changed, on: tenant) else {
                throw CommunityInput.noTier(changed)
            }
            try await AuditLog.record(
                principal.auditEvent(
                    action: "community.update", targetType: "community", targetID: String(id),
                    before: before.auditJSON, after: after.auditJSON),
                on: tenant)
            return after
        }
        return .ok(.init(body: .json(community.api)))
    }

    func listCommunityMembers(_ input: Operations.ListCommunityMembers.Input) async throws
        -> Operations.ListCommunityMembers.Output
    {
        let id = try Problem.pathID(input.path.id, of: "community")
        let page = try PageRequest(limit: input.query.limit, cursor: input.query.cursor)
        let after = try page.afterTimeAndNumber()
        let members = try await access.inTenant { tenant, _ in
            _ = try await Self.require(id, on: tenant)
            return try await CommunityStore.members(of: id, after: after, limit: page.limit + 1, on: tenant)
        }
        let (shown, next) = page.split(members) { PageRequest.cursor(time: $0.joinedAt, number: $0.customerID) }
        return .ok(.init(body: .json(.init(items: shown.map(\.api), nextCursor: next))))
    }

    func joinCommunity(_ input: Operations.JoinCommunity.Input) async throws -> Operations.JoinCommunity.Output {
        let id = try Problem.pathID(input.path.id, of: "community")
        guard case .json(let body) = input.body else { throw Problem.malformedBody("Expected a JSON body.") }
        let customer = try FieldText.id(body.customerId, field: "customer_id", what: "a customer's id")
        let (member, new) = try await access.inTenant { tenant, principal in
            let byAdmin = principal.role.map { [.owner, .admin].contains($0) } ?? false
            switch try await CommunityStore.join(id, customer: customer, byAdmin: byAdmin, on: tenant) {
            case .joined(let member):
                let community = try await Self.require(id, on: tenant)
                try await events.publish(
                    CommunityJoined(community: community, customerID: customer, source: member.source),
                    in: EventContext(connection: tenant, tenant: principal.tenant, events: events))
                return (member, true)
            case .already(let member): return (member, false)
            case .noCommunity: throw Problem.notFound("community", input.path.id)
            case .noCustomer: throw Problem.notFound("customer", body.customerId, field: "customer_id")
            case .refused(let gate): throw gate.problem
            }
        }
        return new ? .created(.init(body: .json(member.api))) : .ok(.init(body: .json(member.api)))
    }

    func leaveCommunity(_ input: Operations.LeaveCommunity.Input) async throws -> Operations.LeaveCommunity.Output {
        let id = try Problem.pathID(input.path.id, of: "community")
        let customer = try FieldText.id(input.query.customerId, field: "customer_id", what: "a customer's id")
        try await access.inTenant { tenant, principal in
            let community = try await Self.require(id, on: tenant)
            let byAdmin = principal.role.map { [.owner, .admin].contains($0) } ?? false
            guard try await CommunityStore.leave(id, customer: customer, byAdmin: byAdmin, on: tenant) else {
                throw Problem.notFound("member of community \(id)", input.query.customerId)
            }
            try await events.publish(
                CommunityLeft(community: community, customerID: customer, source: byAdmin ? "admin" : "api"),
                in: EventContext(connection: tenant, tenant: principal.tenant, events: events))
        }
        return .noContent(.init())
    }

    func getCommunityReport(_ input: Operations.GetCommunityReport.Input) async throws
        -> Operations.GetCommunityReport.Output
    {
        let id = try Problem.pathID(input.path.id, of: "community")
        let to = input.query.to ?? Date()
        let from = input.query.from ?? to.addingTimeInterval(-365 * 86_400)
        guard from < to, to.timeIntervalSince(from) <= 3_660 * 86_400 else {
            throw Problem.invalidField("from", "from must be before to, and the period at most ten years.")
        }
        let report = try await access.inTenant { tenant, _ in
            _ = try await Self.require(id, on: tenant)
            return try await CommunityStore.report(id, from: from, to: to, on: tenant)
        }
        return .ok(
            .init(
                body: .json(
                    .init(
                        from: report.from, to: report.to, members: report.members, joined: report.joined,
                        left: report.left, activeMembers: report.activeMembers, events: report.events,
                        registered: report.registered, attended: report.attended,
                        attendanceRate: report.attendanceRate, memberSpendMinor: report.memberSpendMinor,
                        memberAverageSpendMinor: report.memberAverageMinor, nonMembers: report.nonMembers,
                        nonMemberAverageSpendMinor: report.nonMemberAverageMinor, spendRatio: report.spendRatio))))
    }

    static func require(_ id: Int64, lock: Bool = false, on tenant: TenantConnection) async throws -> Community {
        guard let community = try await CommunityStore.find(id, lock: lock, on: tenant) else {
            throw Problem.notFound("community", String(id))
        }
        return community
    }
}

/// Checks of what admins write about communities.
enum CommunityInput {
    static func community(
        name: String, description: String?, visibility: String, programID: String?, minTier: String?
    ) throws(Problem) -> Community {
        let name = try FieldText.required(name, field: "name", max: 200)
        let description = try description.map { text throws(Problem) in
            try FieldText.required(text, field: "description", max: 5000)
        }
        guard let visibility = Community.Visibility(rawValue: visibility) else {
            throw .invalidField("visibility", "visibility must be open, invitation or tier.")
        }
        let (program, tier) = try tier(programID: programID, minTier: minTier)
        if visibility == .tier, tier == nil {
            throw .invalidField("min_tier", "A community by tier needs program_id and min_tier.")
        }
        let now = Date()
        return Community(
            id: 0, name: name, description: description, visibility: visibility, programID: program, minTier: tier,
            memberCount: 0, createdAt: now, updatedAt: now)
    }

    /// A programme and one of its tier codes, both or neither.
    static func tier(programID: String?, minTier: String?) throws(Problem) -> (Int64?, String?) {
        switch (programID, minTier) {
        case (nil, nil): return (nil, nil)
        case (let program?, let tier?):
            let id = try FieldText.id(program, field: "program_id", what: "a programme's id")
            guard tier.range(of: "^[a-z][a-z0-9_]{0,39}$", options: .regularExpression) != nil else {
                throw .invalidField("min_tier", "min_tier must be a tier code such as `gold`.")
            }
            return (id, tier)
        case (nil, _): throw .invalidField("program_id", "min_tier needs program_id, the programme it is a tier of.")
        case (_, nil): throw .invalidField("min_tier", "program_id goes with min_tier, a tier of that programme.")
        }
    }

    static func noTier(_ community: Community) -> Problem {
        .invalidField(
            "min_tier",
            "'\(community.minTier ?? "")' is not a tier of programme \(community.programID.map(String.init) ?? "")."
        )
    }

}
