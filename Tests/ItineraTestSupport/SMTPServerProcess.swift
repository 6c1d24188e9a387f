import Foundation

/// A real SMTP server (Python's aiosmtpd, `Tests/support/smtp_server.py`) in a child process, which
/// writes each message it accepts to a directory.
public final class SMTPServerProcess: @unchecked Sendable {
    public let process = Process()
    public let port: Int
    public let directory: URL
    private let output = Pipe()

    /// Starts the server; `options` are the script's (`--user`, `--password`, `--starttls`, `--smtps`).
    public init(options: [String] = []) async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("itinera-smtp-\(UUID())")
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("support/smtp_server.py")
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path, directory.path] + options
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        var text = ""
        let started = ContinuousClock.now
        while !text.contains("\n") {
            let data = output.fileHandleForReading.availableData
            if data.isEmpty {
                guard process.isRunning, ContinuousClock.now - started < .seconds(20) else {
                    throw TestSupportError("the SMTP server did not start (is aiosmtpd installed?)")
                }
                try await Task.sleep(for: .milliseconds(20))
            }
            text += String(decoding: data, as: UTF8.self)
        }
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("PORT ") }),
            let port = Int(line.dropFirst(5))
        else { throw TestSupportError("the SMTP server printed \(text)") }
        self.port = port
    }

    /// One accepted message: its envelope and its text.
    public struct Message: Sendable {
        public let envelope: [String: String]
        public let recipients: [String]
        public let authenticated: Bool
        public let tls: Bool
        public let connection: Int
        public let raw: String

        /// A header's value (the first of its name).
        public func header(_ name: String) -> String? {
            for line in raw.components(separatedBy: "\r\n") {
                if line.isEmpty { break }
                if line.lowercased().hasPrefix(name.lowercased() + ":") {
                    return line.dropFirst(name.count + 1).trimmingCharacters(in: .whitespaces)
                }
            }
            return nil
        }

        /// The body, decoded from base64.
        public var text: String {
            guard let range = raw.range(of: "\r\n\r\n") else { return "" }
            let encoded = raw[range.upperBound...].replacingOccurrences(of: "\r\n", with: "")
            return Data(base64Encoded: encoded).map { String(decoding: $0, as: UTF8.self) } ?? ""
        }
    }

    /// The messages accepted so far, in order.
    public var messages: [Message] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
            .filter { $0.hasSuffix(".eml") }.sorted()
        return names.compactMap { name in
            let base = directory.appendingPathComponent(String(name.dropLast(4)))
            guard let raw = try? String(contentsOf: base.appendingPathExtension("eml"), encoding: .utf8),
                let data = try? Data(contentsOf: base.appendingPathExtension("json")),
                let envelope = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
            else { return nil }
            return Message(
                envelope: ["mail_from": envelope["mail_from"] as? String ?? ""],
                recipients: envelope["rcpt_tos"] as? [String] ?? [],
                authenticated: envelope["authenticated"] as? Bool ?? false,
                tls: envelope["tls"] as? Bool ?? false, connection: envelope["connection"] as? Int ?? 0, raw: raw)
        }
    }

    public func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }

    deinit { stop() }
}
