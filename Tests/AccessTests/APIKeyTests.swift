import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Itinera
import ItineraTestSupport
import PostgresNIO
import Testing

@Suite struct APIKeyTests {
    @Test func test_keyIsShownOnce_storedAsHashAndPrefix_andReadsItsTenant() async throws {
        try await TestDatabase.with { db in
            let parts = db.parts()
            let app = Application(router: try buildRouter(parts))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "keys")
                let key = try await client.createKey(token: tenant.token, scopes: ["orders:write", "customers:read"])
                let pieces = key.token.split(separator: "_", maxSplits: 2)
                #expect(pieces.count == 3 && pieces[0] == "itn" && pieces[1].count == 12 && pieces[2].count == 43)

                let stored = try await db.client.query(
                    "SELECT prefix, key_hash, scopes FROM itinera.api_keys WHERE id = \(UUID(uuidString: key.id)!)",
                    logger: db.logger)
                for try await (prefix, hash, scopes) in stored.decode((String, Data, [String]).self) {
                    #expect(prefix == String(pieces[1]))
                    #expect(hash.count == 32 && !String(decoding: hash, as: UTF8.self).contains(String(pieces[2])))
                    #expect(scopes == ["customers:read", "orders:write"])
                }

                let read = try await client.send(.get, "/v1/tenant", token: key.token)
                #expect(read.status == .ok)
                try #expect(try JSON.object(read.body)["slug"] as? String == tenant.slug)

                let list = try await client.send(.get, "/v1/api-keys", token: tenant.token)
                let items = try JSON.object(list.body)["items"] as! [[String: Any]]
                #expect(
                    items.count == 1 && items[0]["secret"] == nil && items[0]["prefix"] as? String == String(pieces[1]))
                #expect(!String(buffer: list.body).contains(String(pieces[2])))
                // The use above is known at once to this instance, and written by the next flush.
                #expect(items[0]["last_used_at"] != nil)
                try await parts.keyUsage!.flush()
                let written = try await db.scalar(
                    "SELECT last_used_at IS NOT NULL FROM itinera.api_keys WHERE id = \(UUID(uuidString: key.id)!)",
                    as: Bool.self)
                #expect(written == true)
            }
        }
    }

    @Test func test_keyList_isPagedOldestFirst_withoutRevokedKeys() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "keypage")
                var ids: [String] = []
                for index in 0..<5 {
                    ids.append(try await client.createKey(token: tenant.token, scopes: [], name: "k\(index)").id)
                }
                #expect(
                    try await client.send(.delete, "/v1/api-keys/\(ids[2])", token: tenant.token).status == .noContent)
                var seen: [String] = []
                var cursor: String?
                repeat {
                    let page = try JSON.object(
                        try await client.send(
                            .get, "/v1/api-keys?limit=2" + (cursor.map { "&cursor=\($0)" } ?? ""), token: tenant.token
                        ).body)
                    seen += (page["items"] as! [[String: Any]]).map { $0["id"] as! String }
                    cursor = page["next_cursor"] as? String
                } while cursor != nil
                #expect(seen == [ids[0], ids[1], ids[3], ids[4]])
            }
        }
    }

    @Test func test_revocation_isRefusedOnTheVeryNextRequest_atASecondInstance() async throws {
        try await TestDatabase.with { db in
            let first = Application(router: try buildRouter(db.parts()))
            var secondParts = db.parts()
            let secondClient = try db.unstartedClient(connections: 2)
            secondParts.client = secondClient
            let second = Application(router: try buildRouter(secondParts))
            try await withRunningClient(secondClient) { _ in
                try await first.test(.router) { a in
                    try await second.test(.router) { b in
                        let tenant = try await a.signUp(slugPrefix: "revoke")
                        let key = try await a.createKey(token: tenant.token, scopes: [])
                        // Warm the second instance's connections with the key.
                        for _ in 0..<5 { #expect(try await b.send(.get, "/v1/tenant", token: key.token).status == .ok) }

                        #expect(
                            try await a.send(.delete, "/v1/api-keys/\(key.id)", token: tenant.token).status
                                == .noContent)
                        let next = try await b.send(.get, "/v1/tenant", token: key.token)
                        #expect(next.status == .unauthorized)
                        try #expect(
                            try JSON.object(next.body)["detail"] as? String
                                == "The API key is unknown or has been revoked.")
                        // Revoking again is a no-op; the list no longer shows it.
                        #expect(
                            try await a.send(.delete, "/v1/api-keys/\(key.id)", token: tenant.token).status
                                == .noContent)
                        let list = try JSON.object(try await b.send(.get, "/v1/api-keys", token: tenant.token).body)
                        #expect((list["items"] as! [Any]).isEmpty)
                    }
                }
            }
        }
    }

    @Test func test_badCredentials_areEachAClear401() async throws {
        try await TestDatabase.with { db in
            let app = Application(
                router: try buildRouter(db.parts { $0.platformToken = String(repeating: "p", count: 40) }))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "badcred")
                let key = try await client.createKey(token: tenant.token, scopes: [])
                let other = try await client.signUp(slugPrefix: "doomed")
                let doomedKey = try await client.createKey(token: other.token, scopes: [])
                let expiring = try await client.createKey(token: tenant.token, scopes: [])
                try await db.client.query(
                    "UPDATE itinera.api_keys SET expires_at = now() - interval '1 second' WHERE id = \(UUID(uuidString: expiring.id)!)",
                    logger: db.logger
                ).collect()
                let deleted = try await client.send(
                    .delete, "/v1/platform/tenants/\(other.id)?confirm=\(other.slug)",
                    headers: [.authorization: "Bearer " + String(repeating: "p", count: 40)])
                #expect(deleted.status == .ok)

                let cases: [(String, String, HTTPFields, String)] = [
                    ("key in the query string", "/v1/tenant?api_key=\(key.token)", [:], "not accepted in the URL"),
                    ("token in the query string", "/v1/tenant?x=\(key.token)", [:], "not accepted in the URL"),
                    ("no header", "/v1/tenant", [:], "needs an `Authorization"),
                    ("basic scheme", "/v1/tenant", [.authorization: "Basic dXNlcjpwYXNz"], "must be `Bearer <token>`"),
                    ("bare token", "/v1/tenant", [.authorization: key.token], "must be `Bearer <token>`"),
                    ("empty bearer", "/v1/tenant", [.authorization: "Bearer "], "must be `Bearer <token>`"),
                    ("truncated key", "/v1/tenant", [.authorization: "Bearer " + key.token.dropLast(3)], "malformed"),
                    ("unknown token kind", "/v1/tenant", [.authorization: "Bearer abc.def.ghi"], "neither an API key"),
                    (
                        "wrong secret", "/v1/tenant", [.authorization: "Bearer " + key.token.dropLast(4) + "AAAA"],
                        "unknown or has been revoked"
                    ),
                    ("expired key", "/v1/tenant", [.authorization: "Bearer " + expiring.token], "expired at"),
                    (
                        "deleted tenant's key", "/v1/tenant", [.authorization: "Bearer " + doomedKey.token],
                        "unknown or has been revoked"
                    ),
                    (
                        "deleted tenant's session", "/v1/tenant", [.authorization: "Bearer " + other.token],
                        "unknown or has expired"
                    ),
                ]
                for (name, uri, headers, detail) in cases {
                    let response = try await client.send(.get, uri, headers: headers)
                    #expect(response.status == .unauthorized, "\(name)")
                    #expect(response.headers[.contentType] == "application/problem+json", "\(name)")
                    let problem = try JSON.object(response.body)
                    #expect((problem["detail"] as? String ?? "").contains(detail), "\(name): \(problem)")
                }
                #expect(try await client.send(.get, "/v1/tenant", token: key.token).status == .ok)
            }
        }
    }

    @Test func test_anotherTenantsIDs_getTheSame404AsIDsThatDoNotExist() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let a = try await client.signUp(slugPrefix: "tenant-a")
                let b = try await client.signUp(slugPrefix: "tenant-b")
                let bKey = try await client.createKey(token: b.token, scopes: [])
                let bUser = try await client.addUser(token: b.token, role: "agent")
                let missing = UUID().uuidString.lowercased()
                let attempts: [(HTTPRequest.Method, String, Any?, String)] = [
                    (.delete, "/v1/api-keys/", nil, bKey.id),
                    (.patch, "/v1/users/", ["role": "admin"], bUser.id),
                    (.delete, "/v1/users/", nil, bUser.id),
                ]
                for (method, path, body, id) in attempts {
                    let foreign = try await client.send(method, path + id, json: body, token: a.token)
                    let absent = try await client.send(method, path + missing, json: body, token: a.token)
                    #expect(foreign.status == .notFound && absent.status == .notFound, "\(method) \(path)")
                    var foreignProblem = try JSON.object(foreign.body)
                    var absentProblem = try JSON.object(absent.body)
                    for key in ["request_id"] { foreignProblem[key] = nil; absentProblem[key] = nil }
                    foreignProblem["detail"] = (foreignProblem["detail"] as! String).replacingOccurrences(
                        of: id, with: "ID")
                    absentProblem["detail"] = (absentProblem["detail"] as! String).replacingOccurrences(
                        of: missing, with: "ID")
                    #expect(NSDictionary(dictionary: foreignProblem) == NSDictionary(dictionary: absentProblem))
                }
                // B's key and user are untouched.
                #expect(try await client.send(.get, "/v1/tenant", token: bKey.token).status == .ok)
                #expect(try await client.send(.get, "/v1/tenant", token: bUser.token).status == .ok)
                // A's key reads A, never B.
                let aKey = try await client.createKey(token: a.token, scopes: [])
                try #expect(
                    try JSON.object(try await client.send(.get, "/v1/tenant", token: aKey.token).body)["slug"]
                        as? String == a.slug)
            }
        }
    }

    @Test func test_rateLimit_perKey_answers429WithRetryAfter() async throws {
        try await TestDatabase.with { db in
            let app = Application(
                router: try buildRouter(
                    db.parts {
                        $0.keyRateLimit = RateLimiter.Limit(perSecond: 0.01, burst: 3)
                        $0.tenantRateLimit = RateLimiter.Limit(perSecond: 1000, burst: 1000)
                    }))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "limited")
                let key = try await client.createKey(token: tenant.token, scopes: [])
                let other = try await client.createKey(token: tenant.token, scopes: [])
                var statuses: [HTTPResponse.Status] = []
                for _ in 0..<5 { statuses.append(try await client.send(.get, "/v1/tenant", token: key.token).status) }
                #expect(statuses == [.ok, .ok, .ok, .tooManyRequests, .tooManyRequests])
                let refused = try await client.send(.get, "/v1/tenant", token: key.token)
                #expect(Int(refused.headers[.retryAfter] ?? "") ?? 0 >= 1)
                #expect(refused.headers[.contentType] == "application/problem+json")
                // Another key of the same tenant has its own bucket; sessions are bound only by the tenant's.
                #expect(try await client.send(.get, "/v1/tenant", token: other.token).status == .ok)
                #expect(try await client.send(.get, "/v1/tenant", token: tenant.token).status == .ok)
            }
        }
    }

    @Test func test_rateLimit_perTenant_coversSessionsAndKeys() async throws {
        try await TestDatabase.with { db in
            let app = Application(
                router: try buildRouter(db.parts { $0.tenantRateLimit = RateLimiter.Limit(perSecond: 0.01, burst: 4) }))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "tlimit")
                let key = try await client.createKey(token: tenant.token, scopes: [])  // request 1
                var statuses: [HTTPResponse.Status] = []
                for token in [key.token, tenant.token, key.token, tenant.token] {
                    statuses.append(try await client.send(.get, "/v1/tenant", token: token).status)
                }
                #expect(statuses == [.ok, .ok, .ok, .tooManyRequests])
                let other = try await client.signUp(slugPrefix: "tother")
                #expect(try await client.send(.get, "/v1/tenant", token: other.token).status == .ok)
            }
        }
    }

    @Test func test_badKeyRequests_are422NamingTheField() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "badkey")
                let cases: [([String: Any], String)] = [
                    (["name": "", "scopes": []], "name"),
                    (["name": "k", "scopes": ["orders:write", "orders:delete"]], "scopes[1]"),
                    (["name": "k", "scopes": [], "expires_at": "2001-01-01T00:00:00Z"], "expires_at"),
                    (["name": "k"], "scopes"),
                ]
                for (body, field) in cases {
                    let response = try await client.send(.post, "/v1/api-keys", json: body, token: tenant.token)
                    #expect(response.status == .unprocessableContent, "\(body)")
                    try #expect(try JSON.object(response.body)["field"] as? String == field, "\(body)")
                }
                let count = try await db.scalar("SELECT count(*)::int FROM itinera.api_keys", as: Int.self)
                #expect(count == 0)
            }
        }
    }
}
