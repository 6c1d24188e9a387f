import Foundation
import HTTPTypes
import OpenAPIRuntime

/// Refuses a JSON request body holding `null` where the operation's schema does not allow it, with a
/// 422 naming the field (see `NullRule`). Only a body that holds the word `null` somewhere is parsed
/// here; the others pass untouched.
struct NullCheckMiddleware: ServerMiddleware {
    let rules: [String: NullRule]

    init(rules: [String: NullRule] = embeddedRequestNullRules) {
        self.rules = rules
    }

    func intercept(
        _ request: HTTPRequest,
        body: HTTPBody?,
        metadata: ServerRequestMetadata,
        operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        guard let rule = rules[operationID], let body,
            request.headerFields[.contentType]?.lowercased().contains("json") == true
        else { return try await next(request, body, metadata) }
        // The body is already in memory (BodyLimitMiddleware read it within the upload limit).
        let bytes = try await Data(collecting: body, upTo: .max)
        if bytes.range(of: Data("null".utf8)) != nil,
            let value = try? JSONSerialization.jsonObject(with: bytes, options: [.fragmentsAllowed]),
            let field = rule.firstRefusedNull(in: value)
        {
            if field.isEmpty { throw Problem.malformedBody("The request body is `null`; send a JSON object.") }
            throw Problem.invalidField(
                field, "`\(field)` is null, which it may not be: leave it out to leave it unset, or give a value.")
        }
        return try await next(request, HTTPBody(bytes), metadata)
    }
}
