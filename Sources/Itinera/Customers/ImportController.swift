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
        if case .known(let length) = body.length, length == 0 {
            throw Problem.invalidField("body", "An import needs at least one line of NDJSON; the body was empty.")
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
                    action: "import.create", targetType: "import", targetID: String(job.id), before: nil,
                    after: try JSONEncoder().encode(job.summary)),
                on: tenant)
            return job
        }
        return .created(.init(body: .json(job.api)))
    }

    func getImport(_ input: Operations.GetImport.Input) async throws -> Operations.GetImport.Output {
        let id = try Problem.pathID(input.path.id, of: "import")
        let job = try await access.inTenant { tenant, _ in
            guard let job = try await ImportJobStore.find(id, on: tenant) else {
                throw Problem.notFound("import", input.path.id)
            }
            return job
        }
        return .ok(.init(body: .json(job.api)))
    }
}
