import Crypto
import Foundation

/// One versioned SQL file from `sql/control` or `sql/tenant`.
public struct Migration: Sendable, Equatable {
    /// Which schema a migration applies to.
    public enum Scope: String, Sendable {
        case control
        case tenant
    }

    public let scope: Scope
    public let version: Int
    public let name: String
    public let sql: String

    public init(scope: Scope, version: Int, name: String, sql: String) {
        self.scope = scope
        self.version = version
        self.name = name
        self.sql = sql
    }

    /// SHA-256 of the file, recorded when applied so an edited, already-applied file is noticed.
    public var checksum: String {
        SHA256.hash(data: Data(sql.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}

/// The ordered control and tenant migrations a server knows.
public struct MigrationSet: Sendable {
    public let control: [Migration]
    public let tenant: [Migration]

    /// Builds a set, insisting on versions 1, 2, 3… with no gaps or repeats in each scope.
    public init(control: [Migration], tenant: [Migration]) throws {
        self.control = control.sorted { $0.version < $1.version }
        self.tenant = tenant.sorted { $0.version < $1.version }
        for list in [self.control, self.tenant] {
            for (index, migration) in list.enumerated() where migration.version != index + 1 {
                throw MigrationError.badSequence(
                    "\(migration.scope.rawValue) migration \(migration.name) has version \(migration.version); "
                        + "expected \(index + 1)"
                )
            }
        }
    }

    /// The migrations compiled into this binary from the package's `sql/` directory.
    public static func embedded() throws -> MigrationSet {
        var control: [Migration] = []
        var tenant: [Migration] = []
        for file in embeddedSQLFiles {
            let stem = file.fileName.replacingOccurrences(of: ".sql", with: "")
            guard let separator = stem.firstIndex(of: "_"), let version = Int(stem[..<separator]) else {
                throw MigrationError.badSequence("\(file.fileName) is not named NNNN_name.sql")
            }
            let name = String(stem[stem.index(after: separator)...])
            switch file.scope {
            case "control": control.append(Migration(scope: .control, version: version, name: name, sql: file.sql))
            default: tenant.append(Migration(scope: .tenant, version: version, name: name, sql: file.sql))
            }
        }
        return try MigrationSet(control: control, tenant: tenant)
    }

    public var latestControlVersion: Int { control.last?.version ?? 0 }
    public var latestTenantVersion: Int { tenant.last?.version ?? 0 }

    /// Tenant migrations after `version`, joined into one script so applying them costs one round trip.
    func tenantScript(after version: Int) -> String {
        tenant.filter { $0.version > version }.map(\.sql).joined(separator: "\n;\n")
    }
}

/// Why migrations could not be applied.
public enum MigrationError: Error, CustomStringConvertible {
    case badSequence(String)
    case checksumMismatch(version: Int, name: String)
    case databaseAhead(applied: Int, known: Int)
    case pending(control: Int, tenantsBehind: Int)

    public var description: String {
        switch self {
        case .badSequence(let message):
            message
        case .checksumMismatch(let version, let name):
            "control migration \(version) (\(name)) was changed after it was applied; write a new migration instead"
        case .databaseAhead(let applied, let known):
            "the database is at control version \(applied) but this binary knows only \(known): run a newer Itinera"
        case .pending(let control, let tenantsBehind):
            "migrations are pending (\(control) control, \(tenantsBehind) tenant schemas behind): run "
                + "`itinera migrate` or start with --migrate"
        }
    }
}
