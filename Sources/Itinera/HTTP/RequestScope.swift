public import Logging
import Synchronization

/// What is known about the request being handled, reachable from anywhere below the HTTP layer
/// (the generated OpenAPI handlers do not receive the Hummingbird context).
public final class RequestScope: Sendable {
    /// The request id, taken from a well-formed `X-Request-ID` header or made here.
    public let requestID: String
    /// The client's address, for throttling; `nil` for a unix socket or in-process test client.
    public let clientAddress: String?
    /// The `Authorization` header, read by the operations that need a credential.
    public let authorization: String?
    private let tenantSlug = Mutex<String?>(nil)
    private let baseLogger: Logger

    @TaskLocal public static var current: RequestScope?

    public init(requestID: String, clientAddress: String?, authorization: String?, logger: Logger) {
        self.requestID = requestID
        self.clientAddress = clientAddress
        self.authorization = authorization
        var logger = logger
        logger[metadataKey: "request_id"] = "\(requestID)"
        self.baseLogger = logger
    }

    /// The tenant the request turned out to act for, once credentials have named it.
    public var tenant: String? { tenantSlug.withLock { $0 } }

    public func setTenant(_ slug: String) { tenantSlug.withLock { $0 = slug } }

    /// A logger carrying the request id and, once known, the tenant.
    public var logger: Logger {
        var logger = baseLogger
        if let tenant { logger[metadataKey: "tenant"] = "\(tenant)" }
        return logger
    }
}
