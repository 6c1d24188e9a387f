import Foundation
public import Hummingbird

/// Reads a request body sent with another name for a media type as the one the contract declares,
/// for the paths that accept such aliases (an import's NDJSON, declared as bytes).
public struct MediaTypeAliasMiddleware<Context: RequestContext>: RouterMiddleware {
    /// By path: the alias and the declared media type it stands for.
    let aliases: [String: [String: String]]

    public init(aliases: [String: [String: String]]) {
        self.aliases = aliases
    }

    public func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard let names = aliases[request.uri.path], let given = request.headers[.contentType] else {
            return try await next(request, context)
        }
        let bare = given.split(separator: ";", maxSplits: 1)[0].trimmingCharacters(in: .whitespaces).lowercased()
        guard let declared = names[bare] else { return try await next(request, context) }
        var head = request.head
        head.headerFields[.contentType] = declared
        return try await next(Request(head: head, body: request.body), context)
    }
}
