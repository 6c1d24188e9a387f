import NIOCore
import NIOPosix
public import PostgresNIO
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
}

extension PostgresClient {
    /// The wait for a connection a request accepts (`ConnectionWait`).
    public static let connectionWait: Duration = .seconds(5)

    /// `withConnection`, waiting at most `wait` (when set) for the connection. Only the wait is
    /// bounded: once a connection is leased the body runs to its end, so a transaction is never cut
    /// off half-way.
    public func withConnection<Result: Sendable>(
        waitingAtMost wait: Duration?,
        _ body: (PostgresConnection) async throws -> sending Result
    ) async throws -> sending Result {
        guard let wait else { return try await withConnection(body) }
        let deadline = LeaseDeadline(wait)
        return try await withoutActuallyEscaping(body) { body in
            // The body runs in the first child while this function waits for it, never concurrently
            // with anything else that uses it.
            let work = UncheckedBox(body)
            return try await withThrowingTaskGroup(of: Result?.self) { group in
                group.addTask {
                    try await self.withConnection { connection in
                        deadline.leased()
                        return try await work.value(connection)
                    }
                }
                // Waits until the connection is leased (and ends) or the deadline passes (and throws,
                // which cancels the wait for the lease).
                group.addTask {
                    try await deadline.passed()
                    return nil
                }
                while let next = try await group.next() {
                    if let result = next {
                        group.cancelAll()
                        return result
                    }
                }
                throw DatabaseUnavailable("The database work ended without an answer.")
            }
        }
    }
}

/// The deadline of one wait for a connection: an event-loop timer, cancelled when the connection
/// is leased. (A sleeping task per request would leave a timer behind in the global executor for
/// the whole wait; the event loop's timer is gone the moment it is cancelled.)
final class LeaseDeadline: Sendable {
    private enum State {
        case waiting(scheduled: Scheduled<Void>?, waiter: CheckedContinuation<Void, any Error>?)
        case leased
        case passed
    }

    private let state: Mutex<State>
    private let wait: Duration

    init(_ wait: Duration) {
        self.wait = wait
        self.state = Mutex(.waiting(scheduled: nil, waiter: nil))
        let scheduled = MultiThreadedEventLoopGroup.singleton.next().scheduleTask(
            in: .nanoseconds(
                Int64(wait.components.seconds) * 1_000_000_000 + wait.components.attoseconds / 1_000_000_000)
        ) { [weak self] () -> Void in self?.expire() }
        let keep = state.withLock { state -> Bool in
            guard case .waiting(nil, let waiter) = state else { return false }
            state = .waiting(scheduled: scheduled, waiter: waiter)
            return true
        }
        if !keep { scheduled.cancel() }
    }

    /// The connection is leased: the deadline no longer matters.
    func leased() {
        let (scheduled, waiter) = state.withLock { state -> (Scheduled<Void>?, CheckedContinuation<Void, any Error>?) in
            guard case .waiting(let scheduled, let waiter) = state else { return (nil, nil) }
            state = .leased
            return (scheduled, waiter)
        }
        scheduled?.cancel()
        waiter?.resume()
    }

    private func expire() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, any Error>?? in
            guard case .waiting(_, let waiter) = state else { return nil }
            state = .passed
            return .some(waiter)
        }
        if case .some(let waiter) = waiter {
            waiter?.resume(throwing: DatabaseUnavailable("No database connection came free within \(wait)."))
        }
    }

    /// Returns once the connection is leased; throws once the deadline passes first, or when the
    /// waiting task is cancelled.
    func passed() async throws {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let outcome = state.withLock { state -> Swift.Result<Void, any Error>? in
                    switch state {
                    case .leased: return .success(())
                    case .passed:
                        return .failure(DatabaseUnavailable("No database connection came free within \(wait)."))
                    case .waiting(let scheduled, _):
                        state = .waiting(scheduled: scheduled, waiter: continuation)
                        return nil
                    }
                }
                if let outcome { continuation.resume(with: outcome) }
            }
        } onCancel: {
            let (scheduled, waiter) = state.withLock {
                state -> (Scheduled<Void>?, CheckedContinuation<Void, any Error>?) in
                guard case .waiting(let scheduled, let waiter) = state else { return (nil, nil) }
                state = .leased
                return (scheduled, waiter)
            }
            scheduled?.cancel()
            waiter?.resume(throwing: CancellationError())
        }
    }
}

/// Carries a value the compiler cannot prove sendable into a child task that alone uses it while
/// its parent waits.
struct UncheckedBox<Value>: @unchecked Sendable {
    let value: Value

    init(_ value: Value) {
        self.value = value
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
