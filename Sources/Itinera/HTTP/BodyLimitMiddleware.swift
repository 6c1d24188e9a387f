public import Hummingbird

/// Refuses bodies over the context's `maxUploadSize` with 413, before any handler reads them.
/// Bodies of the streaming paths (bulk imports) pass through unread: their handlers stream them
/// and enforce their own limit.
public struct BodyLimitMiddleware<Context: RequestContext>: RouterMiddleware {
    let streamingPaths: Set<String>

    public init(streamingPaths: Set<String> = []) {
        self.streamingPaths = streamingPaths
    }

    public func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        if request.method == .post, streamingPaths.contains(request.uri.path) {
            return try await next(request, context)
        }
        let limit = context.maxUploadSize
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw Problem.bodyTooLarge(limit: limit)
        }
        var request = request
        do {
            _ = try await request.collectBody(upTo: limit)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw Problem.bodyTooLarge(limit: limit)
        }
        return try await next(request, context)
    }
}

extension Problem {
    static func bodyTooLarge(limit: Int) -> Problem {
        Problem(
            status: .contentTooLarge,
            type: "body-too-large",
            title: "Request body too large",
            detail: "The request body is larger than the \(limit) bytes this endpoint accepts."
        )
    }
}
