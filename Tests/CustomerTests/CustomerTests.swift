import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Itinera
import ItineraTestSupport
import Testing

@Suite struct CustomerTests {
    @Test func test_oneNumberWrittenThreeWays_findsOneCustomer() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "cust")
                let created = try await client.send(
                    .post, "/v1/customers", json: ["phone": "+86 138-0013-8000", "name": "李娜"], token: tenant.token)
                #expect(created.status == .created)
                let id = try JSON.object(created.body)["id"] as? String
                for written in ["13800138000", "008613800138000"] {
                    let matched = try await client.send(
                        .post, "/v1/customers", json: ["phone": written], token: tenant.token)
                    #expect(matched.status == .ok)
                    try #expect(JSON.object(matched.body)["id"] as? String == id)
                }
                let view = try JSON.object(
                    try await client.send(.get, "/v1/customers/\(id ?? "")", token: tenant.token).body)
                #expect(view["name"] as? String == "李娜")
                let identities = view["identities"] as? [[String: Any]]
                #expect(identities?.count == 1 && identities?[0]["value"] as? String == "+8613800138000")
                #expect(try await db.tenantCount("customers", tenant: tenant.slug) == 1)
            }
        }
    }

    @Test func test_aMatch_addsNewIdentitiesAndFillsMissingFields_withoutOverwriting() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "cust")
                _ = try await client.send(
                    .post, "/v1/customers", json: ["email": "Wang.Fang@Example.com", "name": "王芳"],
                    token: tenant.token)
                let matched = try await client.send(
                    .post, "/v1/customers",
                    json: [
                        "email": " wang.fang@example.COM ", "phone": "13900139000", "name": "Someone Else",
                        "city": "杭州", "external_ids": [["source": "ota-ctrip", "id": "C-77"]],
                    ],
                    token: tenant.token)
                #expect(matched.status == .ok)
                let view = try JSON.object(matched.body)
                #expect(view["name"] as? String == "王芳")
                #expect(view["city"] as? String == "杭州")
                let kinds = (view["identities"] as? [[String: Any]])?.compactMap { $0["type"] as? String }.sorted()
                #expect(kinds == ["email", "external", "phone"])
            }
        }
    }

    @Test func test_identitiesOfTwoCustomers_areAConflictNamingBoth() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "cust")
                let first = try await client.customerID(["phone": "13800138000"], token: tenant.token)
                let second = try await client.customerID(["email": "b@example.com"], token: tenant.token)
                let both = try await client.send(
                    .post, "/v1/customers", json: ["phone": "13800138000", "email": "B@example.com"],
                    token: tenant.token)
                #expect(both.status == .conflict)
                let problem = try JSON.object(both.body)
                #expect(problem["customer_ids"] as? [String] == [first, second])
                let detail = problem["detail"] as? String ?? ""
                #expect(detail.contains("'\(first)'") && detail.contains("'\(second)'"))
                #expect(try await db.tenantCount("customer_identities", tenant: tenant.slug) == 2)
            }
        }
    }

    @Test func test_twentyConcurrentCreatesWithOnePhone_endAsOneCustomer() async throws {
        try await TestDatabase.with(connections: 20) { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "race")
                let forms = ["+86 138-0013-8000", "13800138000", "008613800138000", "8613800138000"]
                let answers = try await withThrowingTaskGroup(of: (HTTPResponse.Status, String?).self) { group in
                    for index in 0..<20 {
                        group.addTask {
                            // A 503 (a lock not granted within the lock timeout while the suites
                            // load the machine) is retried, as clients do, after its Retry-After.
                            for _ in 0..<5 {
                                let response = try await client.send(
                                    .post, "/v1/customers", json: ["phone": forms[index % forms.count]],
                                    token: tenant.token)
                                if response.status == .serviceUnavailable {
                                    try await Task.sleep(for: .seconds(1))
                                    continue
                                }
                                return (response.status, try JSON.object(response.body)["id"] as? String)
                            }
                            return (.serviceUnavailable, nil)
                        }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                #expect(answers.filter { $0.0 == .created }.count == 1)
                #expect(answers.filter { $0.0 == .ok }.count == 19, "\(answers)")
                #expect(Set(answers.map(\.1)).count == 1)
                #expect(try await db.tenantCount("customers", tenant: tenant.slug) == 1)
            }
        }
    }

    @Test func test_badProfileFields_are422NamingTheField() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "cust")
                let cases: [([String: Any], String)] = [
                    (["name": "No identity"], "phone"),
                    (["phone": "13800138000", "birth_year": 1850], "birth_year"),
                    (["phone": "13800138000", "language": "not a tag"], "language"),
                    (["phone": "13800138000", "gender": "robot"], "gender"),
                    (["phone": "13800138000", "name": "  "], "name"),
                    (["phone": "13800138000", "consents": ["sms": ["granted": "yes"]]], "consents.sms.granted"),
                    (["phone": "banana"], "phone"),
                ]
                for (body, field) in cases {
                    let response = try await client.send(.post, "/v1/customers", json: body, token: tenant.token)
                    #expect(response.status == .unprocessableContent, "\(body)")
                    try #expect(JSON.object(response.body)["field"] as? String == field, "\(body)")
                }
                #expect(try await db.tenantCount("customers", tenant: tenant.slug) == 0)
            }
        }
    }

    @Test func test_patch_changesProfileAndConsents_andIsAudited() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "cust")
                let id = try await client.customerID(["phone": "13800138000", "city": "北京"], token: tenant.token)
                let patched = try await client.send(
                    .patch, "/v1/customers/\(id)",
                    json: ["city": "上海", "consents": ["wechat": ["granted": true, "source": "mini-program"]]],
                    token: tenant.token)
                #expect(patched.status == .ok)
                let view = try JSON.object(patched.body)
                #expect(view["city"] as? String == "上海")
                let consents = view["consents"] as? [[String: Any]]
                #expect(consents?.first?["channel"] as? String == "wechat")
                #expect(consents?.first?["source"] as? String == "mini-program")
                let audit = try JSON.object(
                    try await client.send(.get, "/v1/audit-events?action=customer.update", token: tenant.token).body)
                #expect((audit["items"] as? [[String: Any]])?.first?["target_id"] as? String == id)
            }
        }
    }
}

extension TestClientProtocol {
    /// Creates or matches a customer and returns its id.
    func customerID(_ body: [String: Any], token: String) async throws -> String {
        let response = try await send(.post, "/v1/customers", json: body, token: token)
        guard response.status == .created || response.status == .ok,
            let id = try JSON.object(response.body)["id"] as? String
        else {
            throw TestFailure("customer creation answered \(response.status): \(String(buffer: response.body))")
        }
        return id
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
