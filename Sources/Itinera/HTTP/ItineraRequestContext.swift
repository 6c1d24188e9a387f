public import Hummingbird
public import NIOCore

/// The Hummingbird request context of the Itinera server.
public struct ItineraRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
    }

    /// The body limit applied by `BodyLimitMiddleware`; see `HTTPLimits`.
    public var maxUploadSize: Int { HTTPLimits.maxBodyBytes }
}

/// Request-size limits of the API.
public enum HTTPLimits {
    /// Largest request body accepted: 1 MiB.
    public static let maxBodyBytes = 1 << 20
}
