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

/// How the work of the current task waits for a pooled connection: bounded for each HTTP request
/// (`RequestScopeMiddleware` sets the request's `ConnectionGate`), so that a pool exhausted by slow
/// work or a database that cannot be reached (the pool would keep trying to connect for as long as a
/// caller waits) costs a request a 503 after a while; unbounded for background work such as
/// migrations, which queue on the pool on purpose.
public enum ConnectionWait {
    @TaskLocal public static var gate: ConnectionGate?
}

/// The requests' side of the pool: at most `capacity` of their transactions hold or wait for a
/// connection at once, and the others queue here for at most `wait`, then get a 503.
///
/// Queueing here rather than in the pool costs a waiting request one continuation and one
/// event-loop timer; bounding the pool's own wait would cost every transaction a second task and a
/// timer (a tenth of the lightest request's throughput under a saturated pool, measured). A
/// transaction let through finds a connection free, or one being made for a database that answered
/// within `healthyFor`; when none has (after a failure, after a quiet spell), its wait for the pool
/// is bounded as well (`withConnection(waitingAtMost:)`), since a pool that cannot reach the
/// database would keep it waiting for as long as it tries.
public final class ConnectionGate: Sendable {
    public let capacity: Int
    public let wait: Duration
    let healthyFor: Duration
    private let state: Mutex<Slots>
    /// When the last transaction got an answer from the database, in nanoseconds of `ContinuousClock`
    /// since `origin`; 0 for never or since a failure.
    private let lastAnswer = Atomic<Int64>(0)
    private let origin = ContinuousClock.now

    private struct Slots {
        var taken = 0
        var waiters: [(id: UInt64, continuation: CheckedContinuation<Void, any Error>, timer: Scheduled<Void>)] = []
        var nextID: UInt64 = 0
    }

    public init(capacity: Int, wait: Duration = PostgresClient.connectionWait, healthyFor: Duration = .seconds(2)) {
        self.capacity = max(1, capacity)
        self.wait = wait
        self.healthyFor = healthyFor
        self.state = Mutex(Slots())
    }

    private var now: Int64 {
        let elapsed = ContinuousClock.now - origin
        return max(1, elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
    }

    /// Runs `body` holding one of the slots; answers the bound for its wait for the pool, or nil when
    /// the database answered a moment ago.
    func admit<Result>(_ body: (Duration?) async throws -> Result) async throws -> Result {
        try await acquire()
        defer { release() }
        let last = lastAnswer.load(ordering: .relaxed)
        let healthy = last > 0 && now - last < healthyFor.components.seconds * 1_000_000_000
        do {
            let result = try await body(healthy ? nil : wait)
            lastAnswer.store(now, ordering: .relaxed)
            return result
        } catch let error as DatabaseUnavailable {
            lastAnswer.store(0, ordering: .relaxed)
            throw error
        } catch let error as PSQLError where error.code != .server {
            lastAnswer.store(0, ordering: .relaxed)
            throw error
        } catch {
            // Refused by a rule or by the server's answer: the database answered.
            lastAnswer.store(now, ordering: .relaxed)
            throw error
        }
    }

    private func acquire() async throws {
        let id: UInt64? = state.withLock { slots in
            if slots.taken < capacity {
                slots.taken += 1
                return nil
            }
            slots.nextID += 1
            return slots.nextID
        }
        guard let id else { return }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let queued = state.withLock { slots -> Bool in
                    // A slot freed meanwhile is taken at once.
                    if slots.taken < capacity {
                        slots.taken += 1
                        return false
                    }
                    let timer = MultiThreadedEventLoopGroup.singleton.next().scheduleTask(in: timeout) {
                        [weak self] () -> Void in
                        self?.giveUp(
                            id, DatabaseUnavailable("No database connection came free within \(self?.wait ?? .zero)."))
                    }
                    slots.waiters.append((id, continuation, timer))
                    return true
                }
                if !queued { continuation.resume() }
            }
        } onCancel: {
            giveUp(id, CancellationError())
        }
    }

    /// Ends waiter `id`'s wait with `error`, if it is still waiting.
    private func giveUp(_ id: UInt64, _ error: any Error) {
        let waiter = state.withLock { slots -> (CheckedContinuation<Void, any Error>, Scheduled<Void>)? in
            guard let index = slots.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            let waiter = slots.waiters.remove(at: index)
            return (waiter.continuation, waiter.timer)
        }
        waiter?.1.cancel()
        waiter?.0.resume(throwing: error)
    }

    /// Hands the slot to the first waiter, or frees it.
    private func release() {
        let next = state.withLock { slots -> (CheckedContinuation<Void, any Error>, Scheduled<Void>)? in
            guard !slots.waiters.isEmpty else {
                slots.taken -= 1
                return nil
            }
            let waiter = slots.waiters.removeFirst()
            return (waiter.continuation, waiter.timer)
        }
        next?.1.cancel()
        next?.0.resume()
    }

    private var timeout: TimeAmount {
        .nanoseconds(Int64(wait.components.seconds) * 1_000_000_000 + wait.components.attoseconds / 1_000_000_000)
    }
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
