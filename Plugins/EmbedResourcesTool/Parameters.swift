import Yams

/// Reads each operation's path, query and header parameters (following `$ref`s into the document's
/// components) as Swift `ParameterRule` expressions, so that a parameter the generated handler could
/// not read is named in the problem the client gets.
enum Parameters {
    static func read(_ document: String) throws -> [(operation: String, rules: String)] {
        guard let root = try Yams.load(yaml: document) as? [String: Any],
            let paths = root["paths"] as? [String: Any]
        else { throw AccessRules.Failure(description: "the document has no paths") }
        let components = (root["components"] as? [String: Any]) ?? [:]
        func resolve(_ value: Any?, in section: String) -> [String: Any]? {
            guard var object = value as? [String: Any] else { return nil }
            var seen: Set<String> = []
            while let reference = object["$ref"] as? String, seen.insert(reference).inserted {
                let name = reference.split(separator: "/").last.map(String.init) ?? ""
                guard let target = (components[section] as? [String: Any])?[name] as? [String: Any] else { break }
                object = target
            }
            return object
        }
        var result: [(operation: String, rules: String)] = []
        for (_, item) in paths {
            guard let item = item as? [String: Any] else { continue }
            let shared = (item["parameters"] as? [Any]) ?? []
            for (method, value) in item where AccessRules.methods.contains(method) {
                guard let operation = value as? [String: Any], let id = operation["operationId"] as? String else {
                    continue
                }
                let parameters = (shared + ((operation["parameters"] as? [Any]) ?? [])).compactMap {
                    resolve($0, in: "parameters")
                }
                let rules = parameters.compactMap { parameter -> String? in
                    guard let name = parameter["name"] as? String, let location = parameter["in"] as? String else {
                        return nil
                    }
                    let schema = resolve(parameter["schema"], in: "schemas") ?? [:]
                    let values = (schema["enum"] as? [Any])?.map { "\"\($0)\"" }
                    let type = schema["type"] as? String ?? "string"
                    let required = (parameter["required"] as? Bool) ?? false
                    let uuid = schema["format"] as? String == "uuid"
                    let allowed = values.map { "[\($0.joined(separator: ", "))]" } ?? "nil"
                    return ".init(name: \"\(name)\", location: .\(location), required: \(required), "
                        + "integer: \(type == "integer"), uuid: \(uuid), values: \(allowed))"
                }
                result.append((id, "[\(rules.joined(separator: ", "))]"))
            }
        }
        return result.sorted { $0.operation < $1.operation }
    }
}
