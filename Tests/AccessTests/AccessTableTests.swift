import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ItineraTestSupport
import OpenAPIRuntime
import Testing

@testable import Itinera

/// The access table against the OpenAPI document, and the middleware's refusal of an operation the
/// table does not know.
@Suite struct AccessTableTests {
    /// Each operation of `openapi.yaml` with its security requirements, read line by line: the
    /// document is written with one `security:` block per operation.
    static func specOperations() throws -> [String: [String: [String]]] {
        let url = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/ItineraAPI/openapi.yaml")
        let lines = try String(contentsOf: url, encoding: .utf8).split(
            separator: "\n", omittingEmptySubsequences: false)
        var operations: [String: [String: [String]]] = [:]
        var current: String?
        var inSecurity = false
        for line in lines {
            let text = line.trimmingCharacters(in: .whitespaces)
            if text.hasPrefix("operationId:") {
                current = String(text.dropFirst("operationId:".count)).trimmingCharacters(in: .whitespaces)
                operations[current!] = nil
                inSecurity = false
            } else if let current, text == "security: []" {
                operations[current] = [:]
            } else if current != nil, text == "security:" {
                inSecurity = true
                operations[current!] = [:]
            } else if inSecurity, let current, text.hasPrefix("- ") {
                let entry = text.dropFirst(2)
                let parts = entry.split(separator: ":", maxSplits: 1)
                let values = parts[1].trimmingCharacters(in: .whitespaces).trimmingCharacters(
                    in: CharacterSet(charactersIn: "[]"))
                operations[current]![String(parts[0])] =
                    values.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            } else if inSecurity {
                inSecurity = false
            }
            if text.hasPrefix("components:") { break }
        }
        return operations
    }

    @Test func test_everyOperation_hasARule_andTheDocumentStatesTheSameAccess() throws {
        let spec = try Self.specOperations()
        let withoutRule = spec.keys.filter { AccessTable.rules[$0] == nil }.sorted()
        #expect(withoutRule.isEmpty, "operations without an access rule: \(withoutRule)")
        let withoutOperation = AccessTable.rules.keys.filter { spec[$0] == nil && !spec.keys.contains($0) }.sorted()
        #expect(withoutOperation.isEmpty, "rules for operations the document lacks: \(withoutOperation)")
        #expect(spec.count == AccessTable.rules.count)

        for (operation, security) in spec {
            let rule = try #require(AccessTable.rules[operation])
            switch rule.audience {
            case .everyone:
                #expect(security == [:], "\(operation) should declare `security: []`")
            case .platformOperator:
                #expect(security == ["platform": []], "\(operation) should declare the platform token only")
            case .tenant:
                #expect(
                    Set(security["session"] ?? ["missing"]) == Set(rule.roles.map(\.rawValue)), "\(operation) roles")
                switch rule.keys {
                case .refused: #expect(security["apiKey"] == nil, "\(operation) must not list apiKey")
                case .anyKey: #expect(security["apiKey"] == [], "\(operation) takes any key")
                case .scope(let scope): #expect(security["apiKey"] == [scope.rawValue], "\(operation) scope")
                }
            }
        }
    }

    /// Each operation's class of access (`x-access` in `openapi.yaml`, next to its `security`).
    static func specClasses() throws -> [String: String] {
        let url = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/ItineraAPI/openapi.yaml")
        var classes: [String: String] = [:]
        var current: String?
        for line in try String(contentsOf: url, encoding: .utf8).split(separator: "\n") {
            let text = line.trimmingCharacters(in: .whitespaces)
            if text.hasPrefix("operationId:") {
                current = String(text.dropFirst("operationId:".count)).trimmingCharacters(in: .whitespaces)
            } else if let operation = current, text.hasPrefix("x-access:") {
                classes[operation] = String(text.dropFirst("x-access:".count)).trimmingCharacters(in: .whitespaces)
            }
            if text.hasPrefix("components:") { break }
        }
        return classes
    }

    /// API.md's roles, one rule per class of operation: analysts only read (and see previews, which
    /// change nothing); agents also write customers' data (orders, care, the community's
    /// registrations); marketers also shape segments, programmes, templates, communities, events,
    /// offers and campaigns; both may send messages; only owners and admins administer users, keys,
    /// imports, rules and the tenant. Each tenant operation names its class (`x-access`) in the
    /// document, so a new one is checked without an edit here.
    @Test func test_rolesFollowAPIDocument() throws {
        let classes = try Self.specClasses()
        let roles: [String: Set<TenantUser.Role>] = [
            "read": [.owner, .admin, .marketer, .agent, .analyst],
            "preview": [.owner, .admin, .marketer, .analyst],
            "customer-care": [.owner, .admin, .agent],
            "marketing": [.owner, .admin, .marketer],
            "messaging": [.owner, .admin, .marketer, .agent],
        ]
        for (operation, rule) in AccessTable.rules where rule.audience == .tenant {
            let reading =
                operation.hasPrefix("list") || operation.hasPrefix("get") || operation.hasPrefix("export")
                || operation == "deleteCurrentSession"
            guard let kind = classes[operation] else {
                Issue.record("\(operation) names no x-access class")
                continue
            }
            #expect((kind == "read") == reading, "\(operation): \(kind)")
            // A preview changes nothing, so analysts may see it; not every preview is theirs (a
            // template's renders a customer's data).
            #expect(kind != "preview" || operation.hasPrefix("preview"), "\(operation): \(kind)")
            if kind == "administration" {
                #expect(!rule.roles.isEmpty && rule.roles.isSubset(of: [.owner, .admin]), "\(operation)")
            } else {
                #expect(Set(rule.roles) == roles[kind], "\(operation): \(kind)")
            }
        }
        #expect(Set(classes.values).isSubset(of: Set(roles.keys).union(["administration"])))
    }

    @Test func test_operationWithoutARule_isRefused() async throws {
        let middleware = AccessMiddleware(platformToken: nil, checkCaller: {}, logger: testLogger)
        let reached = ReachedFlag()
        await #expect(throws: Problem.self) {
            _ = try await middleware.intercept(
                HTTPRequest(method: .get, scheme: "https", authority: "x", path: "/v1/new-thing"),
                body: nil,
                metadata: ServerRequestMetadata(),
                operationID: "someNewOperation"
            ) { _, _, _ in
                reached.set()
                return (HTTPResponse(status: .ok), nil)
            }
        }
        #expect(!reached.value)
    }
}

