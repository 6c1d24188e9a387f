import Foundation

/// Where a JSON value may hold `null`, read from the OpenAPI document's schemas at build time
/// (`embeddedNullSchemas`, `embeddedRequestNullRules`). The generated handlers read a `null` property
/// as an absent one; the document allows `null` almost nowhere, so a request that sends it gets a 422
/// naming the field rather than having it quietly ignored.
indirect enum NullRule: Sendable {
    /// Any value at any depth, `null` included (a schema that constrains nothing).
    case free
    /// The component schema of that name.
    case schema(String)
    /// A value every one of the rules admits (`allOf`).
    case all([NullRule])
    /// A value one of the rules admits (`oneOf`, `anyOf`).
    case any([NullRule])
    case scalar(nullable: Bool)
    case array(nullable: Bool, items: NullRule)
    /// Properties the schema does not name are checked against `others` when it gives one.
    case object(nullable: Bool, properties: [String: NullRule], others: NullRule?)

    /// The path of the first `null` the rule does not admit in `value` (a JSON value as
    /// `JSONSerialization` reads it), or `nil` when there is none.
    func firstRefusedNull(in value: Any, at path: String = "", schemas: [String: NullRule] = embeddedNullSchemas)
        -> String?
    {
        switch self {
        case .free:
            return nil
        case .schema(let name):
            return schemas[name]?.firstRefusedNull(in: value, at: path, schemas: schemas)
        case .all(let rules):
            for rule in rules {
                if let refused = rule.firstRefusedNull(in: value, at: path, schemas: schemas) { return refused }
            }
            return nil
        case .any(let rules):
            var first: String?
            for rule in rules {
                guard let refused = rule.firstRefusedNull(in: value, at: path, schemas: schemas) else { return nil }
                first = first ?? refused
            }
            return first
        case .scalar(let nullable):
            return value is NSNull && !nullable ? path : nil
        case .array(let nullable, let items):
            if value is NSNull { return nullable ? nil : path }
            guard let elements = value as? [Any] else { return nil }
            for (index, element) in elements.enumerated() {
                if let refused = items.firstRefusedNull(in: element, at: "\(path)[\(index)]", schemas: schemas) {
                    return refused
                }
            }
            return nil
        case .object(let nullable, let properties, let others):
            if value is NSNull { return nullable ? nil : path }
            guard let members = value as? [String: Any] else { return nil }
            for key in members.keys.sorted() {
                guard let rule = properties[key] ?? others else { continue }
                let field = path.isEmpty ? key : "\(path).\(key)"
                if let refused = rule.firstRefusedNull(in: members[key]!, at: field, schemas: schemas) {
                    return refused
                }
            }
            return nil
        }
    }
}
