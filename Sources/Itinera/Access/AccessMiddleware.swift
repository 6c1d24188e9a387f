import Crypto
import Foundation
import HTTPTypes
import Logging
import OpenAPIRuntime

/// Enforces `AccessTable` for every operation of the API.
///
/// An operation without a rule is refused. A public operation passes. A platform operation needs the
/// operator token, checked here. A tenant operation needs a well-formed session token or API key; an
/// API key on an operation that refuses keys is a 403 here, and everything that needs the database
/// (is the credential live, which role or scopes, is the tenant active) is checked against the same
/// rule by `AccessControl` in the first statement of the operation's own transaction, so revocation
/// and suspension take effect at once on every instance without an extra round trip. An operation
/// that answers without that check having run is a server fault, not a success. An operation that
/// fails before its transaction began (its input was refused) has the caller checked on its own, so
/// a caller without access learns only that.
struct AccessMiddleware: ServerMiddleware {
    /// SHA-256 of the platform operator token; `nil` when none is configured.
    let platformTokenHash: Data?
    /// Checks the caller on its own (`AccessControl.check`), throwing their refusal.
    let checkCaller: @Sendable () async throws -> Void
    let logger: Logger

    init(platformToken: String?, checkCaller: @escaping @Sendable () async throws -> Void, logger: Logger) {
        self.platformTokenHash = platformToken.map { Data(SHA256.hash(data: Data($0.utf8))) }
        self.checkCaller = checkCaller
        self.logger = logger
    }

    func intercept(
        _ request: HTTPRequest,
        body: HTTPBody?,
        metadata: ServerRequestMetadata,
        operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        guard let rule = AccessTable.rules[operationID] else {
            logger.critical("Operation without an access rule refused", metadata: ["operation": "\(operationID)"])
            throw Problem.forbidden("The operation \(operationID) has no access rule, so it is refused.")
        }
        try Credential.refuseInQuery(request.path ?? "")
        switch rule.audience {
        case .everyone:
            return try await next(request, body, metadata)
        case .platformOperator:
            try checkPlatformToken(request.headerFields[.authorization])
            return try await next(request, body, metadata)
        case .tenant:
            let credential = try Credential.parse(header: request.headerFields[.authorization])
            if case .apiKey = credential, rule.keys == .refused {
                throw Problem.forbidden("API keys may not call \(operationID); it needs an admin session.")
            }
            guard let scope = RequestScope.current else {
                throw Problem.unauthorized("The request has no scope to authenticate in.")
            }
            scope.setAccess(AccessRequest(operationID: operationID, rule: rule, credential: credential))
            let answer: (HTTPResponse, HTTPBody?)
            do {
                answer = try await next(request, body, metadata)
            } catch {
                if !scope.authenticating, Self.refusesInput(error) { try await checkCaller() }
                throw error
            }
            guard scope.principal != nil else {
                logger.critical("Operation answered without authenticating", metadata: ["operation": "\(operationID)"])
                throw AccessFault.answeredWithoutAuthentication(operationID)
            }
            return answer
        }
    }

    /// Whether `error` refuses the request's input (a problem of the 4xx kind, or input the generated
    /// decoder could not read), rather than saying the server could not serve it.
    static func refusesInput(_ error: any Error) -> Bool {
        switch error {
        case let problem as Problem: problem.status.kind == .clientError
        case let serverError as ServerError:
            serverError.operationInput == nil || refusesInput(serverError.underlyingError)
        case is DecodingError: true
        default: false
        }
    }

    private func checkPlatformToken(_ header: String?) throws(Problem) {
        guard let platformTokenHash else {
            throw .forbidden("Platform operations are disabled: the server has no platform operator token.")
        }
        guard let header, header.lowercased().hasPrefix("bearer ") else {
            throw .unauthorized("Platform operations need `Authorization: Bearer <platform operator token>`.")
        }
        let presented = Data(SHA256.hash(data: Data(header.dropFirst(7).trimmingCharacters(in: .whitespaces).utf8)))
        guard constantTimeEquals(presented, platformTokenHash) else {
            throw .unauthorized("The platform operator token is wrong.")
        }
    }
}

/// A programming error the access layer caught.
enum AccessFault: Error {
    case answeredWithoutAuthentication(String)
}
