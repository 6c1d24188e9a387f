import Foundation
import PostgresNIO

/// The SQL of webhook endpoints and their deliveries (tenant schema).
enum WebhookStore {
    static let columns = """
        w.id, w.url, w.description, w.event_types, w.state, w.disabled_reason, w.failing_since,
        w.previous_secret_expires_at, w.created_at
        """

    static func endpoint(from row: PQRow) throws -> WebhookEndpoint {
        let (id, url, description, types, state, reason, failing, previous, created) = try row.decode(
            (UUID, String, String?, [String], String, String?, Date?, Date?, Date).self)
        return WebhookEndpoint(
            id: id, url: url, description: description, eventTypes: types, state: state, disabledReason: reason,
            failingSince: failing, previousSecretExpiresAt: previous, createdAt: created)
    }

    static func list(after: (micros: Int64, id: UUID)?, limit: Int, on tenant: TenantConnection) async throws
        -> [WebhookEndpoint]
    {
        let rows = try await tenant.query(
            """
            SELECT \(unescaped: columns) FROM webhook_endpoints w
            WHERE \(after?.micros)::bigint IS NULL
               OR (w.created_at, w.id) > (timestamptz 'epoch' + \(after?.micros) * interval '1 microsecond', \(after?.id))
            ORDER BY w.created_at, w.id LIMIT \(limit)
            """)
        return try rows.collect().map(endpoint(from:))
    }

    /// The endpoint, locked for a change when `lock` is set.
    static func find(_ id: UUID, lock: Bool = false, on tenant: TenantConnection) async throws -> WebhookEndpoint? {
        let rows = try await tenant.query(
            """
            SELECT \(unescaped: columns) FROM webhook_endpoints w WHERE w.id = \(id)
            \(unescaped: lock ? "FOR UPDATE" : "")
            """)
        return try rows.first.map(endpoint(from:))
    }

    static func count(on tenant: TenantConnection) async throws -> Int {
        try await tenant.query("SELECT count(*)::int FROM webhook_endpoints").first?.decode(Int.self) ?? 0
    }

    static func create(
        url: String, description: String?, eventTypes: [String], secret: WebhookSecret, on tenant: TenantConnection
    ) async throws -> WebhookEndpoint {
        let rows = try await tenant.query(
            """
            INSERT INTO webhook_endpoints AS w (id, url, description, event_types, secret)
            VALUES (\(UUID()), \(url), \(description), \(eventTypes), \(secret.text))
            RETURNING \(unescaped: columns)
            """)
        guard let row = rows.first else {
            throw Problem.internalError(requestID: RequestScope.current?.requestID ?? "unknown")
        }
        return try endpoint(from: row)
    }

    /// Writes the endpoint's changeable fields as given; enabling clears the failure record.
    static func update(_ endpoint: WebhookEndpoint, on tenant: TenantConnection) async throws -> WebhookEndpoint {
        let rows = try await tenant.query(
            """
            UPDATE webhook_endpoints w SET url = \(endpoint.url), description = \(endpoint.description),
                event_types = \(endpoint.eventTypes), state = \(endpoint.state),
                disabled_reason = CASE WHEN \(endpoint.state) = 'enabled' THEN NULL ELSE \(endpoint.disabledReason) END,
                failing_since = CASE WHEN \(endpoint.state) = 'enabled' AND w.state = 'disabled' THEN NULL
                                     ELSE w.failing_since END,
                updated_at = now()
            WHERE w.id = \(endpoint.id)
            RETURNING \(unescaped: columns)
            """)
        guard let row = rows.first else {
            throw Problem.internalError(requestID: RequestScope.current?.requestID ?? "unknown")
        }
        return try Self.endpoint(from: row)
    }

    static func delete(_ id: UUID, on tenant: TenantConnection) async throws {
        try await tenant.execute("DELETE FROM webhook_endpoints WHERE id = \(id)")
    }

    /// Makes `secret` the signing secret; the one before keeps signing until `previousUntil`.
    static func rotate(_ id: UUID, to secret: WebhookSecret, previousUntil: Date, on tenant: TenantConnection)
        async throws
    {
        try await tenant.execute(
            """
            UPDATE webhook_endpoints SET previous_secret = secret, previous_secret_expires_at = \(previousUntil),
                secret = \(secret.text), updated_at = now()
            WHERE id = \(id)
            """)
    }

    /// Disables the endpoint with `reason` unless it already is; answers it as disabled, or nil when
    /// it was not enabled (or is gone).
    static func disable(_ id: UUID, reason: String, on tenant: TenantConnection) async throws -> WebhookEndpoint? {
        try await tenant.query(
            """
            UPDATE webhook_endpoints w SET state = 'disabled', disabled_reason = \(reason), updated_at = now()
            WHERE w.id = \(id) AND w.state = 'enabled'
            RETURNING \(unescaped: columns)
            """
        ).first.map(endpoint(from:))
    }
}
