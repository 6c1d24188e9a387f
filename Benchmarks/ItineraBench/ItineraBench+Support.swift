import Foundation
import Itinera
import PostgresNIO

/// What the sections share: the database settled before a measurement, tenants added in bulk,
/// lines printed as they are measured.
extension ItineraBench {
    /// Brings the database to a settled state before a measurement, as autovacuum and the
    /// checkpointer would in a running system: catalog statistics current, dirty pages written. With
    /// `schemas`, only their tables are vacuumed (a measurement of a few tenants is then not preceded
    /// by a pass over every other tenant's tables, which would leave the caches cold).
    func settle(_ embedded: EmbeddedPostgres, schemas: [String]? = nil) async throws {
        try await embedded.withSuperuser(database: EmbeddedPostgres.applicationDatabase) { connection in
            if let schemas {
                var tables: [String] = []
                let rows = try await connection.query(
                    """
                    SELECT format('%I.%I', schemaname, tablename) FROM pg_tables
                    WHERE schemaname = ANY(\(schemas)::text[])
                    """, logger: embedded.logger)
                for try await table in rows.decode(String.self) { tables.append(table) }
                if !tables.isEmpty {
                    try await connection.execute(
                        PQStatement(unsafeSQL: "VACUUM ANALYZE " + tables.joined(separator: ", ")),
                        logger: embedded.logger)
                }
            } else {
                try await connection.execute("VACUUM ANALYZE", logger: embedded.logger)
            }
            try await connection.execute("CHECKPOINT", logger: embedded.logger)
        }
    }

    /// Adds tenants until `count` exist, four at a time (slugs `<prefix>-<existing>-<n>`); their
    /// owners' session tokens.
    @discardableResult
    func populate(
        to count: Int, from existing: Int, provisioner: TenantProvisioner, hash: String, prefix: String = "fill"
    ) async throws -> [String] {
        let missing = max(0, count - existing)
        guard missing > 0 else { return [] }
        return try await withThrowingTaskGroup(of: String.self) { group in
            var next = 0
            var tokens: [String] = []
            func add() {
                let index = next
                next += 1
                group.addTask {
                    try await provisioner.provision(
                        Self.signUp(slug: "\(prefix)-\(existing)-\(index)"), ownerPasswordHash: hash
                    ).session.value
                }
            }
            for _ in 0..<min(4, missing) { add() }
            while let token = try await group.next() {
                tokens.append(token)
                if next < missing { add() }
            }
            return tokens
        }
    }

    /// Writes a line to standard output unbuffered, so each result shows as soon as it is measured.
    static func emit(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    static func signUp(slug: String) throws -> ValidSignUp {
        try SignUpValidation.validate(
            name: "Bench \(slug)",
            slug: slug,
            kind: "agency",
            timezone: nil,
            currency: nil,
            ownerEmail: "owner@\(slug).example",
            ownerPassword: "correct horse battery",
            ownerName: "Owner"
        )
    }

    static func format(_ value: Double, digits: Int = 1) -> String {
        String(format: "%.\(digits)f", value) + (digits == 0 ? "" : " ms")
    }
}
