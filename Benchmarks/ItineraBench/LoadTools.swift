import Foundation
import Itinera
import NIOPosix

/// Runs `wrk` against the server under test and reads its figures.
enum Wrk {
    struct Result {
        var requests: Int
        var requestsPerSecond: Double
        var p50: Double
        var p95: Double
        var p99: Double
        /// Requests that failed (connection errors, timeouts, non-2xx), when the caller tolerates them.
        var failed: Int = 0
    }

    /// The result whose rate is the median of `results`.
    static func median(_ results: [Result]) -> Result {
        results.sorted { $0.requestsPerSecond < $1.requestsPerSecond }[results.count / 2]
    }

    /// Keep-alive GETs for `seconds` over `connections` connections.
    static func get(port: Int, path: String, token: String?, seconds: Int, connections: Int) async throws -> Result {
        let report = try script(Self.reportScript)
        defer { try? FileManager.default.removeItem(atPath: report) }
        var arguments = ["-t2", "-c\(connections)", "-d\(seconds)s", "--latency", "-s", report]
        if let token { arguments += ["-H", "Authorization: Bearer \(token)"] }
        arguments.append("https://127.0.0.1:\(port)\(path)")
        return try await parse(BenchProcess.run("wrk", arguments))
    }

    /// Keep-alive requests that a Lua `script` makes, for `seconds` over `connections` connections.
    static func script(
        _ lua: String, port: Int, token: String?, seconds: Int, connections: Int, tolerant: Bool = false
    ) async throws -> Result {
        let path = try script(lua + reportScript)
        defer { try? FileManager.default.removeItem(atPath: path) }
        var arguments = ["-t\(min(2, connections))", "-c\(connections)", "-d\(seconds)s", "--latency", "-s", path]
        if tolerant { arguments += ["--timeout", "30s"] }
        if let token { arguments += ["-H", "Authorization: Bearer \(token)"] }
        arguments.append("https://127.0.0.1:\(port)/")
        return try await parse(BenchProcess.run("wrk", arguments), tolerant: tolerant)
    }

    /// One sign-up at a time over one keep-alive connection, each with a fresh slug.
    static func signUps(port: Int, seconds: Int, tag: String) async throws -> Result {
        let lua =
            """
            local counter = 0
            request = function()
              counter = counter + 1
              local slug = string.format("wrk-%s-%d", "\(tag)", counter)
              local body = string.format('{"tenant":{"name":"Bench %s","slug":"%s","kind":"agency"},"owner":{"email":"owner@%s.example","password":"correct horse battery","name":"Owner"}}', slug, slug, slug)
              return wrk.format("POST", "/v1/signup", {["Content-Type"] = "application/json"}, body)
            end
            """ + reportScript
        let path = try script(lua)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let output = try await BenchProcess.run(
            "wrk", ["-t1", "-c1", "-d\(seconds)s", "-s", path, "https://127.0.0.1:\(port)/"])
        return try parse(output)
    }

    /// Prints the figures wrk's summary lacks (p95, non-2xx count) in a fixed form.
    static let reportScript = """

        done = function(summary, latency, requests)
          io.write(string.format("ITINERA requests=%d p50=%d p95=%d p99=%d errors=%d non2xx=%d\\n",
            summary.requests, latency:percentile(50), latency:percentile(95), latency:percentile(99),
            summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
            summary.errors.status))
        end
        """

    static func script(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("itinera-wrk-\(UUID()).lua").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    static func parse(_ output: String, tolerant: Bool = false) throws -> Result {
        guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("ITINERA ") }) else {
            throw BenchError("wrk printed no summary: \(output)")
        }
        var values: [String: Double] = [:]
        for pair in line.split(separator: " ").dropFirst() {
            let parts = pair.split(separator: "=")
            if parts.count == 2 { values[String(parts[0])] = Double(parts[1]) }
        }
        let failed = Int((values["errors"] ?? 1) + (values["non2xx"] ?? 1))
        guard tolerant || failed == 0 else {
            throw BenchError("wrk saw failed requests: \(line)")
        }
        let rate =
            output.split(separator: "\n").first { $0.hasPrefix("Requests/sec:") }
            .flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0
        return Result(
            requests: Int(values["requests"] ?? 0),
            requestsPerSecond: rate,
            p50: (values["p50"] ?? 0) / 1000,
            p95: (values["p95"] ?? 0) / 1000,
            p99: (values["p99"] ?? 0) / 1000,
            failed: failed
        )
    }
}

/// Runs `pgbench -S` (select-only) against the embedded cluster.
enum PGBench {
    static func selectOnly(embedded: EmbeddedPostgres, seconds: Int, connections: Int) async throws -> Double {
        let settings = embedded.superuserSettings()
        let common = ["-h", settings.host, "-U", settings.user]
        _ = try? await BenchProcess.run("createdb", common + ["pgbench"])
        _ = try await BenchProcess.run("pgbench", common + ["-i", "-q", "-s", "10", "pgbench"])
        let output = try await BenchProcess.run(
            "pgbench",
            common + ["-S", "-n", "-c", "\(connections)", "-j", "2", "-T", "\(seconds)", "pgbench"]
        )
        guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("tps = ") }),
            let tps = Double(line.split(separator: " ")[2])
        else {
            throw BenchError("pgbench printed no tps: \(output)")
        }
        return tps
    }
}

extension PGBench {
    struct Result {
        var tps: Double
        /// Mean transaction latency, milliseconds.
        var latency: Double
    }

    /// Runs a custom script (`-M prepared`) as the superuser against the application database.
    static func custom(embedded: EmbeddedPostgres, script: String, seconds: Int, connections: Int) async throws
        -> Result
    {
        let settings = embedded.superuserSettings()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("itinera-pgbench-\(UUID()).sql").path
        try Data(script.utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let output = try await BenchProcess.run(
            "pgbench",
            [
                "-h", settings.host, "-U", settings.user, "-n", "-M", "prepared", "-f", path, "-c", "\(connections)",
                "-j", "\(min(2, connections))", "-T", "\(seconds)", EmbeddedPostgres.applicationDatabase,
            ]
        )
        func value(_ prefix: String) -> Double? {
            output.split(separator: "\n").first { $0.hasPrefix(prefix) }
                .flatMap { Double($0.dropFirst(prefix.count).split(separator: " ").first ?? "") }
        }
        guard let tps = value("tps = "), let latency = value("latency average = ") else {
            throw BenchError("pgbench printed no tps: \(output)")
        }
        return Result(tps: tps, latency: latency)
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}

/// Runs the load tools off the event loops: the server under test shares this process, and its
/// loops are Swift concurrency's executor (`EventLoopExecutor`), so a loop blocked waiting for `wrk`
/// could not answer `wrk`.
enum BenchProcess {
    @discardableResult
    static func run(_ executable: String, _ arguments: [String]) async throws -> String {
        try await NIOThreadPool.singleton.runIfActive { try Subprocess.run(executable, arguments) }
    }
}
