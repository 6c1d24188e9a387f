import Foundation
import Hummingbird
import Logging
import PostgresNIO

/// Routes that give the benchmark its ceilings; registered only when `benchmarkRoutes` is set, never
/// by `itinera serve`. See docs/benchmarks.md.
func addBenchmarkRoutes(
    to router: Router<ItineraRequestContext>,
    client: PostgresClient,
    access: AccessControl,
    database: DatabaseSettings?,
    connections: Int,
    logger: Logger
) {
    router.get("/bench/select1") { _, _ in
        let rows = try await client.query("SELECT 1", logger: logger)
        for try await _ in rows {}
        return Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: #"{"ok":true}"#)))
    }
    router.get("/bench/tx") { _, _ in
        try await client.transaction(logger: logger) { connection in
            try await connection.execute("SELECT 1", logger: logger)
        }
        return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: #"{"ok":true}"#)))
    }
    router.get("/bench/tenant-raw") { request, _ in
        // What AccessMiddleware does for GET /v1/tenant, without the OpenAPI layer.
        let credential = try Credential.parse(header: request.headers[.authorization])
        RequestScope.current?.setAccess(
            AccessRequest(operationID: "getTenant", rule: AccessTable.rules["getTenant"]!, credential: credential))
        let (_, settings) = try await TenancyController.readTenant(access: access)
        return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(data: settings)))
    }
    if let database {
        addLibPQBenchmarkRoutes(
            to: router, pool: PQPool(keywords: PQPool.keywords(for: database), maximum: connections), access: access)
    }
}

/// The same work as `/bench/select1` and `/bench/tenant-raw` through libpq in pipeline mode: the
/// tenant read's `BEGIN`, authenticate-and-enter, read and `COMMIT` in one round trip.
func addLibPQBenchmarkRoutes(to router: Router<ItineraRequestContext>, pool: PQPool, access: AccessControl) {
    let select1 = PQStatement(prepared: "SELECT 1")
    router.get("/bench/select1-pq") { _, _ in
        _ = try await pool.withConnection { try await $0.pipeline([select1]) }
        return Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: #"{"ok":true}"#)))
    }
    let rule = AccessTable.rules["getTenant"]!
    router.get("/bench/tenant-pq") { request, _ in
        guard case .session(let token) = try Credential.parse(header: request.headers[.authorization]) else {
            throw Problem.forbidden("A session is needed.")
        }
        let unknown = Problem.unauthorized("The session token is unknown or has expired.")
        let (tenant, settings) = try await pool.transaction { transaction in
            let rows: [PQRows]
            do {
                rows = try await transaction.run(
                    [
                        try PQStatement(prepared: SessionLookupEntering.sql).binding(token.hash),
                        PQStatement(prepared: TenantSettingsStore.ReadSettings.sql),
                    ], commit: true)
            } catch let failure as PQPipelineFailure where failure.index > 0 && failure.rows.first?.count == 0 {
                throw unknown
            }
            let session = rows[0]
            guard session.count == 1 else { throw unknown }
            let role = TenantUser.Role(rawValue: try session.decode(String.self, 0, 1)) ?? .analyst
            let id = try session.decode(UUID.self, 0, 2)
            let tenant = Tenant(
                id: id,
                slug: try session.decode(String.self, 0, 3),
                name: try session.decode(String.self, 0, 4),
                kind: Tenant.Kind(rawValue: try session.decode(String.self, 0, 5)) ?? .agency,
                timezone: try session.decode(String.self, 0, 6),
                currency: try session.decode(String.self, 0, 7).trimmed,
                state: Tenant.State(rawValue: try session.decode(String.self, 0, 8)) ?? .suspended,
                createdAt: try session.decode(Date.self, 0, 9),
                identity: TenantIdentity(
                    id: id, schema: try session.decode(String.self, 0, 10), role: try session.decode(String.self, 0, 11)
                ),
                country: try session.decode(String.self, 0, 12)
            )
            let principal = Principal(actor: .user(id: try session.decode(UUID.self, 0, 0), role: role), tenant: tenant)
            guard tenant.state == .active else { throw Problem.forbidden("The tenant is suspended.") }
            try rule.authorize(principal, operation: "getTenant")
            try access.limiter.admit(tenant: tenant.id, key: nil)
            return (tenant, Data(try rows[1].decode(String.self, 0, 0).utf8))
        }
        _ = tenant
        return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(data: settings)))
    }
}
