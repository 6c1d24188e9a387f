import Foundation
import PostgresNIO

extension TenantArchive {
    /// Restores the archive `name` into a new tenant with `slug` (and `name`, or the archived one), in
    /// one transaction: the tenant row, a schema built at the archive's schema version, every archived
    /// row (identity columns keep their values and their sequences continue after them), the tenant
    /// migrations since, and the users with their roles and password hashes. Nothing is left behind
    /// when any step fails.
    public func restore(
        archive name: String,
        slug: String,
        tenantName: String?,
        migrations: MigrationSet
    ) async throws -> Tenant {
        guard Self.isArchiveName(name) else {
            throw Problem.invalidField(
                "archive", "archive must be the file name of an archive in the export directory.")
        }
        let url = directory.appendingPathComponent(name)
        guard let handle = try? FileHandle(forReadingFrom: url) else {
            throw Problem.notFound("archive", name)
        }
        defer { try? handle.close() }
        var lines = LineReader(handle: handle)
        guard let first = try lines.next(),
            let header = try? JSONSerialization.jsonObject(with: first) as? [String: Any],
            header["format"] as? String == Self.format, header["version"] as? Int == Self.version,
            let schemaVersion = header["schema_version"] as? Int,
            let archived = header["tenant"] as? [String: Any],
            let users = header["users"] as? [[String: Any]]
        else { throw Problem.invalidField("archive", "\(name) is not an Itinera tenant archive.") }
        guard schemaVersion <= migrations.latestTenantVersion else {
            throw Problem.invalidField(
                "archive",
                "\(name) is at tenant schema version \(schemaVersion), newer than this server's \(migrations.latestTenantVersion)."
            )
        }
        guard SignUpValidation.isValidSlug(slug) else {
            throw Problem.invalidField(
                "slug",
                "slug must be 3–40 characters of lower-case letters, digits and hyphens, starting with a letter.")
        }
        let displayName = try SignUpValidation.displayName(
            tenantName ?? (archived["name"] as? String ?? ""), field: "name")
        guard let kind = Tenant.Kind(rawValue: archived["kind"] as? String ?? ""),
            let timezone = archived["timezone"] as? String, let currency = archived["currency"] as? String
        else { throw Problem.invalidField("archive", "\(name) has an incomplete tenant header.") }
        let identity = TenantIdentity.make()
        let tenant = Tenant(
            id: identity.id, slug: slug, name: displayName, kind: kind, timezone: timezone, currency: currency,
            state: .active, createdAt: Date(), identity: identity,
            // Archives from before tenants had a country are from China's.
            country: archived["country"] as? String ?? SignUpValidation.defaultCountry)
        let atArchive = try MigrationSet(
            control: migrations.control, tenant: migrations.tenant.filter { $0.version <= schemaVersion })

        try await client.transaction(logger: logger) { connection in
            try await TenantStore.insert(
                tenant, schemaVersion: migrations.latestTenantVersion, on: connection, logger: logger)
            try await TenantSchemaScript.provision(identity, migrations: atArchive, on: connection, logger: logger)
            try await Self.enterAsOwner(connection, tenant: identity, logger: logger)
            let tables = try await Self.tables(on: connection, logger: logger)
            // A fresh schema may hold seed rows (the settings row); the archive's rows replace them.
            for table in tables.reversed() {
                try await connection.execute(PQStatement(unsafeSQL: "DELETE FROM \"\(table)\""), logger: logger)
            }
            var table: String?
            var batch: [Data] = []
            func flush() async throws {
                guard let table, !batch.isEmpty else { return }
                var json = Data("[".utf8)
                for (index, row) in batch.enumerated() {
                    if index > 0 { json.append(contentsOf: Array(",".utf8)) }
                    json.append(row)
                }
                json.append(contentsOf: Array("]".utf8))
                var bindings = PQBindings()
                bindings.append(String(decoding: json, as: UTF8.self))
                try await connection.execute(
                    PQStatement(
                        unsafeSQL: """
                            INSERT INTO "\(table)" OVERRIDING SYSTEM VALUE
                            SELECT * FROM jsonb_populate_recordset(NULL::"\(table)", $1::jsonb)
                            """,
                        binds: bindings),
                    logger: logger
                )
                batch.removeAll(keepingCapacity: true)
            }
            var lineNumber = 1
            while let line = try lines.next() {
                lineNumber += 1
                if line.starts(with: Array(#"{"row":"#.utf8)), line.last == UInt8(ascii: "}") {
                    guard table != nil else { throw ArchiveError("line \(lineNumber): a row before any table") }
                    batch.append(line.dropFirst(7).dropLast())
                    if batch.count >= 1000 { try await flush() }
                    continue
                }
                guard let object = try? JSONSerialization.jsonObject(with: line) as? [String: Any],
                    let next = object["table"] as? String
                else { throw ArchiveError("line \(lineNumber) of \(name) is neither a table nor a row") }
                guard tables.contains(next) else {
                    throw Problem.invalidField("archive", "\(name) holds a table '\(next)' the schema does not have.")
                }
                try await flush()
                table = next
            }
            try await flush()
            // Identity columns continue after the restored values.
            var identities: [(String, String)] = []
            for try await column in try await connection.query(
                """
                SELECT c.relname, a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
                WHERE c.relnamespace = current_schema()::regnamespace AND a.attidentity <> '' AND c.relkind = 'r'
                """,
                logger: logger
            ).decode((String, String).self) { identities.append(column) }
            for (table, column) in identities {
                try await connection.execute(
                    PQStatement(
                        unsafeSQL: """
                            SELECT setval(pg_get_serial_sequence('"\(table)"', '\(column)'),
                                          coalesce(max("\(column)"), 0) + 1, false)
                            FROM "\(table)"
                            """),
                    logger: logger
                )
            }
            try await connection.execute("RESET ROLE", logger: logger)
            if schemaVersion < migrations.latestTenantVersion {
                try await TenantSchemaScript.upgrade(
                    schema: identity.schema, role: identity.role, from: schemaVersion, migrations: migrations,
                    on: connection, logger: logger)
            }
            for (index, user) in users.enumerated() {
                guard let email = user["email"] as? String, let userName = user["name"] as? String,
                    let role = user["role"] as? String, let state = user["state"] as? String
                else { throw Problem.invalidField("archive", "\(name): user \(index + 1) is incomplete.") }
                try await connection.execute(
                    """
                    INSERT INTO itinera.users (id, tenant_id, email, name, role, state, password_hash, created_at)
                    VALUES (\(UUID()), \(tenant.id), \(email), \(userName), \(role), \(state),
                            \(user["password_hash"] as? String), \(user["created_at"] as? String ?? "now")::timestamptz)
                    """,
                    logger: logger
                )
            }
        }
        logger.notice("Tenant restored", metadata: ["tenant": "\(tenant.slug)", "archive": "\(name)"])
        return tenant
    }
}

/// Reads a file line by line in 1 MiB chunks.
struct LineReader {
    let handle: FileHandle
    var buffer = Data()
    var finished = false

    init(handle: FileHandle) {
        self.handle = handle
    }

    mutating func next() throws -> Data? {
        while true {
            if let newline = buffer.firstIndex(of: 0x0A) {
                let line = buffer[buffer.startIndex..<newline]
                buffer = buffer[(newline + 1)...]
                return Data(line)
            }
            if finished {
                guard !buffer.isEmpty else { return nil }
                defer { buffer = Data() }
                return Data(buffer)
            }
            if let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
                buffer = Data(buffer) + chunk
            } else {
                finished = true
            }
        }
    }
}
