import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ItineraTestSupport
import Testing

@testable import Itinera

@Suite struct ProblemResponseTests {
    @Test func test_unknownRoute_isProblemJSON404() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let response = try await client.send(.get, "/v1/no-such-thing")
                #expect(response.status == .notFound)
                #expect(response.headers[.contentType] == "application/problem+json")
                let problem = try JSON.object(response.body)
                #expect(problem["type"] as? String == "/problems/not-found")
                #expect(problem["status"] as? Int == 404)
                #expect((problem["detail"] as? String)?.contains("/v1/no-such-thing") == true)
            }
        }
    }

    @Test func test_aMethodThePathLacks_is405WithAllow() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                for (method, path, allow) in [
                    (HTTPRequest.Method.put, "/v1/tenant", "GET, PATCH"),
                    (.post, "/v1/customers/42", "DELETE, GET, PATCH"),
                    (.delete, "/openapi.yaml", "GET"),
                ] {
                    let response = try await client.send(method, path)
                    #expect(response.status == .methodNotAllowed, "\(method) \(path)")
                    #expect(response.headers[.allow] == allow, "\(method) \(path)")
                    #expect(response.headers[.contentType] == "application/problem+json")
                }
                #expect(try await client.send(.put, "/v1/customers/42/nothing").status == .notFound)
            }
        }
    }

    @Test func test_oversizedBody_is413BeforeAnyHandlerRuns() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let padding = String(repeating: "x", count: HTTPLimits.maxBodyBytes)
                let response = try await client.send(
                    .post,
                    "/v1/signup",
                    json: ["tenant": ["name": padding, "slug": "big-body", "kind": "agency"], "owner": [:]]
                )
                #expect(response.status == .contentTooLarge)
                #expect(response.headers[.contentType] == "application/problem+json")
                #expect(try JSON.object(response.body)["type"] as? String == "/problems/body-too-large")
                #expect(try await db.scalar("SELECT count(*) FROM itinera.tenants", as: Int.self) == 0)
            }
        }
    }

    @Test func test_malformedJSON_is400NamingTheBody() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let response = try await client.execute(
                    uri: "/v1/signup",
                    method: .post,
                    headers: [.contentType: "application/json"],
                    body: ByteBuffer(string: #"{"tenant": {"#)
                )
                #expect(response.status == .badRequest)
                #expect(try JSON.object(response.body)["type"] as? String == "/problems/malformed-body")
            }
        }
    }

    @Test func test_wrongFieldType_is422NamingTheField() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let response = try await client.send(
                    .post,
                    "/v1/signup",
                    json: [
                        "tenant": ["name": "X", "slug": "typed", "kind": 7],
                        "owner": ["email": "a@b.example", "password": "0123456789", "name": "A"],
                    ]
                )
                #expect(response.status == .unprocessableContent)
                #expect(try JSON.object(response.body)["field"] as? String == "tenant.kind")
            }
        }
    }

    @Test func test_everyResponse_carriesHSTSAndEchoesRequestID() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                for uri in ["/healthz", "/v1/tenant", "/missing"] {
                    let response = try await client.send(.get, uri, headers: [.requestID: "trace-123"])
                    #expect(response.headers[.strictTransportSecurity]?.hasPrefix("max-age=") == true, "\(uri)")
                    #expect(response.headers[.requestID] == "trace-123", "\(uri)")
                }
                let generated = try await client.send(.get, "/healthz")
                #expect(generated.headers[.requestID]?.count == 36)
            }
        }
    }

    @Test func test_openAPIDocument_isServed() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let response = try await client.send(.get, "/openapi.yaml")
                #expect(response.status == .ok)
                let text = String(buffer: response.body)
                #expect(text.hasPrefix("openapi: 3.1.0"))
                #expect(text.contains("/v1/signup:"))
            }
        }
    }
}

extension ProblemResponseTests {
    /// The contract's not-blank pattern is the server's: the `Text…` schemas of `openapi.yaml` carry
    /// `FieldText.nonBlankPattern`, and text that is all white space by it is refused, while a
    /// character outside it is kept, trimmed.
    @Test func test_theContractsNotBlankPattern_isTheOneTheServerTrimsBy() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources/ItineraAPI/openapi.yaml")
        let document = try String(contentsOf: url, encoding: .utf8)
        let declared = "pattern: \"" + FieldText.nonBlankPattern.replacingOccurrences(of: "\\", with: "\\\\") + "\""
        #expect(
            document.components(separatedBy: declared).count - 1 == 5, "Text100, Text200, Text500, Text5000, Text10000")
        for blank in [" ", "\t\n", "\u{3000}\u{00a0}", "\u{2028}\u{0085}"] {
            #expect(throws: Problem.self) { try FieldText.required(blank, field: "name", max: 200) }
        }
        #expect(try FieldText.required("\u{3000} Lijiang \u{2028}", field: "name", max: 200) == "Lijiang")
        #expect(try FieldText.required("\u{200B}", field: "name", max: 200) == "\u{200B}")
        #expect(throws: Problem.self) {
            try FieldText.required(String(repeating: "a", count: 201), field: "name", max: 200)
        }
    }
}
