import Yams

/// Reads each operation's `security` from the OpenAPI document and writes it as the Swift expression
/// of its `AccessRule`. The schemes are `session` (the admin roles allowed), `apiKey` (the one scope a
/// key needs, or none: any key of the tenant) and `platform` (the operator token); `security: []`
/// means no credential. Role and scope names become enum cases, so a name the server does not know
/// fails the build; an operation without `security` fails it here.
enum AccessRules {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static let methods: Set = ["get", "put", "post", "delete", "patch", "head", "options", "trace"]

    static func read(_ document: String) throws -> [(operation: String, method: String, path: String, rule: String)] {
        guard let root = try Yams.load(yaml: document) as? [String: Any],
            let paths = root["paths"] as? [String: Any]
        else { throw Failure(description: "the document has no paths") }
        var rules: [(operation: String, method: String, path: String, rule: String)] = []
        for (path, item) in paths {
            for (method, value) in (item as? [String: Any]) ?? [:] where methods.contains(method) {
                guard let operation = value as? [String: Any], let id = operation["operationId"] as? String else {
                    throw Failure(description: "\(method.uppercased()) \(path) has no operationId")
                }
                guard let security = operation["security"] as? [Any] else {
                    throw Failure(description: "operation \(id) states no `security`, so it would be refused")
                }
                rules.append((id, method.uppercased(), path, try rule(security, operation: id)))
            }
        }
        return rules.sorted { $0.operation < $1.operation }
    }

    /// Each path template of the document with the methods it has, upper-case and sorted.
    static func methods(_ document: String) throws -> [(path: String, methods: [String])] {
        guard let root = try Yams.load(yaml: document) as? [String: Any],
            let paths = root["paths"] as? [String: Any]
        else { throw Failure(description: "the document has no paths") }
        return paths.map { path, item in
            (path, ((item as? [String: Any]) ?? [:]).keys.filter(methods.contains).map { $0.uppercased() }.sorted())
        }.sorted { $0.path < $1.path }
    }

    static func rule(_ security: [Any], operation: String) throws -> String {
        var schemes: [String: [String]] = [:]
        for requirement in security {
            guard let requirement = requirement as? [String: Any] else {
                throw Failure(description: "\(operation): a security requirement must be a map")
            }
            for (scheme, values) in requirement {
                schemes[scheme] = ((values as? [Any]) ?? []).map { "\($0)" }
            }
        }
        if schemes.isEmpty { return ".everyone" }
        if schemes.keys.contains("platform") {
            guard schemes.count == 1 else {
                throw Failure(description: "\(operation): the platform token is its only credential")
            }
            return ".platformOperator"
        }
        guard let roles = schemes["session"], !roles.isEmpty else {
            throw Failure(description: "\(operation): a tenant operation lists the admin roles under `session`")
        }
        let unknown = Set(schemes.keys).subtracting(["session", "apiKey"])
        guard unknown.isEmpty else {
            throw Failure(description: "\(operation): unknown security schemes \(unknown.sorted())")
        }
        let keys: String
        switch schemes["apiKey"] {
        case nil: keys = ".refused"
        case let scopes? where scopes.isEmpty: keys = ".anyKey"
        case let scopes? where scopes.count == 1: keys = ".scope(.\(caseName(scopes[0])))"
        case let scopes?: throw Failure(description: "\(operation): one scope per operation, not \(scopes)")
        }
        return ".tenant([\(roles.sorted().map { "." + caseName($0) }.joined(separator: ", "))], keys: \(keys))"
    }

    /// `customers:read` → `customersRead`, `scenic_area` → `scenicArea`.
    static func caseName(_ name: String) -> String {
        let words = name.split(whereSeparator: { $0 == ":" || $0 == "_" || $0 == "-" })
        return words.enumerated().map { $0.offset == 0 ? String($0.element) : $0.element.capitalized }.joined()
    }
}
