import Yams

/// Reads where a JSON request body may hold `null`, from the request schemas of the OpenAPI document,
/// and writes it as `NullRule` expressions: each component schema once (by name, so recursive schemas
/// end), and each operation's JSON request body as a rule. A schema allows `null` when its `type` lists
/// `"null"` or it says `nullable: true`; a schema that constrains nothing (no type, no properties)
/// allows any value, `null` included, at any depth.
enum NullRules {
    static func read(_ document: String) throws -> (schemas: [(String, String)], operations: [(String, String)]) {
        guard let root = try Yams.load(yaml: document) as? [String: Any],
            let paths = root["paths"] as? [String: Any]
        else { throw AccessRules.Failure(description: "the document has no paths") }
        let components = ((root["components"] as? [String: Any])?["schemas"] as? [String: Any]) ?? [:]
        let schemas = try components.keys.sorted().map { name in (name, try rule(components[name]!)) }
        var operations: [(String, String)] = []
        for (_, item) in paths {
            for (method, value) in (item as? [String: Any]) ?? [:] where AccessRules.methods.contains(method) {
                guard let operation = value as? [String: Any], let id = operation["operationId"] as? String,
                    let body = operation["requestBody"] as? [String: Any],
                    let content = body["content"] as? [String: Any],
                    let json = content["application/json"] as? [String: Any],
                    let schema = json["schema"]
                else { continue }
                operations.append((id, try rule(schema)))
            }
        }
        return (schemas, operations.sorted { $0.0 < $1.0 })
    }

    static func rule(_ value: Any) throws -> String {
        guard let schema = value as? [String: Any] else { return ".free" }
        if let reference = schema["$ref"] as? String {
            let prefix = "#/components/schemas/"
            guard reference.hasPrefix(prefix) else {
                throw AccessRules.Failure(description: "only component schemas can be referred to: \(reference)")
            }
            return ".schema(\"\(reference.dropFirst(prefix.count))\")"
        }
        if let all = schema["allOf"] as? [Any] {
            return ".all([\(try all.map(rule).joined(separator: ", "))])"
        }
        if let any = (schema["oneOf"] ?? schema["anyOf"]) as? [Any] {
            return ".any([\(try any.map(rule).joined(separator: ", "))])"
        }
        let types: [String]
        switch schema["type"] {
        case let type as String: types = [type]
        case let list as [Any]: types = list.map { "\($0)" }
        default: types = []
        }
        let nullable = types.contains("null") || (schema["nullable"] as? Bool) == true
        let properties = schema["properties"] as? [String: Any]
        if types.isEmpty && properties == nil && schema["items"] == nil { return ".free" }
        if types.contains("array") || schema["items"] != nil {
            return ".array(nullable: \(nullable), items: \(try rule(schema["items"] ?? [:])))"
        }
        if types.contains("object") || properties != nil {
            let fields = try (properties ?? [:]).keys.sorted().map { "\"\($0)\": \(try rule(properties![$0]!))" }
            let others: String
            switch schema["additionalProperties"] {
            case nil, false as Bool: others = "nil"
            case true as Bool: others = ".free"
            case let other?: others = try rule(other)
            }
            let members = fields.isEmpty ? ":" : fields.joined(separator: ", ")
            return ".object(nullable: \(nullable), properties: [\(members)], others: \(others))"
        }
        return ".scalar(nullable: \(nullable))"
    }
}
