import Foundation

/// The PostgreSQL server programs the embedded launcher needs.
struct PostgresBinaries: Sendable {
    let directory: String
    let version: String

    var initdb: String { directory + "/initdb" }
    var pgCtl: String { directory + "/pg_ctl" }
    var postgres: String { directory + "/postgres" }

    /// Finds the binaries via `pg_config --bindir`, then the newest `/usr/lib/postgresql/*/bin`.
    static func locate() throws -> PostgresBinaries {
        var candidates: [String] = []
        if let bindir = try? Subprocess.run("pg_config", ["--bindir"]).trimmingCharacters(in: .whitespacesAndNewlines),
            !bindir.isEmpty
        {
            candidates.append(bindir)
        }
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [])
            .compactMap { Int($0) }
            .sorted(by: >)
        candidates += versions.map { "\(root)/\($0)/bin" }
        for directory in candidates {
            let programs = ["initdb", "pg_ctl", "postgres"].map { directory + "/" + $0 }
            if programs.allSatisfy({ FileManager.default.isExecutableFile(atPath: $0) }) {
                let version = (try? Subprocess.run(directory + "/postgres", ["--version"])) ?? "unknown"
                return PostgresBinaries(
                    directory: directory,
                    version: version.trimmingCharacters(in: .whitespacesAndNewlines)
                )
            }
        }
        throw EmbeddedPostgresError.binariesNotFound
    }
}

/// The unprivileged account a root process runs the cluster as, since PostgreSQL refuses to run as root.
struct ClusterOwner: Sendable {
    let name: String
    let uid: uid_t
    let gid: gid_t

    /// `nil` when this process is not root and can own the cluster itself.
    static func forCurrentProcess() throws -> ClusterOwner? {
        guard geteuid() == 0 else { return nil }
        guard let entry = getpwnam("postgres") else { throw EmbeddedPostgresError.noPostgresUser }
        return ClusterOwner(name: "postgres", uid: entry.pointee.pw_uid, gid: entry.pointee.pw_gid)
    }

    func takeOwnership(of directory: URL) throws {
        try Subprocess.run("/bin/chown", ["-R", "\(uid):\(gid)", directory.path])
    }

    func checkCanReach(_ directory: URL) throws {
        do {
            try Subprocess.run("/usr/sbin/runuser", ["-u", name, "--", "test", "-w", directory.path])
        } catch {
            throw EmbeddedPostgresError.unreachableDirectory(directory.path)
        }
    }
}
