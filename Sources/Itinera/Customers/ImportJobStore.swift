import Foundation
import PostgresNIO

/// A finished import: what it read, merged and refused, and how long it took.
struct ImportRecord: Sendable {
    var id: Int64
    var kind: ImportKind
    var lines: Int
    var accepted: Int
    var customersCreated: Int
    var customersUpdated: Int
    var ordersCreated: Int
    var duplicates: Int
    var errorCount: Int
    /// The refused lines listed (the first `ImportController.listedErrors`).
    var errors: [ImportLineError]
    var readMs: Int
    var mergeMs: Int
    var startedAt: Date
    var finishedAt: Date

    /// The audit trail's copy: the counts, not the refused lines.
    var summary: [String: Int] {
        [
            "lines": lines, "accepted": accepted, "customers_created": customersCreated,
            "customers_updated": customersUpdated, "orders_created": ordersCreated, "error_count": errorCount,
        ]
    }
}

/// The record of finished imports (tenant schema).
enum ImportJobStore {
    static func record(
        kind: ImportKind, lines: Int, counts: ImportStore.Counts, refused: [ImportLineError], listed: Int,
        timings: (read: Int, merge: Int), actor: (type: String, id: String), startedAt: Date,
        on tenant: TenantConnection
    ) async throws -> ImportRecord {
        let errors = String(decoding: try JSONEncoder().encode(Array(refused.prefix(listed))), as: UTF8.self)
        let rows = try await tenant.query(
            """
            INSERT INTO imports (kind, lines, accepted, customers_created, customers_updated, orders_created,
                                 duplicates, error_count, errors, read_ms, merge_ms, actor_type, actor_id, started_at)
            VALUES (\(kind.rawValue), \(lines), \(counts.accepted), \(counts.customersCreated),
                    \(counts.customersUpdated), \(counts.ordersCreated),
                    \(kind == .orders ? counts.accepted - counts.ordersCreated : 0), \(refused.count), \(errors)::jsonb,
                    \(timings.read), \(timings.merge), \(actor.type), \(actor.id), \(startedAt))
            RETURNING id
            """
        )
        for try await id in rows.decode(Int64.self) {
            if let job = try await find(id, on: tenant) { return job }
        }
        throw Problem.internalError(requestID: RequestScope.current?.requestID ?? "unknown")
    }

    static func find(_ id: Int64, on tenant: TenantConnection) async throws -> ImportRecord? {
        let rows = try await tenant.query(
            """
            SELECT id, kind, lines, accepted, customers_created, customers_updated, orders_created, duplicates,
                   error_count, errors::text, started_at, finished_at, read_ms, merge_ms
            FROM imports WHERE id = \(id)
            """
        )
        for try await row in rows {
            let c = row.makeRandomAccess()
            return ImportRecord(
                id: try c[0].decode(Int64.self), kind: ImportKind(rawValue: try c[1].decode(String.self)) ?? .orders,
                lines: try c[2].decode(Int.self), accepted: try c[3].decode(Int.self),
                customersCreated: try c[4].decode(Int.self), customersUpdated: try c[5].decode(Int.self),
                ordersCreated: try c[6].decode(Int.self), duplicates: try c[7].decode(Int.self),
                errorCount: try c[8].decode(Int.self),
                errors: try JSONDecoder().decode([ImportLineError].self, from: Data(try c[9].decode(String.self).utf8)),
                readMs: try c[12].decode(Int.self), mergeMs: try c[13].decode(Int.self),
                startedAt: try c[10].decode(Date.self), finishedAt: try c[11].decode(Date.self))
        }
        return nil
    }
}
