import Foundation
import ItineraAPI
import Logging

/// Member programmes and their tiers: creating, reading, replacing the tiers (which re-evaluates every
/// member) and previewing a replacement.
struct ProgramController: Sendable {
    let access: AccessControl
    /// Lends a preview the connections it is split over.
    let sharing: SnapshotSharing
    let logger: Logger

    /// Members a preview shows by name.
    static let previewSample = 20

    func listPrograms(_ input: Operations.ListPrograms.Input) async throws -> Operations.ListPrograms.Output {
        let page = try PageRequest(limit: input.query.limit, cursor: input.query.cursor)
        let items = try await access.inTenant { tenant, _ in
            var items: [Components.Schemas.Program] = []
            for program in try await ProgramStore.list(page: page, on: tenant) {
                items.append(Self.api(program, members: try await ProgramStore.memberCount(program.id, on: tenant)))
            }
            return items
        }
        let shown = Array(items.prefix(page.limit))
        let next = items.count > page.limit ? shown.last.map { PageRequest.cursor([$0.id]) } : nil
        return .ok(.init(body: .json(.init(items: shown, nextCursor: next))))
    }

    func createProgram(_ input: Operations.CreateProgram.Input) async throws -> Operations.CreateProgram.Output {
        guard case .json(let body) = input.body else { throw Problem.malformedBody("Expected a JSON body.") }
        let program = try await access.inTenant { tenant, principal in
            let wanted = try ProgramInput.program(body, tenantCurrency: principal.tenant.currency)
            let created = try await ProgramStore.create(wanted, tiers: Tier.template, on: tenant)
            try await AuditLog.record(
                principal.auditEvent(
                    action: "program.create", targetType: "program", targetID: String(created.id), before: nil,
                    after: ProgramInput.auditJSON(created, tiers: Tier.template)),
                on: tenant)
            return Self.api(created, members: 0)
        }
        return .created(.init(body: .json(program)))
    }

    func getProgram(_ input: Operations.GetProgram.Input) async throws -> Operations.GetProgram.Output {
        let id = try Problem.pathID(input.path.id, of: "programme")
        let program = try await access.inTenant { tenant, _ in
            guard let program = try await ProgramStore.find(id, on: tenant) else {
                throw Problem.notFound("programme", input.path.id)
            }
            return Self.api(program, members: try await ProgramStore.memberCount(id, on: tenant))
        }
        return .ok(.init(body: .json(program)))
    }

    func getProgramTiers(_ input: Operations.GetProgramTiers.Input) async throws -> Operations.GetProgramTiers.Output {
        let id = try Problem.pathID(input.path.id, of: "programme")
        let tiers = try await access.inTenant { tenant, _ in
            guard try await ProgramStore.find(id, on: tenant) != nil else {
                throw Problem.notFound("programme", input.path.id)
            }
            return try await ProgramStore.tiers(of: id, counts: true, on: tenant).map {
                Self.api($0.tier, members: $0.members)
            }
        }
        return .ok(.init(body: .json(.init(tiers: tiers))))
    }

    func replaceProgramTiers(_ input: Operations.ReplaceProgramTiers.Input) async throws
        -> Operations.ReplaceProgramTiers.Output
    {
        guard case .json(let body) = input.body else { throw Problem.malformedBody("Expected a JSON body.") }
        let id = try Problem.pathID(input.path.id, of: "programme")
        let tiers = try ProgramInput.tiers(body.tiers)
        let change = try await access.inControl { connection, principal in
            let tenant = try await access.enter(connection, principal: principal)
            guard let program = try await ProgramStore.find(id, lock: .update, on: tenant) else {
                throw Problem.notFound("programme", input.path.id)
            }
            let before = try await ProgramStore.tiers(of: id, on: tenant).map(\.tier)
            let revision = try await ProgramStore.saveTiers(tiers, of: id, on: tenant)
            try await AuditLog.record(
                principal.auditEvent(
                    action: "program.tiers.replace", targetType: "program", targetID: String(id),
                    before: ProgramInput.auditJSON(program, tiers: before),
                    after: ProgramInput.auditJSON(program, tiers: tiers)),
                on: tenant)
            let saved = try await ProgramStore.tiers(of: id, counts: true, on: tenant).map {
                Self.api($0.tier, members: $0.members)
            }
            let actor = principal.auditActor
            let job = try await JobStore.enqueue(
                try TierReevaluationJob.request(
                    program: id, revision: revision, source: "rule_change", createdBy: "\(actor.type):\(actor.id)"),
                tenant: principal.tenant.id, on: try await TenantTransaction.leave(tenant), logger: logger)
            return Components.Schemas.TierChange(
                tiers: saved, tiersRevision: revision, reevaluation: job.api)
        }
        return .accepted(.init(body: .json(change)))
    }

    func previewProgramTiers(_ input: Operations.PreviewProgramTiers.Input) async throws
        -> Operations.PreviewProgramTiers.Output
    {
        guard case .json(let body) = input.body else { throw Problem.malformedBody("Expected a JSON body.") }
        let id = try Problem.pathID(input.path.id, of: "programme")
        let tiers = try ProgramInput.tiers(body.tiers)
        // One snapshot for the whole preview, which may be split over connections that share it.
        let preview = try await access.inTenant(isolation: .repeatableRead) { tenant, principal in
            guard let program = try await ProgramStore.find(id, on: tenant) else {
                throw Problem.notFound("programme", input.path.id)
            }
            let reevaluation = TierReevaluation(
                programID: id, evaluator: TierEvaluator(program, tiers: tiers, tenant: principal.tenant), asOf: Date(),
                currency: program.currency)
            var found = TierReevaluation.Preview(members: 0, moves: [], sample: [])
            if let range = try await TierReevaluation.customerRange(of: id, on: tenant) {
                found = try await sharing.withHelpers(reevaluation.parts(for: range) - 1, sharing: tenant) {
                    try await reevaluation.preview(sampleLimit: Self.previewSample, range: range, on: $0)
                }
            }
            return Components.Schemas.TierPreview(
                members: found.members, moves: found.moves.map(Self.api),
                sample: found.sample.map { decision in
                    .init(
                        memberId: String(decision.memberID), customerId: String(decision.customerID),
                        from: decision.before.tier, to: decision.after.tier, orders: decision.figures.orders,
                        totalSpentMinor: decision.figures.totalSpentMinor,
                        averageOrderMinor: decision.figures.averageOrderMinor,
                        lastOrderAt: decision.figures.lastOrderAt, points: decision.figures.points)
                })
        }
        return .ok(.init(body: .json(preview)))
    }
}
