import Foundation
public import Logging
public import PostgresNIO
public import ServiceLifecycle
import Synchronization

/// Keeps each API key's last-used time without a database write per request: requests note the time
/// here, and the service writes the newest times in one statement every `interval` and once more at
/// shutdown. Key lists merge in the times not yet written.
public final class APIKeyUsage: Service, Sendable {
    let client: PQPool
    let interval: Duration
    let logger: Logger
    private let pending = Mutex<[UUID: Date]>([:])

    public init(client: PQPool, interval: Duration = .seconds(15), logger: Logger) {
        self.client = client
        self.interval = interval
        self.logger = logger
    }

    func record(_ key: UUID, at time: Date = Date()) {
        pending.withLock { $0[key] = time }
    }

    /// The time noted for `key` and not yet written, if any.
    func unwritten(_ key: UUID) -> Date? {
        pending.withLock { $0[key] }
    }

    /// Writes the noted times; a key's time only ever moves forward.
    public func flush() async throws {
        let batch = pending.withLock { pending in
            defer { pending.removeAll(keepingCapacity: true) }
            return pending
        }
        guard !batch.isEmpty else { return }
        let ids = batch.keys.map { $0 }
        let times = ids.map { batch[$0]! }
        do {
            try await client.withConnection { connection in
                try await connection.execute(
                    """
                    UPDATE itinera.api_keys k SET last_used_at = u.used_at
                    FROM unnest(\(ids)::uuid[], \(times)::timestamptz[]) AS u (id, used_at)
                    WHERE k.id = u.id AND (k.last_used_at IS NULL OR k.last_used_at < u.used_at)
                    """,
                    logger: logger
                )
            }
        } catch {
            // Put the times back (unless newer ones arrived meanwhile) so the next flush retries them.
            pending.withLock { pending in
                for (id, time) in batch where (pending[id] ?? .distantPast) < time { pending[id] = time }
            }
            throw error
        }
    }

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.interval) }
            do { try await flush() } catch {
                logger.warning("Writing API keys' last-used times failed", metadata: ["error": "\(error)"])
            }
        }
    }
}
