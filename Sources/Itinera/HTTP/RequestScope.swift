public import Logging
import Synchronization

/// What is known about the request being handled, reachable from anywhere below the HTTP layer
/// (the generated OpenAPI handlers do not receive the Hummingbird context).
public final class RequestScope: Sendable {
    /// The request id, taken from a well-formed `X-Request-ID` header or made here.
    public let requestID: String
    /// The client's address, for throttling; `nil` for a unix socket or in-process test client.
    public let clientAddress: String?
    private let state = Mutex<State>(State())
    private let baseLogger: Logger

    struct State {
        var tenantSlug: String?
        var access: AccessRequest?
        var authenticating = false
        var principal: Principal?
    }

    @TaskLocal public static var current: RequestScope?

    public init(requestID: String, clientAddress: String?, logger: Logger) {
        self.requestID = requestID
        self.clientAddress = clientAddress
        var logger = logger
        logger[metadataKey: "request_id"] = "\(requestID)"
        self.baseLogger = logger
    }

    /// The tenant the request turned out to act for, once credentials have named it.
    public var tenant: String? { state.withLock { $0.tenantSlug } }

    public func setTenant(_ slug: String) { state.withLock { $0.tenantSlug = slug } }

    /// The operation's access rule and the caller's credential, as `AccessMiddleware` found them.
    var access: AccessRequest? { state.withLock { $0.access } }

    func setAccess(_ access: AccessRequest) { state.withLock { $0.access = access } }

    /// Whether `AccessControl` has begun to check the caller (it may have refused them).
    var authenticating: Bool { state.withLock { $0.authenticating } }

    func setAuthenticating() { state.withLock { $0.authenticating = true } }

    /// The caller, once `AccessControl` has authenticated and authorised them.
    public var principal: Principal? { state.withLock { $0.principal } }

    func setPrincipal(_ principal: Principal) {
        state.withLock {
            $0.principal = principal
            $0.tenantSlug = principal.tenant.slug
        }
    }

    /// A logger carrying the request id and, once known, the tenant.
    public var logger: Logger {
        var logger = baseLogger
        if let tenant { logger[metadataKey: "tenant"] = "\(tenant)" }
        return logger
    }
}

/// A tenant operation's rule and the credential presented for it, still to be checked against the
/// database.
struct AccessRequest: Sendable {
    let operationID: String
    let rule: AccessRule
    let credential: Credential
}
