public import Foundation
public import Logging
import Synchronization

/// Writes each log record as one JSON object per line on standard output, with its metadata
/// (request id, tenant, …) as top-level keys, ready for a log collector.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    let label: String
    let write: @Sendable (Data) -> Void

    private static let standardOutput = Mutex(FileHandle.standardOutput)

    /// A handler writing to standard output, or to `write`, which receives one complete line per record.
    public init(label: String, level: Logger.Level = .info, write: (@Sendable (Data) -> Void)? = nil) {
        self.label = label
        self.logLevel = level
        self.write = write ?? { line in Self.standardOutput.withLock { $0.write(line) } }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var record: [String: Any] = [
            "ts": ISO8601DateFormatter.string(
                from: Date(), timeZone: .gmt, formatOptions: [.withInternetDateTime, .withFractionalSeconds]),
            "level": event.level.rawValue,
            "logger": label,
            "message": "\(event.message)",
        ]
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) {
            record[key] = Self.plain(value)
        }
        guard var line = try? JSONSerialization.data(withJSONObject: record, options: [.sortedKeys]) else { return }
        line.append(0x0A)
        write(line)
    }

    static func plain(_ value: Logger.Metadata.Value) -> Any {
        switch value {
        case .string(let string): string
        case .stringConvertible(let convertible): convertible.description
        case .array(let array): array.map(plain)
        case .dictionary(let dictionary): dictionary.mapValues(plain)
        }
    }
}
