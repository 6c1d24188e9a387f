import Foundation
import Itinera
import ItineraTestSupport
import Testing

@Suite struct EmbeddedPostgresReapingTests {
    /// A pid that no process has, so the cluster below looks like one a killed run left behind.
    static func deadPID() -> pid_t {
        var pid: pid_t = 4_000_000
        while kill(pid, 0) == 0 || errno != ESRCH { pid -= 1 }
        return pid
    }

    @Test func test_clusterOfAKilledRun_isStoppedAndRemoved() throws {
        let directory = URL(fileURLWithPath: "/tmp/itinera-reaptest-\(Self.deadPID())")
        let cluster = try EmbeddedPostgres(directory: directory, durability: .throwaway, logger: testLogger)
        try cluster.start()
        let pidFile = directory.appendingPathComponent("data/postmaster.pid")
        let postmaster = try #require(
            pid_t(try String(contentsOf: pidFile, encoding: .utf8).split(separator: "\n")[0])
        )
        #expect(Self.isRunning(postmaster))

        EmbeddedPostgres.reapAbandoned(prefix: "itinera-reaptest-", logger: testLogger)

        #expect(!FileManager.default.fileExists(atPath: directory.path))
        #expect(!Self.isRunning(postmaster))
    }

    /// Alive and not a zombie: a stopped postmaster stays in the process table until its parent,
    /// which is not this process, reaps it.
    static func isRunning(_ pid: pid_t) -> Bool {
        guard kill(pid, 0) == 0 else { return false }
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        return !status.contains("State:\tZ")
    }
}
