import NIOCore
import NIOPosix
import Synchronization

/// The database could not serve a request in time: no pooled connection came free (or could be
/// opened) within the wait, a lock was not granted within PostgreSQL's `lock_timeout`, or the
/// connection broke. The request ends with a 503 and `Retry-After`, never a 500 and never a wait
/// without end.
public struct DatabaseUnavailable: Error, Sendable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}

/// How long the work of the current task may wait for a pooled connection: bounded for each HTTP
/// request (`RequestScopeMiddleware`), so that a pool exhausted by slow work or a database that
/// cannot be reached (the pool would keep trying to connect for as long as a caller waits) costs a
/// request a 503 after a while; unbounded for background work such as migrations, which queue on
/// the pool on purpose.
public enum ConnectionWait {
    @TaskLocal public static var limit: Duration?

    /// The wait for a connection a request accepts unless configured otherwise.
    public static let requestDefault: Duration = .seconds(5)
}

/// The deadline of one wait for a connection: an event-loop timer (on the loop the request runs
/// on) that cancels the wait unless the connection is leased first. A sleeping task would leave a
/// timer behind in the executor for the whole wait; a second task racing the lease cost a tenth of
/// the lightest request's throughput under a saturated pool (measured).
final class LeaseDeadline: Sendable {
    private struct State {
        var scheduled: Scheduled<Void>?
        var leased = false
        var passed = false
    }

    private let state = Mutex(State())

    /// Whether the deadline passed before the connection was leased.
    var passed: Bool { state.withLock { $0.passed } }

    /// Starts the timer: after `wait`, unless leased by then, marks the deadline passed and calls
    /// `expire`.
    func arm(_ wait: Duration, expire: @escaping @Sendable () -> Void) {
        let loop = MultiThreadedEventLoopGroup.currentEventLoop ?? MultiThreadedEventLoopGroup.singleton.next()
        let nanoseconds = wait.components.seconds * 1_000_000_000 + wait.components.attoseconds / 1_000_000_000
        let scheduled = loop.scheduleTask(in: .nanoseconds(nanoseconds)) { [weak self] () -> Void in
            guard let self else { return }
            let expired = self.state.withLock { state -> Bool in
                guard !state.leased else { return false }
                state.passed = true
                return true
            }
            if expired { expire() }
        }
        let keep = state.withLock { state -> Bool in
            guard !state.leased else { return false }
            state.scheduled = scheduled
            return true
        }
        if !keep { scheduled.cancel() }
    }

    /// The connection is leased: the deadline no longer matters.
    func leased() {
        let scheduled = state.withLock { state -> Scheduled<Void>? in
            guard !state.passed else { return nil }
            state.leased = true
            defer { state.scheduled = nil }
            return state.scheduled
        }
        scheduled?.cancel()
    }
}

/// Runs `body`, throwing `DatabaseUnavailable` when it has not finished within `limit`; the body is
/// cancelled then and left to end on its own, so the caller's answer never waits for it. For work
/// that may be cut off anywhere, such as a readiness probe's read.
public func withDeadline<Result: Sendable>(
    _ limit: Duration, _ body: @escaping @Sendable () async throws -> Result
) async throws -> Result {
    let outcome = DeadlineOutcome<Result>()
    return try await withCheckedThrowingContinuation { continuation in
        outcome.waiting.withLock { $0 = continuation }
        let work = Task {
            do {
                let result = try await body()
                outcome.waiting.withLock { $0.take() }?.resume(returning: result)
            } catch {
                outcome.waiting.withLock { $0.take() }?.resume(throwing: error)
            }
        }
        Task {
            try? await Task.sleep(for: limit)
            guard let waiting = outcome.waiting.withLock({ $0.take() }) else { return }
            work.cancel()
            waiting.resume(throwing: DatabaseUnavailable("The database did not answer within \(limit)."))
        }
    }
}

/// The caller `withDeadline` answers once: with the body's outcome or with the deadline's.
final class DeadlineOutcome<Result: Sendable>: Sendable {
    let waiting = Mutex<CheckedContinuation<Result, any Error>?>(nil)
}
