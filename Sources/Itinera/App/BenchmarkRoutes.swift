import Foundation
import Hummingbird
import Logging
import PostgresNIO

/// Routes that give the benchmark its ceilings; registered only when `benchmarkRoutes` is set, never
/// by `itinera serve`. See docs/benchmarks.md.
func addBenchmarkRoutes(
    to router: Router<ItineraRequestContext>,
    client: PQPool,
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
    addLibPQBenchmarkRoutes(to: router, pool: access.client, access: access)
}

/// `/bench/select1` through libpq (`/bench/tenant-raw` reads through libpq already).
func addLibPQBenchmarkRoutes(to router: Router<ItineraRequestContext>, pool: PQPool, access: AccessControl) {
    let select1 = PQStatement(prepared: "SELECT 1")
    router.get("/bench/select1-pq") { _, _ in
        _ = try await pool.withConnection { try await $0.pipeline([select1]) }
        return Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: #"{"ok":true}"#)))
    }
}
