import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ItineraTestSupport
import Testing

@testable import Itinera

/// Every role and every API-key scope against every tenant operation: each gets exactly the access
/// `AccessTable` grants — refused means 403, granted means anything but 401 and 403.
@Suite struct AccessMatrixTests {
    /// A request for each tenant operation that, when allowed, does no harm to the matrix (missing
    /// ids, fresh e-mails, empty patches). `deleteCurrentSession` runs last for each caller.
    static func request(for operation: String) -> (HTTPRequest.Method, String, Any?) {
        let missing = UUID().uuidString.lowercased()
        let phone = "1390000\(Int.random(in: 1000...9999))"
        let customer = ["phone": phone]
        switch operation {
        case "listCustomers": return (.get, "/v1/customers", nil)
        case "createCustomer": return (.post, "/v1/customers", customer)
        case "getCustomer": return (.get, "/v1/customers/999999999", nil)
        case "updateCustomer": return (.patch, "/v1/customers/999999999", ["city": "杭州"])
        case "eraseCustomer": return (.delete, "/v1/customers/999999999", nil)
        case "mergeCustomers": return (.post, "/v1/customers/999999999/merge", ["other_id": "999999998"])
        case "getCustomerTimeline": return (.get, "/v1/customers/999999999/timeline", nil)
        case "createInteraction":
            return (
                .post, "/v1/interactions",
                ["customer": customer, "type": "page_view", "occurred_at": "2026-11-01T00:00:00Z"]
            )
        case "createOrder":
            return (
                .post, "/v1/orders",
                [
                    "customer": customer, "amount_minor": 1, "currency": "CNY", "product": ["name": "Matrix"],
                    "ordered_at": "2026-11-01T00:00:00Z",
                ]
            )
        case "listOrders": return (.get, "/v1/orders", nil)
        case "getOrder": return (.get, "/v1/orders/999999999", nil)
        case "listCustomerTags": return (.get, "/v1/customers/999999999/tags", nil)
        case "tagCustomer": return (.post, "/v1/customers/999999999/tags", ["tag": "vip"])
        case "untagCustomer": return (.delete, "/v1/customers/999999999/tags/vip", nil)
        case "listTags": return (.get, "/v1/tags", nil)
        case "createTag": return (.post, "/v1/tags", ["name": "m-\(missing.prefix(8))"])
        case "deleteTag": return (.delete, "/v1/tags/missing-\(missing.prefix(8))", nil)
        case "recomputeRfm": return (.post, "/v1/rfm-runs", nil)
        // A string body is sent as NDJSON.
        case "createImport": return (.post, "/v1/imports?kind=customers", "{\"phone\": \"\(phone)\"}\n")
        case "getImport": return (.get, "/v1/imports/999999999", nil)
        case "listSegments": return (.get, "/v1/segments", nil)
        case "createSegment":
            return (.post, "/v1/segments", ["name": "m-\(missing.prefix(8))", "rule": ["tag": "vip"]])
        case "getSegment": return (.get, "/v1/segments/999999999", nil)
        case "updateSegment":
            return (.put, "/v1/segments/999999999", ["name": "m", "rule": ["tag": "vip"]])
        case "deleteSegment": return (.delete, "/v1/segments/999999999", nil)
        case "listSegmentCustomers": return (.get, "/v1/segments/999999999/customers", nil)
        case "cancelOrder": return (.post, "/v1/orders/999999999/cancel", nil)
        case "listPrograms": return (.get, "/v1/programs", nil)
        case "createProgram":
            return (
                .post, "/v1/programs",
                [
                    "name": "m-\(missing.prefix(8))", "points_per_currency_unit": 1,
                    "tier_window": ["kind": "calendar_year"],
                ]
            )
        case "getProgram": return (.get, "/v1/programs/999999999", nil)
        case "enrolMember": return (.post, "/v1/programs/999999999/members", ["customer_id": "999999999"])
        case "getMember": return (.get, "/v1/members/999999999", nil)
        case "listMemberPoints": return (.get, "/v1/members/999999999/points", nil)
        case "adjustMemberPoints": return (.post, "/v1/members/999999999/points", ["points": 1, "reason": "Matrix"])
        case "redeemMemberPoints": return (.post, "/v1/members/999999999/redemptions", ["points": 1])
        case "listMemberTierHistory": return (.get, "/v1/members/999999999/tier-history", nil)
        case "getProgramTiers": return (.get, "/v1/programs/999999999/tiers", nil)
        case "replaceProgramTiers":
            return (.put, "/v1/programs/999999999/tiers", ["tiers": [["code": "base", "name": "Base", "rank": 1]]])
        case "previewProgramTiers":
            return (
                .post, "/v1/programs/999999999/tiers/preview", ["tiers": [["code": "base", "name": "Base", "rank": 1]]]
            )
        case "listJobs": return (.get, "/v1/jobs", nil)
        case "getJob": return (.get, "/v1/jobs/\(missing)", nil)
        case "getTenant": return (.get, "/v1/tenant", nil)
        case "updateTenant": return (.patch, "/v1/tenant", [String: Any]())
        case "listUsers": return (.get, "/v1/users", nil)
        case "inviteUser":
            return (
                .post, "/v1/users", ["email": "m-\(missing.prefix(8))@example.com", "name": "M", "role": "analyst"]
            )
        case "updateUser": return (.patch, "/v1/users/\(missing)", ["name": "Renamed"])
        case "deleteUser": return (.delete, "/v1/users/\(missing)", nil)
        case "listApiKeys": return (.get, "/v1/api-keys", nil)
        case "createApiKey": return (.post, "/v1/api-keys", ["name": "matrix", "scopes": [String]()])
        case "revokeApiKey": return (.delete, "/v1/api-keys/\(missing)", nil)
        case "listAuditEvents": return (.get, "/v1/audit-events", nil)
        case "deleteCurrentSession": return (.delete, "/v1/sessions/current", nil)
        default: return (.get, "/unknown-operation-\(operation)", nil)
        }
    }

