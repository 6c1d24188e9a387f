import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ItineraTestSupport
import Testing

@testable import Itinera

/// A `null` the document does not allow is refused with a 422 naming the field, not read as absent;
/// free-form objects (custom attributes) keep whatever values they are given.
@Suite struct NullBodyTests {
    @Test func test_nullWhereTheSchemaHasNone_is422NamingTheField_andWritesNothing() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "nulls")
                let cases: [(String, Any, String)] = [
                    ("/v1/tags", ["name": "beach", "rule": ["destination": NSNull()]], "rule.destination"),
                    ("/v1/tags", ["name": "beach", "description": NSNull()], "description"),
                    (
                        "/v1/orders",
                        [
                            "customer": ["phone": "13900001111", "external_ids": [["source": "ota", "id": NSNull()]]],
                            "amount_minor": 100, "currency": "CNY", "product": ["name": "Trip"],
                            "ordered_at": "2026-11-01T00:00:00Z",
                        ],
                        "customer.external_ids[0].id"
                    ),
                    ("/v1/customers", ["phone": "13900001111", "consents": ["sms": NSNull()]], "consents.sms"),
                ]
                for (path, body, field) in cases {
                    let response = try await client.send(
                        .post, path, json: body, token: tenant.token,
                        headers: [HTTPField.Name("Idempotency-Key")!: UUID().uuidString])
                    #expect(response.status == .unprocessableContent, "\(path) \(field)")
                    let problem = try JSON.object(response.body)
                    #expect(problem["field"] as? String == field, "\(path): \(problem)")
                }
                for path in ["/v1/tags", "/v1/orders", "/v1/customers"] {
                    let page = try JSON.object(try await client.send(.get, path, token: tenant.token).body)
                    #expect((page["items"] as? [Any])?.isEmpty == true, "\(path): \(page)")
                }

                let whole = try await client.execute(
                    uri: "/v1/tags", method: .post,
                    headers: [.authorization: "Bearer \(tenant.token)", .contentType: "application/json"],
                    body: ByteBuffer(string: "null"))
                #expect(whole.status == .badRequest)
            }
        }
    }

    @Test func test_nullInsideFreeFormAttributes_isKept() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "nulls")
                let response = try await client.send(
                    .post, "/v1/customers",
                    json: ["phone": "13900002222", "attributes": ["room": NSNull(), "null": "null"]],
                    token: tenant.token)
                #expect(response.status == .created, "\(String(buffer: response.body))")
                let attributes = try JSON.object(response.body)["attributes"] as? [String: Any]
                #expect(attributes?["room"] is NSNull)
                #expect(attributes?["null"] as? String == "null")
            }
        }
    }
}

@Suite struct ParameterProblemTests {
    @Test func test_aQueryValueTheContractRefuses_is400NamingTheParameter() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "params")
                for (path, field) in [
                    ("/v1/customers?rfm_segment=nobody", "rfm_segment"),
                    ("/v1/customers?limit=many", "limit"),
                ] {
                    let response = try await client.send(.get, path, token: tenant.token)
                    #expect(response.status == .badRequest, "\(path)")
                    let problem = try JSON.object(response.body)
                    #expect(problem["field"] as? String == field, "\(path): \(problem)")
                }
            }
        }
    }
}
