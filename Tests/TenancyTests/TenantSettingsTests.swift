import Foundation
import Hummingbird
import HummingbirdTesting
import Itinera
import ItineraTestSupport
import Testing

@Suite struct TenantSettingsTests {
    @Test func test_patchTenant_changesProfileMergesSettingsAndAuditsBeforeAndAfter() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "patch")
                _ = try await client.send(
                    .patch, "/v1/tenant", json: ["settings": ["a": 1, "b": "keep"]], token: tenant.token)
                let response = try await client.send(
                    .patch, "/v1/tenant",
                    json: ["name": "Renamed", "timezone": "Europe/Paris", "currency": "EUR", "settings": ["a": 2]],
                    token: tenant.token,
                    headers: [.requestID: "patch-req-1"]
                )
                #expect(response.status == .ok)
                let body = try JSON.object(response.body)
                #expect(body["name"] as? String == "Renamed")
                #expect(body["timezone"] as? String == "Europe/Paris")
                #expect(body["currency"] as? String == "EUR")
                let settings = try #require(body["settings"] as? [String: Any])
                #expect(settings["a"] as? Int == 2 && settings["b"] as? String == "keep")

                let schema = try #require(
                    try await db.scalar("SELECT schema_name FROM itinera.tenants", as: String.self))
                let identity = TenantIdentity(id: UUID(uuidString: tenant.id)!, schema: schema, role: schema)
                let audit = try await TenantTransaction.run(db.client, tenant: identity, logger: db.logger) { tenant in
                    let rows = try await tenant.query(
                        """
                        SELECT json_build_array(action, before->>'name', after->>'name', request_id, after->'settings'->>'a')::text
                        FROM audit_events ORDER BY id DESC LIMIT 1
                        """
                    )
                    var text: String?
                    for try await row in rows.decode(String.self) { text = row }
                    return text
                }
                #expect(audit == #"["tenant.update", "Tenant \#(tenant.slug)", "Renamed", "patch-req-1", "2"]"#)
            }
        }
    }

    @Test func test_patchTenantWithBadValue_is422AndChangesNothing() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "badpatch")
                let response = try await client.send(
                    .patch, "/v1/tenant", json: ["name": "Fine", "timezone": "Nowhere/Land"], token: tenant.token)
                #expect(response.status == .unprocessableContent)
                #expect(try JSON.object(response.body)["field"] as? String == "timezone")
                let name = try await db.scalar("SELECT name FROM itinera.tenants", as: String.self)
                #expect(name == "Tenant \(tenant.slug)")
            }
        }
    }
}
