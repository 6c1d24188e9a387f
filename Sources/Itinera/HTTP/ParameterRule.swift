import Foundation
import HTTPTypes
import Hummingbird

/// One parameter of an operation as the OpenAPI document states it (`embeddedParameterRules`): used
/// when the generated handler could not read a request, to name the parameter at fault.
struct ParameterRule: Sendable {
    enum Location: Sendable { case path, query, header, cookie }

    let name: String
    let location: Location
    let required: Bool
    let integer: Bool
    let uuid: Bool
    /// The allowed values, when the schema lists them.
    let values: [String]?

    /// What is wrong with `value` (the parameter as the request gave it), or `nil` when nothing is.
    func fault(of value: Substring?) -> String? {
        guard let value else { return required ? "The parameter `\(name)` is required." : nil }
        if let values, !values.contains(String(value)) {
            return "The parameter `\(name)` must be one of \(values.joined(separator: ", ")); it was '\(value)'."
        }
        if integer, Int64(value) == nil {
            return "The parameter `\(name)` must be an integer; it was '\(value)'."
        }
        if uuid, UUID(uuidString: String(value)) == nil {
            return "The parameter `\(name)` must be a UUID; it was '\(value)'."
        }
        return nil
    }

    /// The problem for the first parameter of `operationID` that `request` got wrong, if any.
    static func problem(operationID: String, request: Request) -> Problem? {
        guard let rules = embeddedParameterRules[operationID] else { return nil }
        let template = embeddedOperations.first { $0.operation == operationID }?.path ?? ""
        for rule in rules {
            let value: Substring?
            switch rule.location {
            case .query: value = request.uri.queryParameters[rule.name[...]]
            case .header: value = HTTPField.Name(rule.name).flatMap { request.headers[$0] }.map { $0[...] }
            case .path: value = pathValue(rule.name, template: template, path: request.uri.path)
            case .cookie: value = nil
            }
            if let fault = rule.fault(of: value) {
                return Problem(
                    status: .badRequest, type: "invalid-parameter", title: "Invalid parameter", detail: fault,
                    field: rule.name)
            }
        }
        return nil
    }

    static func pathValue(_ name: String, template: String, path: String) -> Substring? {
        let names = template.split(separator: "/")
        let values = path.split(separator: "/")
        guard names.count == values.count, let index = names.firstIndex(of: "{\(name)}"[...]) else { return nil }
        return values[index].removingPercentEncoding.map { $0[...] }
    }
}
