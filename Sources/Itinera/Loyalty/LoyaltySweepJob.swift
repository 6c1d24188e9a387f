import Foundation

/// The tenant's periodic loyalty upkeep: points whose lots have expired are written off (an
/// `expire` entry per member, oldest lots first, which are the ones that expire first), then every
/// programme's members are re-evaluated (source `bulk`), which applies demotions that have fallen due
/// and follows a rolling window as old orders leave it.
struct LoyaltySweepJob: JobHandler {
    static let kind = "loyalty.sweep"
    var kind: String { Self.kind }
    /// Where the tier changes of the re-evaluation are published (`TierChanged`).
    let events: DomainEvents
    /// Members whose points expire in one transaction.
    var expiryBatch = 1_000
    var sliceSize = 100_000

    func run(_ job: Job, in run: JobRun) async throws -> JobOutcome {
        let now = Date()
        var expiredPoints: Int64 = 0
        var expiredMembers = 0
        while true {
            let batch = try await run.inTenant { tenant in
                let moves = try await PointsStore.expire(dueBy: now, members: expiryBatch, on: tenant)
                if !moves.isEmpty {
                    try await events.publish(
                        PointsMoved(kind: .expired, moves: moves, order: nil, reason: nil),
                        in: EventContext(connection: tenant, tenant: run.tenant, events: events))
                }
                return moves
            }
            guard !batch.isEmpty else { break }
            expiredPoints -= batch.reduce(0) { $0 + $1.points }
            expiredMembers += batch.count
            try await run.progress(done: Int64(expiredMembers), total: nil)
        }
        let programs = try await run.inTenant { tenant in try await ProgramStore.ids(on: tenant) }
        var moves: [TierReevaluation.Move] = []
        var members = 0
        for program in programs {
            let pass = try await TierReevaluationJob.pass(
                program: program, revision: nil, source: "bulk", sliceSize: sliceSize, in: run, events: events
            ) { slice in
                members += slice
                try await run.progress(done: Int64(expiredMembers + members), total: nil)
            }
            if case .finished(_, let moved, _) = pass { moves += moved }
        }
        var document: [String: Any] = [
            "expired_points": expiredPoints, "expired_members": expiredMembers, "programs": programs.count,
            "members": members,
        ]
        document["moves"] = TierReevaluationJob.json(moves)
        return .succeeded(
            result: String(
                decoding: try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys]), as: UTF8.self))
    }
}
