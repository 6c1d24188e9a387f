import Foundation
import ItineraAPI
import Logging
import NIOCore
import OpenAPIRuntime
import PostgresNIO

/// Bulk imports of customers or orders, streamed from NDJSON and merged set-based.
struct ImportController: Sendable {
    let access: AccessControl
    let logger: Logger

    static let path = "/v1/imports"
    /// The import's body is declared `application/octet-stream` (client generators know it);
    /// NDJSON's own media type is read as the same.
    static let mediaTypeAliases = ["application/x-ndjson": "application/octet-stream"]
    /// Largest body an import takes.
    static let maxBytes = 1 << 30
    /// Refused lines listed in an import's answer; all are counted.
    static let listedErrors = 1000

    func createImport(_ input: Operations.CreateImport.Input) async throws -> Operations.CreateImport.Output {
        guard let kind = ImportKind(rawValue: input.query.kind.rawValue) else {
            throw Problem.invalidField("kind", "kind must be customers or orders.")
        }
        guard case .binary(let body) = input.body else {
            throw Problem.malformedBody("Expected an NDJSON body (application/octet-stream or application/x-ndjson).")
        }
        let started = Date()
        let readStarted = ContinuousClock.now
        let job = try await access.inTenant { tenant, principal in
            try await ImportStore.stage(on: tenant)
            let reader = ImportReader(
                kind: kind, region: principal.tenant.phoneRegion, currency: principal.tenant.currency, now: started)
            var read = ImportReader.Totals()
            try await tenant.connection.copyFrom(
                table: "import_rows", columns: ImportStore.rowColumns, logger: logger
            ) { writer in
                read = try await reader.read(ImportLines(body: body, maxBytes: Self.maxBytes)) { rows in
                    try await writer.write(rows)
                }
            }
            guard read.lines > 0 else {
                throw Problem.invalidField("body", "An import needs at least one line of NDJSON; the body was empty.")
            }
            if read.identities.readableBytes > 0 {
                let data = read.identities
                try await tenant.connection.copyFrom(
                    table: "import_identities", columns: ["line", "kind", "source", "value"], logger: logger
                ) { writer in try await writer.write(data) }
            }
            let merging = ContinuousClock.now
            let counts = try await ImportStore.merge(kind, on: tenant)
            let refused = (read.refused + counts.refused).sorted { $0.line < $1.line }
            let job = try await ImportJobStore.record(
                kind: kind, lines: read.lines, counts: counts, refused: refused, listed: Self.listedErrors,
                timings: (Int((merging - readStarted).milliseconds), Int((ContinuousClock.now - merging).milliseconds)),
                actor: principal.auditActor, startedAt: started, on: tenant)
            try await AuditLog.record(
                principal.auditEvent(
                    action: "import.create", targetType: "import", targetID: job.id, before: nil,
                    after: try JSONEncoder().encode(job.summary)),
                on: tenant)
            return job
        }
        return .created(.init(body: .json(job)))
    }

    func getImport(_ input: Operations.GetImport.Input) async throws -> Operations.GetImport.Output {
        let id = try Problem.pathID(input.path.id, of: "import")
        let job = try await access.inTenant { tenant, _ in
            guard let job = try await ImportJobStore.find(id, on: tenant) else {
                throw Problem.notFound("import", input.path.id)
            }
            return job
        }
        return .ok(.init(body: .json(job)))
    }
}

/// The record of finished imports (tenant schema).
enum ImportJobStore {
    static func record(
        kind: ImportKind, lines: Int, counts: ImportStore.Counts, refused: [ImportLineError], listed: Int,
        timings: (read: Int, merge: Int), actor: (type: String, id: String), startedAt: Date,
        on tenant: TenantConnection
    ) async throws -> Components.Schemas.ImportJob {
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

    static func find(_ id: Int64, on tenant: TenantConnection) async throws -> Components.Schemas.ImportJob? {
        let rows = try await tenant.query(
            """
            SELECT id, kind, lines, accepted, customers_created, customers_updated, orders_created, duplicates,
                   error_count, errors::text, started_at, finished_at, read_ms, merge_ms
            FROM imports WHERE id = \(id)
            """
        )
        for try await row in rows {
            let c = row.makeRandomAccess()
            let errors = try JSONDecoder().decode(
                [ImportLineError].self, from: Data(try c[9].decode(String.self).utf8))
            return Components.Schemas.ImportJob(
                id: String(try c[0].decode(Int64.self)),
                kind: Components.Schemas.ImportJob.KindPayload(rawValue: try c[1].decode(String.self)) ?? .orders,
                state: .completed,
                lines: try c[2].decode(Int.self), accepted: try c[3].decode(Int.self),
                customersCreated: try c[4].decode(Int.self), customersUpdated: try c[5].decode(Int.self),
                ordersCreated: try c[6].decode(Int.self), duplicates: try c[7].decode(Int.self),
                errorCount: try c[8].decode(Int.self),
                errors: errors.map { .init(line: $0.line, field: $0.field, message: $0.message) },
                readMs: try c[12].decode(Int.self), mergeMs: try c[13].decode(Int.self),
                startedAt: try c[10].decode(Date.self), finishedAt: try c[11].decode(Date.self))
        }
        return nil
    }
}

extension Components.Schemas.ImportJob {
    /// The audit trail's copy: the counts, not the refused lines.
    var summary: [String: Int] {
        [
            "lines": lines, "accepted": accepted, "customers_created": customersCreated,
            "customers_updated": customersUpdated, "orders_created": ordersCreated, "error_count": errorCount,
        ]
    }
}
