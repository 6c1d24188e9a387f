import Foundation
public import Logging

extension EmbeddedPostgres {
    /// Stops and removes throwaway clusters at `<directory>/<prefix><pid>` whose process no longer
    /// exists: a test run or benchmark that was killed never ran its own clean-up.
    public static func reapAbandoned(in directory: String = "/tmp", prefix: String, logger: Logger) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for name in names where name.hasPrefix(prefix) {
            guard let pid = pid_t(name.dropFirst(prefix.count)), pid != getpid(),
                kill(pid, 0) == -1, errno == ESRCH
            else { continue }
            let path = URL(fileURLWithPath: directory).appendingPathComponent(name)
            if let cluster = try? EmbeddedPostgres(directory: path, durability: .throwaway, logger: logger),
                FileManager.default.fileExists(
                    atPath: cluster.dataDirectory.appendingPathComponent("postmaster.pid").path)
            {
                _ = try? cluster.run(
                    cluster.binaries.pgCtl, ["stop", "--pgdata=\(cluster.dataDirectory.path)", "--mode=immediate"])
            }
            try? FileManager.default.removeItem(at: path)
            logger.notice("Removed an abandoned embedded cluster", metadata: ["directory": "\(path.path)"])
        }
    }
}
