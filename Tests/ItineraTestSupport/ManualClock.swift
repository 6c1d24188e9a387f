import Foundation
import Itinera
import Synchronization

/// A clock the test moves: the server takes its records' times from it (`ServerConfiguration.clock`).
public final class ManualClock: Sendable {
    private let time: Mutex<Date>

    public init(_ start: Date) { time = Mutex(start) }

    public var now: Date { time.withLock { $0 } }

    public func advance(minutes: Double) { time.withLock { $0 = $0.addingTimeInterval(minutes * 60) } }

    public var wallClock: WallClock { WallClock { self.now } }
}

extension JSON {
    /// A time the API wrote (RFC 3339, in UTC), to the second.
    public static func date(_ value: Any?) -> Date? {
        (value as? String).flatMap { ISO8601DateFormatter().date(from: String($0.prefix(19)) + "Z") }
    }
}
