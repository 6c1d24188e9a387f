import Foundation
import Yams

// Writes a Swift file holding every `sql/<scope>/NNNN_name.sql` file as a raw string literal, the
// OpenAPI document as another, and the access table read from the document's `security`.
// Usage: itinera-embed-resources <sql directory> <openapi.yaml> <output swift file>
let arguments = CommandLine.arguments
guard arguments.count == 4 else {
    FileHandle.standardError.write(
        Data("usage: itinera-embed-resources <sql-dir> <openapi.yaml> <output.swift>\n".utf8))
    exit(64)
}
let root = URL(fileURLWithPath: arguments[1])
let openAPI = try String(contentsOf: URL(fileURLWithPath: arguments[2]), encoding: .utf8)
let output = URL(fileURLWithPath: arguments[3])

func literal(_ text: String) -> String {
    // A raw string delimiter longer than any run of '#' in the text keeps it verbatim.
    var delimiter = "#"
    while text.contains("\"" + delimiter) { delimiter += "#" }
    return "\(delimiter)\"\"\"\n\(text)\n\"\"\"\(delimiter)"
}
let fileManager = FileManager.default

var entries: [String] = []
for scope in ["control", "tenant"] {
    let directory = root.appendingPathComponent(scope)
    let names = ((try? fileManager.contentsOfDirectory(atPath: directory.path)) ?? [])
        .filter { $0.hasSuffix(".sql") }
        .sorted()
    for name in names {
        let text = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
        entries.append("    .init(scope: \"\(scope)\", fileName: \"\(name)\", sql: \(literal(text))),")
    }
}

let rules: [String]
let operations: [String]
let pathMethods: [String]
let nullSchemas: [String]
let nullOperations: [String]
let parameters: [String]
do {
    let read = try AccessRules.read(openAPI)
    rules = read.map { "    \"\($0.operation)\": \($0.rule)," }
    operations = read.map { "    (\"\($0.operation)\", \"\($0.method)\", \"\($0.path)\")," }
    pathMethods = try AccessRules.methods(openAPI).map { path, methods in
        "    (\"\(path)\", [\(methods.map { "\"\($0)\"" }.joined(separator: ", "))]),"
    }
    let nulls = try NullRules.read(openAPI)
    nullSchemas = nulls.schemas.map { "    \"\($0.0)\": \($0.1)," }
    nullOperations = nulls.operations.map { "    \"\($0.0)\": \($0.1)," }
    parameters = try Parameters.read(openAPI).map { "    \"\($0.operation)\": \($0.rules)," }
} catch {
    FileHandle.standardError.write(Data("error: \(arguments[2]): \(error)\n".utf8))
    exit(1)
}

let source = """
    // Generated from the package's sql/ directory and openapi.yaml by the EmbedResources build plugin.
    // Do not edit.

    /// One SQL migration file as it appears under `sql/<scope>/`.
    struct EmbeddedSQLFile: Sendable {
        let scope: String
        let fileName: String
        let sql: String
    }

    /// Every migration file of the package, ordered by scope and file name.
    let embeddedSQLFiles: [EmbeddedSQLFile] = [
    \(entries.joined(separator: "\n"))
    ]

    /// The OpenAPI document served at `/openapi.yaml`.
    let embeddedOpenAPIDocument = \(literal(openAPI))

    /// Each path template of the OpenAPI document with its methods (for `405 Method Not Allowed`).
    let embeddedPathMethods: [(path: String, methods: [String])] = [
    \(pathMethods.joined(separator: "\n"))
    ]

    /// Each operation of the OpenAPI document: its id, upper-case method and path template.
    let embeddedOperations: [(operation: String, method: String, path: String)] = [
    \(operations.joined(separator: "\n"))
    ]

    /// Each operation's rule, from its `security` in the OpenAPI document (see `AccessTable`).
    let embeddedAccessRules: [String: AccessRule] = [
    \(rules.joined(separator: "\n"))
    ]

    /// Where each component schema of the document allows `null` (see `NullRule`).
    let embeddedNullSchemas: [String: NullRule] = [
    \(nullSchemas.joined(separator: "\n"))
    ]

    /// Where each operation's JSON request body allows `null`.
    let embeddedRequestNullRules: [String: NullRule] = [
    \(nullOperations.joined(separator: "\n"))
    ]

    /// Each operation's parameters, to name the one a request got wrong (see `ParameterRule`).
    let embeddedParameterRules: [String: [ParameterRule]] = [
    \(parameters.joined(separator: "\n"))
    ]

    """
let existing = try? String(contentsOf: output, encoding: .utf8)
if existing != source {
    try source.write(to: output, atomically: true, encoding: .utf8)
}
