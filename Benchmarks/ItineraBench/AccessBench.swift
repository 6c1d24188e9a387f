import Foundation
import Itinera
import Logging
import PostgresNIO

extension ItineraBench {
    /// A new tenant and an API key of it with `scopes`, written straight to the control schema.
    func keyedTenant(
        slug: String, scopes: [String], client: PQPool, migrations: MigrationSet, logger: Logger
    ) async throws -> (TenantProvisioner.Result, APIKeyToken) {
        let provisioner = TenantProvisioner(
            client: client, migrations: migrations, sessionLifetime: .seconds(86_400), logger: logger)
        let tenant = try await provisioner.provision(Self.signUp(slug: slug), ownerPasswordHash: "x")
        let key = APIKeyToken.generate()
        try await client.withConnection { connection in
            try await connection.execute(
                """
                INSERT INTO itinera.api_keys (id, tenant_id, prefix, key_hash, name, scopes)
                VALUES (\(UUID()), \(tenant.tenant.id), \(key.prefix), \(key.hash), 'bench', \(scopes))
                """,
                logger: logger
            )
        }
        return (tenant, key)
    }

    /// API keys: what verifying one costs in the process, and `GET /v1/tenant` with a key next to the
    /// same request with a session token, alternating in the same run.
    func measureAccess(
        client: PQPool,
        migrations: MigrationSet,
        embedded: EmbeddedPostgres,
        logger: Logger
    ) async throws {
        let (reader, key) = try await keyedTenant(
            slug: "key-reader", scopes: ["customers:read"], client: client, migrations: migrations, logger: logger)
        try await settle(embedded)

        // In-process verification: parse the header's key, hash it, compare with the stored hash.
        let header = key.value
        let stored = key.hash
        let iterations = 200_000
        var matched = 0
        let started = ContinuousClock.now
        for _ in 0..<iterations {
            if let parsed = APIKeyToken(parsing: header), parsed.hash == stored { matched += 1 }
        }
        let perKey = (ContinuousClock.now - started).milliseconds * 1_000_000 / Double(iterations)
        precondition(matched == iterations)

        var sessions: [Wrk.Result] = []
        var keys: [Wrk.Result] = []
        for _ in 0..<rounds {
            sessions.append(
                try await Wrk.get(
                    port: port, path: "/v1/tenant", token: reader.session.value, seconds: duration,
                    connections: connections))
            keys.append(
                try await Wrk.get(
                    port: port, path: "/v1/tenant", token: key.value, seconds: duration, connections: connections))
        }
        let session = Wrk.median(sessions)
        let keyed = Wrk.median(keys)
        let perRound = zip(keys, sessions).map {
            String(format: "%.0f%%", $0.requestsPerSecond / $1.requestsPerSecond * 100)
        }
        var lines: [String] = [] {
            didSet { Self.emit(lines.last ?? "") }
        }
        lines.append("")
        lines.append("## API keys")
        lines.append("")
        lines.append(
            "Key verification in the process (parse `itn_…`, SHA-256, constant-time compare), "
                + "\(iterations) iterations: \(String(format: "%.0f", perKey)) ns per request. "
                + "The database side is the same single prepared lookup-and-enter statement a session uses."
        )
        lines.append("")
        lines.append(
            "Median of \(rounds) alternating rounds of \(duration) s each; key ÷ session per round: "
                + perRound.joined(separator: ", ") + "."
        )
        lines.append("")
        lines.append("| what | requests/s | p99 |")
        lines.append("| --- | ---: | ---: |")
        lines.append(
            "| `GET /v1/tenant` over HTTPS, session token, keep-alive | \(Self.format(session.requestsPerSecond, digits: 0)) | \(Self.format(session.p99)) |"
        )
        lines.append(
            "| `GET /v1/tenant` over HTTPS, API key, keep-alive | \(Self.format(keyed.requestsPerSecond, digits: 0)) | \(Self.format(keyed.p99)) |"
        )
        lines.append("")
        lines.append(
            "API key as a share of the session: \(String(format: "%.1f", keyed.requestsPerSecond / session.requestsPerSecond * 100))%."
        )
    }
}