    @Test func test_everyRoleAndEveryScope_getExactlyTheTablesAccess() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "matrix")
                var callers: [(String, String, Principal.Actor)] = []
                for role in TenantUser.Role.allCases {
                    let token =
                        role == .owner
                        ? tenant.token : try await client.addUser(token: tenant.token, role: role.rawValue).token
                    callers.append(("role \(role.rawValue)", token, .user(id: UUID(), role: role)))
                }
                for scope in APIScope.allCases {
                    let key = try await client.createKey(token: tenant.token, scopes: [scope.rawValue])
                    callers.append(("scope \(scope.rawValue)", key.token, .apiKey(id: UUID(), scopes: [scope])))
                }
                let unscoped = try await client.createKey(token: tenant.token, scopes: [])
                callers.append(("key without scopes", unscoped.token, .apiKey(id: UUID(), scopes: [])))

                let operations = AccessTable.rules.filter { $0.value.audience == .tenant }.keys.sorted {
                    ($0 == "deleteCurrentSession" ? 1 : 0, $0) < ($1 == "deleteCurrentSession" ? 1 : 0, $1)
                }
                #expect(operations.count == 52)
                var checked = 0
                for (name, token, actor) in callers {
                    for operation in operations {
                        let rule = AccessTable.rules[operation]!
                        let allowed = Self.grants(rule, to: actor)
                        let (method, path, body) = Self.request(for: operation)
                        let response =
                            if let ndjson = body as? String {
                                try await client.execute(
                                    uri: path, method: method,
                                    headers: [.authorization: "Bearer \(token)", .contentType: "application/x-ndjson"],
                                    body: ByteBuffer(string: ndjson))
                            } else {
                                try await client.send(
                                    method, path, json: body, token: token,
                                    headers: [HTTPField.Name("Idempotency-Key")!: UUID().uuidString])
                            }
                        if allowed {
                            #expect(
                                response.status != .forbidden && response.status != .unauthorized,
                                "\(name) should reach \(operation), got \(response.status): \(String(buffer: response.body))"
                            )
                        } else {
                            #expect(
                                response.status == .forbidden,
                                "\(name) should be refused \(operation), got \(response.status)")
                        }
                        checked += 1
                    }
                }
                #expect(checked == (5 + 12) * 52)
            }
        }
    }

    /// What the table grants, read from its data (not through the code that enforces it).
    static func grants(_ rule: AccessRule, to actor: Principal.Actor) -> Bool {
        switch actor {
        case .user(_, let role):
            return rule.roles.contains(role)
        case .apiKey(_, let scopes):
            switch rule.keys {
            case .refused: return false
            case .anyKey: return true
            case .scope(let scope): return scopes.contains(scope)
            }
        }
    }
}
