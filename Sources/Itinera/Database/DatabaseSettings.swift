import Foundation
public import Logging
public import PostgresNIO

/// Where and how to reach PostgreSQL, read the way libpq reads it: a `postgres://` URL
/// (`DATABASE_URL`) first, then the `PG*` environment variables for anything the URL leaves out.
public struct DatabaseSettings: Sendable, Equatable {
    /// libpq's `sslmode` values.
    public enum SSLMode: String, Sendable, CaseIterable {
        case disable, allow, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    public var sslMode: SSLMode
    public var sslRootCertificate: String?

    public init(
        host: String,
        port: Int = 5432,
        user: String,
        password: String? = nil,
        database: String,
        sslMode: SSLMode = .prefer,
        sslRootCertificate: String? = nil
    ) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
        self.sslMode = sslMode
        self.sslRootCertificate = sslRootCertificate
    }

    /// A host beginning with `/` is a directory holding the server's unix socket, as in libpq.
    public var unixSocketPath: String? {
        host.hasPrefix("/") ? "\(host)/.s.PGSQL.\(port)" : nil
    }

    /// Reads `DATABASE_URL` or the `PG*` variables; `nil` when neither names a database server.
    public static func fromEnvironment(_ environment: [String: String]) throws -> DatabaseSettings? {
        if let url = environment["DATABASE_URL"], !url.isEmpty {
            return try DatabaseSettings(url: url, environment: environment)
        }
        let libpqKeys = ["PGHOST", "PGPORT", "PGUSER", "PGDATABASE", "PGPASSWORD", "PGSSLMODE"]
        guard libpqKeys.contains(where: { environment[$0]?.isEmpty == false }) else { return nil }
        return try DatabaseSettings(url: "postgres://", environment: environment)
    }

    /// Parses a libpq connection URL (`postgres://user:password@host:port/database?sslmode=require`);
    /// whatever the URL omits comes from the `PG*` variables, then libpq's own defaults.
    public init(url string: String, environment: [String: String] = [:]) throws {
        guard let components = URLComponents(string: string),
            ["postgres", "postgresql"].contains(components.scheme ?? "")
        else {
            throw DatabaseSettingsError.invalid("DATABASE_URL must be a postgres:// or postgresql:// URL")
        }
        var query: [String: String] = [:]
        for item in components.queryItems ?? [] { query[item.name] = item.value ?? "" }

        func fallback(_ key: String) -> String? {
            guard let value = environment[key], !value.isEmpty else { return nil }
            return value
        }
        let osUser = ProcessInfo.processInfo.environment["USER"] ?? "postgres"
        let host =
            query["host"] ?? components.percentEncodedHost.flatMap { $0.removingPercentEncoding }.flatMap {
                $0.isEmpty ? nil : $0
            } ?? fallback("PGHOST") ?? "/var/run/postgresql"
        let portText = query["port"] ?? components.port.map(String.init) ?? fallback("PGPORT") ?? "5432"
        guard let port = Int(portText), (1...65535).contains(port) else {
            throw DatabaseSettingsError.invalid("database port '\(portText)' is not a port number")
        }
        let user = query["user"] ?? components.user.flatMap { $0.isEmpty ? nil : $0 } ?? fallback("PGUSER") ?? osUser
        let password = query["password"] ?? components.password ?? fallback("PGPASSWORD")
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        let database = query["dbname"] ?? (path.isEmpty ? nil : path) ?? fallback("PGDATABASE") ?? user
        let modeText = query["sslmode"] ?? fallback("PGSSLMODE") ?? "prefer"
        guard let mode = SSLMode(rawValue: modeText) else {
            throw DatabaseSettingsError.invalid(
                "sslmode '\(modeText)' is not one of \(SSLMode.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
        self.init(
            host: host,
            port: port,
            user: user,
            password: password,
            database: database,
            sslMode: mode,
            sslRootCertificate: query["sslrootcert"] ?? fallback("PGSSLROOTCERT")
        )
    }

    /// The longest a statement waits for a lock by default (`ServerConfiguration.lockTimeout`).
    public static let lockTimeout: Duration = .seconds(10)

    /// A pool for these settings with at most `connections` connections at work and at most
    /// `open` open (`nil`: as many), each working in at most `tenants` tenants' schemas, opened on
    /// demand through libpq (which also reads what the settings leave out from `PG*` variables and
    /// service files); its statements wait at most `lockTimeout` for a lock.
    public func makeClient(
        connections: Int, open: Int? = nil, tenants: Int = PQPool.defaultTenants, logger: Logger,
        lockTimeout: Duration = Self.lockTimeout
    ) throws -> PQPool {
        PQPool(
            keywords: PQPool.keywords(for: self, lockTimeout: lockTimeout), maximum: connections, places: open,
            tenants: tenants)
    }

}

/// A database setting that cannot be used.
public enum DatabaseSettingsError: Error, CustomStringConvertible {
    case invalid(String)

    public var description: String {
        switch self {
        case .invalid(let message): message
        }
    }
}
