import Foundation
public import Hummingbird
public import Logging
public import ServiceLifecycle
import Synchronization

/// Whether the server is draining: once a shutdown has begun, every response says
/// `Connection: close` and readiness answers 503, so clients and load balancers go elsewhere.
public final class Draining: Sendable {
    private let state = Atomic<Bool>(false)

    public init() {}

    public var isDraining: Bool { state.load(ordering: .relaxed) }

    func begin() { state.store(true, ordering: .relaxed) }
}

/// Adds `Connection: close` to every response once the server drains, so that a keep-alive client
/// does not send another request on a connection that is about to close.
struct DrainingMiddleware<Context: RequestContext>: RouterMiddleware {
    let draining: Draining

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        var response = try await next(request, context)
        if draining.isDraining { response.headers[.connection] = "close" }
        return response
    }
}

/// The first service a shutdown reaches: it logs that the shutdown began and marks the server
/// draining before the HTTP server starts closing its connections.
struct ShutdownNotice: Service {
    let draining: Draining
    let deadline: Duration
    let logger: Logger

    func run() async throws {
        do { try await gracefulShutdown() } catch { return }
        draining.begin()
        logger.notice(
            "Shutdown began: no new connections; requests in flight finish, idle connections close",
            metadata: ["deadline_seconds": "\(deadline.components.seconds)"])
    }
}

/// Runs `service` (the application) until SIGTERM or SIGINT, then shuts it down: `ShutdownNotice`
/// first, then the HTTP server (stops accepting, finishes requests in flight with
/// `Connection: close`, closes idle and half-open connections), the job workers after their current
/// job, the pool. Whatever is still running after `deadline` is cancelled; should anything ignore
/// even that, `onAbandon` runs 5 s later (stop the embedded database) and the process exits.
public func runUntilShutdown(
    _ service: some Service, draining: Draining, deadline: Duration, logger: Logger,
    onAbandon: @escaping @Sendable () -> Void
) async throws {
    let watchdog = Mutex<Task<Void, Never>?>(nil)
    let group = ServiceGroup(
        configuration: {
            var configuration = ServiceGroupConfiguration(
                services: [
                    .init(service: service),
                    .init(
                        service: ShutdownWatch(deadline: deadline, logger: logger, onAbandon: onAbandon) { task in
                            watchdog.withLock { $0 = task }
                        }),
                    .init(service: ShutdownNotice(draining: draining, deadline: deadline, logger: logger)),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                cancellationSignals: [],
                logger: logger)
            configuration.maximumGracefulShutdownDuration = deadline
            return configuration
        }())
    defer { watchdog.withLock { $0?.cancel() } }
    try await group.run()
}

/// Starts, when a shutdown begins, the last resort of `runUntilShutdown`: a task that, if the
/// process is still here 5 s after the deadline, logs what it gives up on, runs `onAbandon` and exits.
struct ShutdownWatch: Service {
    let deadline: Duration
    let logger: Logger
    let onAbandon: @Sendable () -> Void
    let started: @Sendable (Task<Void, Never>) -> Void

    func run() async throws {
        do { try await gracefulShutdown() } catch { return }
        let (deadline, logger, onAbandon) = (deadline, logger, onAbandon)
        started(
            Task.detached {
                try? await Task.sleep(for: deadline + .seconds(5))
                guard !Task.isCancelled else { return }
                logger.critical("Shutdown did not finish within its deadline; giving up on what still runs")
                onAbandon()
                exit(1)
            })
    }
}
