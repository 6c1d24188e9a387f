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
    /// A request for a tenant operation, read from the OpenAPI document: its method, its path with
    /// every parameter filled by an id that matches nothing, and an empty JSON object as the body where
    /// the method takes one. Access is decided before parameters and bodies are read, so a granted call
    /// ends in a 4xx about its input (or a harmless success), never in 401 or 403; a refused one in 403.
    static func request(for operation: (operation: String, method: String, path: String)) -> (
        HTTPRequest.Method, String, Any?
    ) {
        let path = operation.path.replacing(/\{[^}]+\}/, with: "999999999")
        let method = HTTPRequest.Method(operation.method)!
        let body: Any? = [.post, .put, .patch].contains(method) ? [String: Any]() : nil
        return (method, path, body)
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

                // Signing out runs last for each caller.
                let operations = embeddedOperations.filter { AccessTable.rules[$0.operation]?.audience == .tenant }
                    .sorted {
                        ($0.operation == "deleteCurrentSession" ? 1 : 0, $0.operation)
                            < ($1.operation == "deleteCurrentSession" ? 1 : 0, $1.operation)
                    }
                #expect(
                    operations.count == AccessTable.rules.values.filter { $0.audience == .tenant }.count,
                    "every tenant rule belongs to one operation of the document")
                #expect(operations.contains { $0.operation == "deleteCurrentSession" })
                var checked = 0
                for (name, token, actor) in callers {
                    for operation in operations {
                        let rule = AccessTable.rules[operation.operation]!
                        let allowed = Self.grants(rule, to: actor)
                        let (method, path, body) = Self.request(for: operation)
                        let response = try await client.send(
                            method, path, json: body, token: token,
                            headers: [HTTPField.Name("Idempotency-Key")!: UUID().uuidString])
                        if allowed {
                            #expect(
                                response.status != .forbidden && response.status != .unauthorized,
                                "\(name) should reach \(operation.operation), got \(response.status): \(String(buffer: response.body))"
                            )
                        } else {
                            #expect(
                                response.status == .forbidden,
                                "\(name) should be refused \(operation.operation), got \(response.status)")
                        }
                        checked += 1
                    }
                }
                #expect(checked == callers.count * operations.count)
                #expect(callers.count == TenantUser.Role.allCases.count + APIScope.allCases.count + 1)
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
