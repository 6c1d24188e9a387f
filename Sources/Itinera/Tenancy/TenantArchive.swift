import Crypto
public import Foundation
public import Logging
public import PostgresNIO

/// A complete archive of one tenant: its profile and users from the control schema and every row of
/// every table of its schema, as NDJSON in the server's export directory.
///
/// Line 1 is the header (`format`, `version`, `schema_version`, `tenant`, `users`); then, for each
/// table, a line `{"table": name}` followed by one `{"row": …}` line per row (`row_to_json`).
/// Sessions, invitations and API keys are not archived: a restored tenant issues new ones.
public struct TenantArchive: Sendable {
    public static let format = "itinera-tenant-archive"
    public static let version = 1
    static let fileSuffix = ".itinera-archive.ndjson"

    /// What an export wrote.
    public struct Summary: Sendable {
        public var archive: String
        public var bytes: Int64
        public var sha256: String
        public var users: Int
        public var tables: [(name: String, rows: Int64)]
    }

    let client: PQPool
    let directory: URL
    let logger: Logger

    public init(client: PQPool, directory: URL, logger: Logger) {
        self.client = client
        self.directory = directory
        self.logger = logger
    }

    /// Whether `name` could be an archive this server wrote (no paths, no surprises).
    static func isArchiveName(_ name: String) -> Bool {
        name.hasSuffix(fileSuffix) && name.utf8.count <= 200
            && name.utf8.allSatisfy { isalnum(Int32($0)) != 0 || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".") }
            && !name.hasPrefix(".")
    }

    /// Writes the archive of `tenant`. The tenant's tables are share-locked while they are read, so
    /// the archive is one consistent state: writes wait until the export is done.
    public func export(_ tenant: Tenant) async throws -> Summary {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let stamp = Date().formatted(
            .iso8601.year().month().day().dateSeparator(.omitted).time(includingFractionalSeconds: false).timeSeparator(
                .omitted))
        let name = "\(tenant.slug)-\(stamp)-\(String(UInt32.random(in: .min ... .max), radix: 16))\(Self.fileSuffix)"
        let final = directory.appendingPathComponent(name)
        let partial = directory.appendingPathComponent("." + name + ".partial")
        guard
            FileManager.default.createFile(atPath: partial.path, contents: nil, attributes: [.posixPermissions: 0o600])
        else { throw ArchiveError("cannot create \(partial.path)") }
        let writer = try ArchiveWriter(handle: FileHandle(forWritingTo: partial))
        var tables: [(String, Int64)] = []
        var users = 0
        do {
            try await client.transaction(logger: logger) { connection in
                try await Self.enterAsOwner(connection, tenant: tenant.identity, logger: logger)
                let names = try await Self.tables(on: connection, logger: logger)
                if !names.isEmpty {
                    let list = names.map { "\"\($0)\"" }.joined(separator: ", ")
                    try await connection.execute(
                        PQStatement(unsafeSQL: "LOCK TABLE \(list) IN SHARE MODE"), logger: logger)
                }
                // The control rows are read as the application role, inside the same transaction.
                try await connection.execute("RESET ROLE", logger: logger)
                let header = try await Self.header(tenant, on: connection, logger: logger)
                try await Self.enterAsOwner(connection, tenant: tenant.identity, logger: logger)
                users = (header["users"] as? [Any])?.count ?? 0
                try writer.write(try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys]))
                for table in names {
                    try writer.write(
                        try JSONSerialization.data(withJSONObject: ["table": table], options: [.sortedKeys]))
                    var count: Int64 = 0
                    let rows = try await connection.query(
                        PQStatement(unsafeSQL: "SELECT row_to_json(r)::text FROM \"\(table)\" r"), logger: logger)
                    for try await json in rows.decode(String.self) {
                        try writer.write(Data(#"{"row":"#.utf8) + Data(json.utf8) + Data("}".utf8))
                        count += 1
                    }
                    tables.append((table, count))
                }
            }
            try writer.finish()
            try FileManager.default.moveItem(at: partial, to: final)
        } catch {
            try? writer.finish()
            try? FileManager.default.removeItem(at: partial)
            throw error
        }
        logger.notice("Tenant exported", metadata: ["tenant": "\(tenant.slug)", "archive": "\(name)"])
        return Summary(
            archive: name, bytes: writer.bytes, sha256: writer.digest, users: users,
            tables: tables.map { (name: $0.0, rows: $0.1) })
    }

    /// Search path to the tenant's schema and role to the schema's owner, for whole-schema work.
    static func enterAsOwner(_ connection: PQConnection, tenant: TenantIdentity, logger: Logger) async throws {
        try await connection.execute(
            "SELECT set_config('search_path', \(tenant.schema), true), set_config('role', 'itinera_tenant_owner', true)",
            logger: logger
        )
    }

    /// The tables of the schema on the search path, parents before the tables that reference them.
    static func tables(on connection: PQConnection, logger: Logger) async throws -> [String] {
        var names: [String] = []
        for try await name in try await connection.query(
            """
            SELECT c.relname FROM pg_class c
            WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition
            ORDER BY c.relname
            """,
            logger: logger
        ).decode(String.self) { names.append(name) }
        var references: [String: Set<String>] = [:]
        for try await (child, parent) in try await connection.query(
            """
            SELECT c.conrelid::regclass::text, c.confrelid::regclass::text FROM pg_constraint c
            WHERE c.contype = 'f' AND c.connamespace = current_schema()::regnamespace
            """,
            logger: logger
        ).decode((String, String).self) where child != parent {
            references[child, default: []].insert(parent)
        }
        var ordered: [String] = []
        var placed: Set<String> = []
        while ordered.count < names.count {
            let ready = names.filter { !placed.contains($0) && (references[$0] ?? []).isSubset(of: placed) }
            guard !ready.isEmpty else { throw ArchiveError("the tenant's tables reference each other in a cycle") }
            ordered += ready
            placed.formUnion(ready)
        }
        return ordered
    }

    static func header(_ tenant: Tenant, on connection: PQConnection, logger: Logger) async throws
        -> [String: Any]
    {
        var schemaVersion = 0
        for try await version in try await connection.query(
            "SELECT schema_version FROM itinera.tenants WHERE id = \(tenant.id)", logger: logger
        ).decode(Int.self) { schemaVersion = version }
        var users: [[String: Any]] = []
        for try await row in try await connection.query(
            """
            SELECT email, name, role, state, password_hash, created_at::text FROM itinera.users
            WHERE tenant_id = \(tenant.id) ORDER BY email
            """,
            logger: logger
        ).decode((String, String, String, String, String?, String).self) {
            var user: [String: Any] = [
                "email": row.0, "name": row.1, "role": row.2, "state": row.3, "created_at": row.5,
            ]
            if let hash = row.4 { user["password_hash"] = hash }
            users.append(user)
        }
        return [
            "format": format,
            "version": version,
            "exported_at": Date().formatted(.iso8601),
            "schema_version": schemaVersion,
            "tenant": [
                "slug": tenant.slug, "name": tenant.name, "kind": tenant.kind.rawValue, "timezone": tenant.timezone,
                "currency": tenant.currency, "country": tenant.country,
            ],
            "users": users,
        ]
    }
}

/// Buffered writes with a running SHA-256.
final class ArchiveWriter {
    let handle: FileHandle
    var buffer = Data()
    var hasher = SHA256()
    var bytes: Int64 = 0
    var digest = ""

    init(handle: FileHandle) throws {
        self.handle = handle
    }

    func write(_ line: Data) throws {
        buffer.append(line)
        buffer.append(0x0A)
        if buffer.count >= 1 << 20 { try drain() }
    }

    private func drain() throws {
        hasher.update(data: buffer)
        bytes += Int64(buffer.count)
        try handle.write(contentsOf: buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    func finish() throws {
        guard digest.isEmpty else { return }
        try drain()
        try handle.synchronize()
        try handle.close()
        digest = hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}

/// An archive that cannot be written or read; the message says why.
public struct ArchiveError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
