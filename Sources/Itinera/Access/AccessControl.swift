import Foundation
public import Logging
public import PostgresNIO

/// Authenticates and authorises the caller of a tenant operation inside the operation's own
/// transaction, against the rule `AccessMiddleware` found for it.
///
/// The first statement of the transaction looks the credential up (a live session or an unrevoked
/// key of an existing tenant) and, in the same round trip, enters the tenant. Then, in this order:
/// the key's secret (compared in constant time) and expiry, the tenant's state (403 when suspended),
/// the role or scope the operation's rule asks for (403), and the rate limits (429). Any refusal
/// rolls the transaction back.
public struct AccessControl: Sendable {
    let client: PQPool
    let limiter: RateLimiter
    let usage: APIKeyUsage?
    /// The country each credential's tenant had when last seen (see `CredentialHints`).
    let hints = CredentialHints()
    let logger: Logger

    public init(client: PQPool, limiter: RateLimiter, usage: APIKeyUsage?, logger: Logger) {
        self.client = client
        self.limiter = limiter
        self.usage = usage
        self.logger = logger
    }

    /// Runs `body` in the caller's tenant.
    public func inTenant<Result: Sendable>(
        isolation: TransactionIsolation = .readCommitted,
        _ body: (TenantConnection, Principal) async throws -> Result
    ) async throws -> Result {
        try await withAffinity {
            try await TenantTransaction.run(client, logger: logger, isolation: isolation) { connection in
                let principal = try await authenticate(on: connection, enter: true)
                return (principal.tenant.identity, principal)
            } _: { tenant, principal in
                try await body(tenant, principal)
            }
        }
    }

    /// Runs `body` in a transaction that has authenticated the caller but not yet entered the tenant,
    /// for work on the control schema first; `body` enters with `enter(_:principal:)`.
    public func inControl<Result: Sendable>(
        _ body: (PQConnection, Principal) async throws -> Result
    ) async throws -> Result {
        try await withAffinity {
            try await client.transaction(logger: logger) { connection in
                let principal = try await authenticate(on: connection, enter: false)
                return try await body(connection, principal)
            }
        }
    }

    /// Enters the principal's tenant on a connection `inControl` handed out.
    public func enter(_ connection: PQConnection, principal: Principal) async throws -> TenantConnection {
        try await TenantTransaction.enter(connection, tenant: principal.tenant.identity, logger: logger)
    }

    /// Checks the caller in a statement of its own, for an operation that failed before its
    /// transaction could (bad input is refused before the database is asked): a caller the rule does
    /// not admit gets the 401 or 403, not a description of what was wrong with their input.
    func check() async throws {
        try await withAffinity {
            try await client.withConnection(waitingAtMost: ConnectionWait.limit) { connection in
                _ = try await authenticate(on: connection, enter: false)
            }
        }
    }

    func authenticate(on connection: PQConnection, enter: Bool) async throws -> Principal {
        // Without a request checked by AccessMiddleware there is nothing to authenticate: fail closed.
        guard let scope = RequestScope.current, let access = scope.access else {
            throw Problem.unauthorized("This operation needs an `Authorization: Bearer <token>` header.")
        }
        scope.setAuthenticating()
        let principal: Principal
        switch access.credential {
        case .session(let token):
            principal = try await SessionStore.authenticate(token, on: connection, enter: enter, logger: logger)
        case .apiKey(let key):
            principal = try await APIKeyStore.authenticate(key, on: connection, enter: enter, logger: logger)
        }
        try admit(principal, for: access, scope: scope)
        return principal
    }

    /// The checks after the credential was found: the tenant's state, the rule's role or scope, the
    /// rate limits; then the caller is the request's principal.
    func admit(_ principal: Principal, for access: AccessRequest, scope: RequestScope) throws {
        scope.setTenant(principal.tenant.slug)
        guard principal.tenant.state == .active else {
            throw Problem.forbidden("The tenant '\(principal.tenant.slug)' is suspended.")
        }
        try access.rule.authorize(principal, operation: access.operationID)
        var keyID: UUID?
        if case .apiKey(let id, _) = principal.actor { keyID = id }
        try limiter.admit(tenant: principal.tenant.id, key: keyID)
        if let keyID { usage?.record(keyID) }
        hints.remember(.init(tenant: principal.tenant.id, country: principal.tenant.country), for: access.credential)
        scope.setPrincipal(principal)
    }

    /// The country of the tenant the request's credential named when last seen in this process.
    public var guessedCountry: String? {
        RequestScope.current?.access.flatMap { hints.hint(for: $0.credential)?.country }
    }

    /// Runs `body` with the pool preferring the connections of the tenant the request's credential
    /// named when last seen (see `PQPool.affinity`).
    func withAffinity<Result: Sendable>(_ body: () async throws -> Result) async throws -> Result {
        let tenant = RequestScope.current?.access.flatMap { hints.hint(for: $0.credential)?.tenant }
        return try await PQPool.$affinity.withValue(tenant, operation: body)
    }
}