extension AccessTableTests {
    @Test func test_tenantOperationAnsweringWithoutAuthenticating_isAFault_notASuccess() async throws {
        let middleware = AccessMiddleware(platformToken: nil, checkCaller: {}, logger: testLogger)
        let scope = RequestScope(requestID: "fail-closed", clientAddress: nil, logger: testLogger)
        var request = HTTPRequest(method: .get, scheme: "https", authority: "x", path: "/v1/tenant")
        request.headerFields[.authorization] = "Bearer " + SessionToken.generate().value
        await #expect(throws: AccessFault.self) {
            try await RequestScope.$current.withValue(scope) {
                _ = try await middleware.intercept(
                    request, body: nil, metadata: ServerRequestMetadata(), operationID: "getTenant"
                ) { _, _, _ in (HTTPResponse(status: .ok), nil) }
            }
        }
    }
}

extension AccessTableTests {
    /// Input refused before the operation's transaction checked the caller: the caller is checked on
    /// their own, and their refusal is the answer; a caller who passes gets the input's problem.
    @Test(arguments: [true, false])
    func test_inputRefusedBeforeAuthentication_answersWithTheCallersRefusalFirst(callerRefused: Bool) async throws {
        let checked = ReachedFlag()
        let middleware = AccessMiddleware(
            platformToken: nil,
            checkCaller: {
                checked.set()
                if callerRefused { throw Problem.forbidden("refused") }
            },
            logger: testLogger)
        let scope = RequestScope(requestID: "input-first", clientAddress: nil, logger: testLogger)
        var request = HTTPRequest(method: .post, scheme: "https", authority: "x", path: "/v1/orders")
        request.headerFields[.authorization] = "Bearer " + SessionToken.generate().value
        let thrown = await #expect(throws: Problem.self) {
            try await RequestScope.$current.withValue(scope) {
                _ = try await middleware.intercept(
                    request, body: nil, metadata: ServerRequestMetadata(), operationID: "createOrder"
                ) { _, _, _ in throw Problem.invalidField("amount_minor", "bad input") }
            }
        }
        #expect(checked.value)
        #expect(thrown?.status == (callerRefused ? .forbidden : .unprocessableContent))
    }
}

final class ReachedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var reached = false
    func set() { lock.withLock { reached = true } }
    var value: Bool { lock.withLock { reached } }
}
