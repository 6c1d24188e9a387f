import Foundation
public import HTTPTypes
public import Hummingbird
public import Logging
public import PostgresNIO

/// The outermost middleware: gives each request its id and scope, echoes the id, adds HSTS to every
/// response and writes one log line per request with its outcome.
public struct RequestScopeMiddleware<Context: RequestContext & RemoteAddressRequestContext>: RouterMiddleware {
    let logger: Logger
    /// How long a request waits for a pooled connection (`ConnectionWait`).
    let connectionWait: Duration?

    public init(logger: Logger, connectionWait: Duration? = ConnectionWait.requestDefault) {
        self.logger = logger
        self.connectionWait = connectionWait
    }

    public func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let started = ContinuousClock.now
        let scope = RequestScope(
            requestID: Self.requestID(from: request.headers[.requestID]),
            clientAddress: context.remoteAddress?.ipAddress,
            logger: logger
        )
        var response: Response
        do {
            // Its database work waits a bounded time for a connection (then a 503).
            response = try await ConnectionWait.$limit.withValue(connectionWait) {
                try await RequestScope.$current.withValue(scope) {
                    try await next(request, context)
                }
            }
        } catch {
            // ProblemMiddleware renders every error; anything reaching here escaped it.
            scope.logger.error("Unhandled error", metadata: ["error": "\(error)"])
            response = Response(status: .internalServerError)
        }
        response.headers[.requestID] = scope.requestID
        response.headers[.strictTransportSecurity] = "max-age=31536000; includeSubDomains"
        let elapsed = ContinuousClock.now - started
        scope.logger.info(
            "request",
            metadata: [
                "method": "\(request.method.rawValue)",
                "path": "\(request.uri.path)",
                "status": "\(response.status.code)",
                "duration_ms": "\(String(format: "%.3f", elapsed.milliseconds))",
            ]
        )
        return response
    }

    /// Keeps a caller's request id when it is short and plain, so ids can be traced across systems.
    static func requestID(from header: String?) -> String {
        if let header, (1...128).contains(header.utf8.count),
            header.utf8.allSatisfy({ $0 < 128 && (isalnum(Int32($0)) != 0 || "-_.:".utf8.contains($0)) })
        {
            return header
        }
        return UUID().uuidString.lowercased()
    }
}

extension HTTPField.Name {
    /// `X-Request-ID`, echoed on every response.
    public static let requestID = Self("X-Request-ID")!
}
