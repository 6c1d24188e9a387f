import Foundation
import Hummingbird
import Logging

/// Routes that give the benchmark its ceilings; registered only when `benchmarkRoutes` is set, never
/// by `itinera serve`. See docs/benchmarks.md.
func addBenchmarkRoutes(
    to router: Router<ItineraRequestContext>,
    client: PQPool,
    access: AccessControl,
    logger: Logger
) {
    let select1 = PQStatement(prepared: "SELECT 1")
    router.get("/bench/select1") { _, _ in
        _ = try await client.withConnection { try await $0.query(select1) }
        return Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: #"{"ok":true}"#)))
    }
    router.get("/bench/tx") { _, _ in
        try await client.transaction { connection in
            _ = try await connection.pipeline([select1], commit: true)
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
    // The pool's gauges and its round trips so far, to count the round trips of a run.
    router.get("/bench/pool") { _, _ in
        let gauges = client.gauges
        let json =
            #"{"open":\#(gauges.open),"idle":\#(gauges.idle),"waiting":\#(gauges.waiting),"#
            + #""round_trips":\#(client.roundTrips.total)}"#
        return Response(
            status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: json)))
    }
}
