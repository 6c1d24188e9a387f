public import Foundation

/// The time of day as the server's own records take it: complaints' histories and service levels.
/// The system clock in service; a test sets one it moves itself, so that an hour can pass at once.
public struct WallClock: Sendable {
    private let read: @Sendable () -> Date

    public init(_ read: @escaping @Sendable () -> Date = { Date() }) {
        self.read = read
    }

    public func now() -> Date { read() }

    public static let system = WallClock()
}
