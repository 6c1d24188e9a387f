public import Foundation
public import Logging

/// A private PostgreSQL cluster made with the system's PostgreSQL binaries, listening on a unix
/// socket only. `itinera serve` uses it when no database is configured, and the tests use it for a
/// throwaway cluster per run.
public struct EmbeddedPostgres: Sendable {
    /// How the cluster is tuned: a development server keeps durability, a test cluster trades it for speed.
    public enum Durability: Sendable {
        case durable
        case throwaway
    }

    /// The role and database the application uses inside the cluster.
    public static let applicationRole = "itinera"
    public static let applicationDatabase = "itinera"
    static let superuser = "postgres"

    /// The directory holding `data/` (the cluster) and `run/` (its socket).
    public let directory: URL
    public let durability: Durability
    public let logger: Logger
    let binaries: PostgresBinaries
    let runAs: ClusterOwner?
    /// The port, which also names the unix socket (`.s.PGSQL.<port>`).
    public var port = 5432
    /// More `-c name=value` server options, after Itinera's own (a test that needs TCP and TLS).
    public var extraOptions: [String] = []

    public init(directory: URL, durability: Durability = .durable, logger: Logger) throws {
        self.directory = directory.standardizedFileURL
        self.durability = durability
        self.logger = logger
        self.binaries = try PostgresBinaries.locate()
        self.runAs = try ClusterOwner.forCurrentProcess()
    }

    var dataDirectory: URL { directory.appendingPathComponent("data") }
    var socketDirectory: URL { directory.appendingPathComponent("run") }
    var logFile: URL { directory.appendingPathComponent("postgres.log") }

    /// Settings that connect as the application role to the application database.
    public var applicationSettings: DatabaseSettings {
        DatabaseSettings(
            host: socketDirectory.path,
            port: port,
            user: Self.applicationRole,
            database: Self.applicationDatabase,
            sslMode: .disable
        )
    }

    /// Settings that connect as the cluster's superuser, for creating roles and databases.
    public func superuserSettings(database: String = "postgres") -> DatabaseSettings {
        DatabaseSettings(
            host: socketDirectory.path, port: port, user: Self.superuser, database: database, sslMode: .disable)
    }

    /// Makes the cluster on first use, starts it and waits until it accepts connections.
    public func start() throws {
        let socketPath = socketDirectory.appendingPathComponent(".s.PGSQL.\(port)").path
        guard socketPath.utf8.count < 104 else {
            throw EmbeddedPostgresError.socketPathTooLong(socketPath)
        }
        try FileManager.default.createDirectory(at: socketDirectory, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: directory.path)
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: socketDirectory.path)
        if let owner = runAs {
            try owner.takeOwnership(of: directory)
            try owner.checkCanReach(directory)
        }
        if !FileManager.default.fileExists(atPath: dataDirectory.appendingPathComponent("PG_VERSION").path) {
            logger.info("Creating the embedded PostgreSQL cluster", metadata: ["directory": "\(dataDirectory.path)"])
            try run(
                binaries.initdb,
                [
                    "--pgdata=\(dataDirectory.path)", "--username=\(Self.superuser)", "--auth=trust",
                    "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync",
                ]
            )
        }
        if FileManager.default.fileExists(atPath: dataDirectory.appendingPathComponent("postmaster.pid").path) {
            // A server left running by an earlier process that did not stop it; stop it so the
            // settings below apply. A stale pid file (no such process) makes this fail harmlessly.
            _ = try? run(binaries.pgCtl, ["stop", "--pgdata=\(dataDirectory.path)", "--mode=fast", "--wait"])
        }
        var options =
            [
                "-c listen_addresses=''",
                "-c unix_socket_directories='\(socketDirectory.path)'",
                "-c unix_socket_permissions=0700",
                "-c max_connections=200",
                "-c port=\(port)",
            ] + extraOptions
        if durability == .throwaway {
            options += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
        }
        let logged = (try? Data(contentsOf: logFile).count) ?? 0
        do {
            try run(
                binaries.pgCtl,
                [
                    "start", "--pgdata=\(dataDirectory.path)", "--wait", "--timeout=60",
                    "--log=\(logFile.path)", "--options=\(options.joined(separator: " "))",
                ]
            )
        } catch {
            // pg_ctl only says it could not start; the cluster's log says why (a read-only or full
            // disk, a lock file it cannot write). Exit with that, rather than start and fail later.
            throw EmbeddedPostgresError.startFailed(
                directory: dataDirectory.path, reasons: Self.failures(in: logFile, after: logged))
        }
        logger.info(
            "Embedded PostgreSQL is running",
            metadata: ["socket": "\(socketPath)", "version": "\(binaries.version)"]
        )
    }

    /// The FATAL and PANIC lines PostgreSQL wrote to `log` after its first `offset` bytes, without
    /// their time stamps.
    static func failures(in log: URL, after offset: Int) -> [String] {
        guard let data = try? Data(contentsOf: log), data.count > offset else { return [] }
        return String(decoding: data.dropFirst(offset), as: UTF8.self).split(separator: "\n").compactMap { line in
            guard let range = line.range(of: "FATAL:") ?? line.range(of: "PANIC:") else { return nil }
            return String(line[range.lowerBound...])
        }.suffix(3)
    }

    /// Stops the cluster, waiting for it to shut down.
    public func stop() {
        do {
            try run(binaries.pgCtl, ["stop", "--pgdata=\(dataDirectory.path)", "--mode=fast", "--wait"])
            logger.info("Embedded PostgreSQL stopped")
        } catch {
            logger.error("Stopping the embedded PostgreSQL failed", metadata: ["error": "\(error)"])
        }
    }

    /// Runs a PostgreSQL program, as the cluster owner when this process is root.
    @discardableResult
    func run(_ executable: String, _ arguments: [String]) throws -> String {
        if let owner = runAs {
            return try Subprocess.run("/usr/sbin/runuser", ["-u", owner.name, "--", executable] + arguments)
        }
        return try Subprocess.run(executable, arguments)
    }
}

/// The problems the embedded launcher reports, each saying what to do about it.
public enum EmbeddedPostgresError: Error, CustomStringConvertible {
    case binariesNotFound
    case noPostgresUser
    case unreachableDirectory(String)
    case socketPathTooLong(String)
    case startFailed(directory: String, reasons: [String])

    public var description: String {
        switch self {
        case .binariesNotFound:
            "PostgreSQL server binaries (initdb, pg_ctl, postgres) were not found via `pg_config --bindir` "
                + "or in /usr/lib/postgresql/*/bin. Install them: `sudo apt-get install postgresql` "
                + "(Debian/Ubuntu), or set DATABASE_URL to use an existing server."
        case .noPostgresUser:
            "Running as root, the embedded PostgreSQL must run as the `postgres` user, which does not exist. "
                + "Install the `postgresql` package (it creates the user) or run Itinera as an ordinary user."
        case .unreachableDirectory(let path):
            "The `postgres` user cannot reach \(path): a parent directory is closed to it. Run Itinera from a "
                + "directory the `postgres` user can traverse, set --data-dir, or set DATABASE_URL."
        case .startFailed(let directory, let reasons):
            "The embedded PostgreSQL in \(directory) did not start: "
                + (reasons.isEmpty ? "its log says no more." : reasons.joined(separator: "; ") + ".")
                + " Check that the directory is writable and its disk has room, or set DATABASE_URL."
        case .socketPathTooLong(let path):
            "The embedded PostgreSQL socket path \(path) is longer than a unix socket allows; "
                + "use a shorter --data-dir."
        }
    }
}
