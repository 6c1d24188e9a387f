import Foundation
public import Hummingbird
import OpenAPIRuntime
import PostgresNIO

/// Turns every error into an `application/problem+json` response: problems as they are, unknown
/// routes, malformed bodies and wrong fields as 4xx with the field named, and anything unexpected as
/// a logged 500 whose body says nothing of the server's internals.
public struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let scope = RequestScope.current
            let requestID = scope?.requestID ?? "unknown"
            let problem =
                Self.problem(for: error, request: request)
                ?? {
                    scope?.logger.error(
                        "Request failed",
                        metadata: ["error": "\(Self.logDescription(of: error))", "path": "\(request.uri.path)"]
                    )
                    return Problem.internalError(requestID: requestID)
                }()
            var headers = problem.headers
            headers[.contentType] = "application/problem+json"
            return Response(
                status: problem.status,
                headers: headers,
                body: .init(byteBuffer: ByteBuffer(data: problem.body(requestID: requestID)))
            )
        }
    }

    /// What the log says of a server fault: the underlying error in full (a database error with its
    /// server message), never the request with its headers, which carry credentials.
    static func logDescription(of error: any Error) -> String {
        if let serverError = error as? ServerError {
            return "\(serverError.operationID): \(logDescription(of: serverError.underlyingError))"
        }
        return String(reflecting: error)
    }

    /// The problem an error stands for, or `nil` when it is a server fault.
    static func problem(for error: any Error, request: Request) -> Problem? {
        switch error {
        case let problem as Problem:
            return problem
        case let serverError as ServerError:
            if let problem = serverError.underlyingError as? Problem { return problem }
            // No operation input means the request never got past decoding: the client's fault, in a
            // parameter (named when the document's rules find it) or in the body.
            if serverError.operationInput == nil,
                let problem = ParameterRule.problem(operationID: serverError.operationID, request: request)
            {
                return problem
            }
            if let problem = problem(for: serverError.underlyingError, request: request) {
                return problem
            }
            if serverError.operationInput == nil {
                return .malformedBody(serverError.causeDescription)
            }
            return nil
        case let decoding as DecodingError:
            return problem(for: decoding)
        case is CancellationError:
            // Its work was cancelled (the server stopping gives up on it): a retry will be served.
            return .databaseUnavailable("The request was cancelled before it finished. Retry shortly.")
        case let unavailable as DatabaseUnavailable:
            return .databaseUnavailable("\(unavailable.description) Retry shortly.")
        case let database as PQError:
            return problem(for: database)
        case let failure as PQPipelineFailure:
            return problem(for: failure.error)
        case let http as HTTPError:
            switch http.status {
            case .notFound:
                if let allowed = AllowedMethods.methods(for: request.uri.path) {
                    return Problem(
                        status: .methodNotAllowed,
                        type: "method-not-allowed",
                        title: "Method not allowed",
                        detail:
                            "\(request.uri.path) does not take \(request.method.rawValue); it takes \(allowed.joined(separator: ", ")).",
                        headers: [.allow: allowed.joined(separator: ", ")]
                    )
                }
                return Problem(
                    status: .notFound,
                    type: "not-found",
                    title: "Not found",
                    detail: "There is no \(request.method.rawValue) \(request.uri.path)."
                )
            case .contentTooLarge:
                return .bodyTooLarge(limit: HTTPLimits.maxBodyBytes)
            default:
                return Problem(
                    status: http.status,
                    type: "http-\(http.status.code)",
                    title: http.status.reasonPhrase,
                    detail: http.body ?? http.status.reasonPhrase
                )
            }
        default:
            return nil
        }
    }

    /// A 503 for a database error that passes with time or an operator (a lock not granted in time, a
    /// deadlock, a server shutting down or refusing connections, a broken connection, a full disk),
    /// a 422 for text holding a
    /// NUL character; `nil` for the others, which are faults.
    static func problem(for error: PQError) -> Problem? {
        guard let state = error.sqlState else {
            return .databaseUnavailable("The database connection failed. Retry shortly.")
        }
        return problem(sqlState: state)
    }

    static func problem(sqlState state: String) -> Problem? {
        let passing: [String: String] = [
            "55P03": "A row or table the request needs stayed locked by other work too long.",
            "40P01": "The request deadlocked with other work.",
            "40001": "The request collided with concurrent work.",
            "57014": "The database cancelled the statement.",
            "57P01": "The database is shutting down.",
            "57P02": "The database is restarting.",
            "57P03": "The database is not accepting connections yet.",
            "53300": "The database has no connection to spare.",
            "53100": "The database is out of disk space; the operator is needed.",
            "53200": "The database is out of memory.",
        ]
        if let detail = passing[state] ?? (state.hasPrefix("08") ? "The database connection failed." : nil) {
            return .databaseUnavailable("\(detail) Retry shortly.")
        }
        // Text PostgreSQL cannot store: the NUL character, which the contract excludes.
        if state == "22021" || state == "22P05" {
            return .invalidField("", "Text must not contain the NUL character (U+0000).")
        }
        return nil
    }

    static func problem(for error: DecodingError) -> Problem {
        func path(_ codingPath: [any CodingKey], appending key: (any CodingKey)? = nil) -> String {
            (codingPath + (key.map { [$0] } ?? [])).map { key in
                key.intValue.map { "[\($0)]" } ?? key.stringValue
            }.joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case .keyNotFound(let key, let context):
            let field = path(context.codingPath, appending: key)
            return .invalidField(field, "\(field) is required.")
        case .valueNotFound(_, let context):
            let field = path(context.codingPath)
            return .invalidField(field, "\(field) must not be null.")
        case .typeMismatch(let type, let context):
            let field = path(context.codingPath)
            return .invalidField(field, "\(field) must be \(Self.describe(type)).")
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                return .malformedBody(
                    "The request does not match the contract (a body that is not valid JSON, or a parameter value "
                        + "it does not allow): \(context.debugDescription)")
            }
            let field = path(context.codingPath)
            return .invalidField(field, "\(field) has an invalid value: \(context.debugDescription)")
        @unknown default:
            return .malformedBody("The request body could not be read.")
        }
    }

    static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Int64.Type, is Int32.Type: "an integer"
        case is Double.Type, is Float.Type: "a number"
        case is Bool.Type: "a boolean"
        default: "an object or array of the documented shape"
        }
    }
}
