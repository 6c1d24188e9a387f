public import Foundation
public import HTTPTypes

/// An RFC 9457 problem: the one shape every error response of the API takes.
///
/// `type` is a stable reference naming the kind of problem (clients switch on it), `detail` says in
/// words what was wrong, and `field` holds the JSON path of the offending input when there is one.
public struct Problem: Error, Sendable, Equatable {
    public var status: HTTPResponse.Status
    public var type: String
    public var title: String
    public var detail: String
    public var field: String?
    public var headers: HTTPFields
    /// Extension members (RFC 9457 §3.2) a client can act on, such as the ids a conflict names.
    public var members: [String: Member] = [:]

    /// The value of an extension member.
    public enum Member: Sendable, Equatable {
        case string(String)
        case strings([String])

        var json: Any {
            switch self {
            case .string(let value): value
            case .strings(let values): values
            }
        }
    }

    public init(
        status: HTTPResponse.Status,
        type: String,
        title: String,
        detail: String,
        field: String? = nil,
        headers: HTTPFields = [:]
    ) {
        self.status = status
        self.type = "/problems/" + type
        self.title = title
        self.detail = detail
        self.field = field
        self.headers = headers
    }

    /// A field is missing or has a value the API does not accept.
    public static func invalidField(_ field: String, _ detail: String) -> Problem {
        Problem(
            status: .unprocessableContent, type: "invalid-field", title: "Invalid field", detail: detail, field: field)
    }

    /// The body could not be read as the JSON the operation expects.
    public static func malformedBody(_ detail: String) -> Problem {
        Problem(status: .badRequest, type: "malformed-body", title: "Malformed request body", detail: detail)
    }

    /// No valid credentials came with the request.
    public static func unauthorized(_ detail: String) -> Problem {
        Problem(
            status: .unauthorized,
            type: "unauthorized",
            title: "Unauthorized",
            detail: detail,
            headers: [.wwwAuthenticate: "Bearer"]
        )
    }

    /// The credentials are valid but may not do this.
    public static func forbidden(_ detail: String) -> Problem {
        Problem(status: .forbidden, type: "forbidden", title: "Forbidden", detail: detail)
    }

    /// No such resource for the caller: the same answer whether it belongs to another tenant or to
    /// none.
    /// `field` names the request's field that named it, when it came in a body rather than a path.
    public static func notFound(_ what: String, _ id: String, field: String? = nil) -> Problem {
        Problem(
            status: .notFound, type: "not-found", title: "Not found", detail: "There is no \(what) '\(id)'.",
            field: field)
    }

    /// The numeric id of a `what` in a path; text that cannot be one is as unknown as an id that
    /// names nothing.
    static func pathID(_ text: String, of what: String) throws(Problem) -> Int64 {
        guard let id = Int64(text), id > 0 else { throw Problem.notFound(what, text) }
        return id
    }

    /// The request conflicts with existing state.
    public static func conflict(_ detail: String, field: String? = nil) -> Problem {
        Problem(status: .conflict, type: "conflict", title: "Conflict", detail: detail, field: field)
    }

    /// Too many attempts; `retryAfter` seconds until the next is allowed.
    public static func tooManyRequests(_ detail: String, retryAfter: Int) -> Problem {
        Problem(
            status: .tooManyRequests,
            type: "rate-limited",
            title: "Too many requests",
            detail: detail,
            headers: [.retryAfter: String(retryAfter)]
        )
    }

    /// The database could not serve the request in time; the client may retry after `retryAfter`
    /// seconds.
    public static func databaseUnavailable(_ detail: String, retryAfter: Int = 2) -> Problem {
        Problem(
            status: .serviceUnavailable,
            type: "database-unavailable",
            title: "Database unavailable",
            detail: detail,
            headers: [.retryAfter: String(retryAfter)]
        )
    }

    /// Something failed inside the server; the detail never leaks internals.
    public static func internalError(requestID: String) -> Problem {
        Problem(
            status: .internalServerError,
            type: "internal",
            title: "Internal server error",
            detail: "The server failed to handle the request; quote request id \(requestID) when reporting it."
        )
    }

    /// The JSON body of the problem document.
    public func body(requestID: String) -> Data {
        var document: [String: Any] = [
            "type": type, "title": title, "status": Int(status.code), "detail": detail, "request_id": requestID,
        ]
        if let field { document["field"] = field }
        for (name, member) in members where document[name] == nil { document[name] = member.json }
        return (try? JSONSerialization.data(withJSONObject: document, options: [.sortedKeys])) ?? Data()
    }
}
