import Foundation
import Hummingbird
import HummingbirdTesting
import Itinera
import ItineraTestSupport
import Logging
import Synchronization
import Testing

@Suite struct RequestLogTests {
    @Test func test_eachRequest_logsOneJSONLineWithRequestIDAndTenant() async throws {
        let lines = Mutex<[Data]>([])
        let logger = Logger(label: "itinera") { label in
            JSONLogHandler(label: label, write: { line in lines.withLock { $0.append(line) } })
        }
        try await TestDatabase.with { db in
            var parts = db.parts()
            parts.logger = logger
            let app = Application(router: try buildRouter(parts))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "logged")
                let response = try await client.send(
                    .get, "/v1/tenant", token: tenant.token, headers: [.requestID: "log-check-1"])
                #expect(response.status == .ok)

                let records = try lines.withLock { $0 }.map {
                    try #require(try JSONSerialization.jsonObject(with: $0) as? [String: Any])
                }
                let read = records.filter {
                    $0["message"] as? String == "request" && $0["path"] as? String == "/v1/tenant"
                }
                #expect(read.count == 1)
                #expect(read.first?["request_id"] as? String == "log-check-1")
                #expect(read.first?["tenant"] as? String == tenant.slug)
                #expect(read.first?["status"] as? String == "200")
                #expect(read.first?["level"] as? String == "info")
                #expect(read.first?["ts"] as? String != nil)
            }
        }
    }
}
