import Foundation

/// Re-evaluates every member of a programme in the background, after its tiers were replaced
/// (source `rule_change`) or in the loyalty sweep (source `bulk`).
///
/// The members go by in slices of `sliceSize` (by customer id), one transaction each, and the job's
/// progress counts the members done. Each slice locks the programme's row against a replacement and
/// checks the tiers revision: a job whose tiers were replaced again stands down (cancelled), because
/// the replacement queued its own.
struct TierReevaluationJob: JobHandler {
    static let kind = "loyalty.tiers.reevaluate"
    var kind: String { Self.kind }
    /// Where the tier changes of each slice are published (`TierChanged`).
    let events: DomainEvents
    /// Members per slice: large enough that a slice's statement is as efficient as one over all
    /// members, small enough that progress moves every second or so.
    var sliceSize = 100_000

    struct Payload: Codable {
        var programID: Int64
        /// The tiers revision the job was queued for; nil re-evaluates under whatever is current.
        var revision: Int64?
        var source: String

        enum CodingKeys: String, CodingKey {
            case programID = "program_id"
            case revision
            case source
        }
    }

    static func request(program: Int64, revision: Int64?, source: String, createdBy: String?) throws -> JobRequest {
        JobRequest(
            kind: kind,
            payload: String(
                decoding: try JSONEncoder().encode(Payload(programID: program, revision: revision, source: source)),
                as: UTF8.self),
            createdBy: createdBy)
    }

    /// How a pass over a programme's members ended.
    enum Pass {
        case finished(members: Int, moves: [TierReevaluation.Move], revision: Int64)
        case superseded(Int64)
        case gone
    }

    func run(_ job: Job, in run: JobRun) async throws -> JobOutcome {
        let payload = try JSONDecoder().decode(Payload.self, from: Data(job.payload.utf8))
        let total = try await run.inTenant { try await ProgramStore.memberCount(payload.programID, on: $0) }
        try await run.progress(done: 0, total: Int64(total))
        var done = 0
        let pass = try await Self.pass(
            program: payload.programID, revision: payload.revision, source: payload.source, sliceSize: sliceSize,
            in: run, events: events
        ) { members in
            done += members
            try await run.progress(done: Int64(done), total: Int64(max(total, done)))
        }
        switch pass {
        case .gone:
            return .cancelled(reason: "The programme no longer exists.")
        case .superseded(let current):
            return .cancelled(
                reason: "The tiers were replaced again (revision \(current)); that replacement's job re-evaluates.")
        case .finished(let members, let moves, let revision):
            return .succeeded(
                result: try Self.result(program: payload.programID, revision: revision, members: members, moves: moves))
        }
    }

    /// Re-evaluates every member of `program` slice by slice, calling `afterSlice` with each slice's
    /// member count. With `revision`, stops as soon as the tiers are at another revision.
    static func pass(
        program id: Int64, revision wanted: Int64?, source: String, sliceSize: Int, in run: JobRun,
        events: DomainEvents, afterSlice: (Int) async throws -> Void
    ) async throws -> Pass {
        let asOf = Date()
        var after: Int64?
        var done = 0
        var moves: [String: TierReevaluation.Move] = [:]
        var revision = wanted
        while true {
            let slice = try await run.inTenant {
                tenant -> (through: Int64?, members: Int, moves: [TierReevaluation.Move], revision: Int64)? in
                guard let program = try await ProgramStore.find(id, lock: .keyShare, on: tenant) else { return nil }
                if let revision, program.tiersRevision != revision {
                    return (nil, 0, [], program.tiersRevision)
                }
                let tiers = try await ProgramStore.tiers(of: program.id, on: tenant).map(\.tier)
                let through = try await ProgramStore.sliceEnd(
                    of: program.id, after: after, members: sliceSize, on: tenant)
                var reevaluation = TierReevaluation(
                    programID: program.id,
                    evaluator: TierEvaluator(program, tiers: tiers, tenant: run.tenant), asOf: asOf,
                    currency: program.currency)
                reevaluation.customers = (after, through)
                let changes = try await reevaluation.applyChanges(source: source, on: tenant)
                if !changes.isEmpty {
                    try await events.publish(
                        TierChanged(program: program.id, changes: changes, source: source, order: nil),
                        in: EventContext(connection: tenant, tenant: run.tenant, events: events))
                }
                let moved = TierReevaluation.moves(of: changes)
                let members = try await ProgramStore.memberCount(program.id, customers: (after, through), on: tenant)
                return (through, members, moved, program.tiersRevision)
            }
            guard let slice else { return .gone }
            if let revision, slice.revision != revision { return .superseded(slice.revision) }
            revision = slice.revision
            done += slice.members
            for move in slice.moves {
                moves["\(move.from ?? "")→\(move.to ?? "")", default: .init(from: move.from, to: move.to, count: 0)]
                    .count += move.count
            }
            try await afterSlice(slice.members)
            guard let through = slice.through else {
                let sorted = moves.values.sorted { ($0.from ?? "", $0.to ?? "") < ($1.from ?? "", $1.to ?? "") }
                return .finished(members: done, moves: sorted, revision: slice.revision)
            }
            after = through
        }
    }

    static func result(program: Int64, revision: Int64?, members: Int, moves: [TierReevaluation.Move]) throws
        -> String
    {
        var document: [String: Any] = ["program_id": String(program), "members": members, "moves": json(moves)]
        document["tiers_revision"] = revision
        return String(
            decoding: try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys]), as: UTF8.self)
    }

    /// Moves as a job's result lists them (`TierMove` of the API).
    static func json(_ moves: [TierReevaluation.Move]) -> [[String: Any]] {
        moves.map { move in
            var entry: [String: Any] = ["count": move.count]
            entry["from"] = move.from
            entry["to"] = move.to
            return entry
        }
    }
}
