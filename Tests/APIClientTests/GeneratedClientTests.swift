import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Itinera
import ItineraTestSupport
import NIOCore
import OpenAPIRuntime
import Testing

/// The contract as partners use it: a client generated from `openapi.yaml` by swift-openapi-generator
/// (client mode), talking to the server.
@Suite struct GeneratedClientTests {
    /// Sends the generated client's requests to the application's router, with a bearer token when
    /// one is set.
    struct RouterTransport: ClientTransport, @unchecked Sendable {
        let client: any TestClientProtocol
        var token: String?

        func send(_ request: HTTPRequest, body: HTTPBody?, baseURL: URL, operationID: String) async throws -> (
            HTTPResponse, HTTPBody?
        ) {
            var headers = request.headerFields
            if let token { headers[.authorization] = "Bearer \(token)" }
            var buffer: ByteBuffer?
            if let body { buffer = ByteBuffer(bytes: try await [UInt8](collecting: body, upTo: 1 << 20)) }
            let response = try await client.execute(
                uri: request.path ?? "/", method: request.method, headers: headers, body: buffer)
            return (
                HTTPResponse(status: response.status, headerFields: response.headers),
                HTTPBody([UInt8](buffer: response.body))
            )
        }
    }

    @Test func test_theGeneratedClient_signsUp_readsTheTenant_andRecordsAnOrder() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { testClient in
                let server = URL(string: "https://localhost")!
                var transport = RouterTransport(client: testClient)
                let slug = "client-\(UUID().uuidString.prefix(8).lowercased())"
                let signedUp = try await Client(serverURL: server, transport: transport).signUp(
                    body: .json(
                        .init(
                            tenant: .init(name: "Generated client", slug: slug, kind: .agency),
                            owner: .init(email: "owner@\(slug).example", password: "correct horse battery", name: "O")))
                )
                let session = try signedUp.created.body.json.session
                transport.token = session.token
                let client = Client(serverURL: server, transport: transport)

                let tenant = try await client.getTenant().ok.body.json
                #expect(tenant.slug == slug)
                #expect(tenant.kind == .agency)

                let order = try await client.createOrder(
                    headers: .init(idempotencyKey: "generated-client-1"),
                    body: .json(
                        .init(
                            customer: .init(value1: .init(phone: "13800138000"), value2: .init()),
                            externalId: "gc-1", amountMinor: 128_000, currency: "CNY",
                            product: .init(name: "Lijiang old town, 3 nights"),
                            orderedAt: Date(timeIntervalSince1970: 1_790_000_000))))
                let created = try order.created.body.json
                #expect(created.amountMinor == 128_000)
                #expect(created.status == .confirmed)

                // A refusal arrives as the documented problem document.
                let refused = try await client.createOrder(
                    headers: .init(idempotencyKey: "generated-client-2"),
                    body: .json(
                        .init(
                            customer: .init(value1: .init(phone: "13800138000"), value2: .init()),
                            amountMinor: 1, currency: "USD", product: .init(name: "x"), orderedAt: Date())))
                guard case .unprocessableContent(let problem) = refused else {
                    Issue.record("expected a 422, got \(refused)")
                    return
                }
                #expect(try problem.body.applicationProblemJson.field == "currency")
            }
        }
    }
}
