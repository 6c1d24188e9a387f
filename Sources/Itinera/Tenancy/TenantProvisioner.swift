public import Foundation
public import Logging
public import PostgresNIO

/// Creates a tenant in one transaction: its control row, its NOLOGIN role and schema with the full
/// tenant DDL, its owner and the owner's first session. Any failure rolls all of it back, so a
/// half-made tenant never exists.
public struct TenantProvisioner: Sendable {
    /// The points at which provisioning can be made to fail, for proving that nothing is left behind.
    public enum Step: Sendable, CaseIterable {
        case tenantRow, schema, owner, session
    }

    /// An error injected after a step.
    public struct InjectedFailure: Error, Equatable {
        public let after: Step

        public init(after: Step) {
            self.after = after
        }
    }

    /// What sign-up returns.
    public struct Result: Sendable {
        public let tenant: Tenant
        public let owner: TenantUser
        public let session: SessionToken
        public let sessionExpiresAt: Date
    }

    let client: PostgresClient
    let migrations: MigrationSet
    let sessionLifetime: Duration
    let logger: Logger
    let failAfter: Step?

    public init(
        client: PostgresClient,
        migrations: MigrationSet,
        sessionLifetime: Duration,
        logger: Logger,
        failAfter: Step? = nil
    ) {
        self.client = client
        self.migrations = migrations
        self.sessionLifetime = sessionLifetime
        self.logger = logger
        self.failAfter = failAfter
    }

    /// Provisions the tenant described by `signUp` whose owner's password is already hashed, under a
    /// new random identity unless one is given.
    public func provision(
        _ signUp: ValidSignUp,
        ownerPasswordHash: String,
        identity: TenantIdentity = .make()
    ) async throws -> Result {
        let now = Date()
        let tenant = Tenant(
            id: identity.id,
            slug: signUp.slug,
            name: signUp.name,
            kind: signUp.kind,
            timezone: signUp.timezone,
            currency: signUp.currency,
            state: .active,
            createdAt: now,
            identity: identity
        )
        let owner = TenantUser(
            id: UUID(),
            tenantID: tenant.id,
            email: signUp.ownerEmail,
            name: signUp.ownerName,
            role: .owner,
            createdAt: now
        )
        let token = SessionToken.generate()
        let script = TenantSchemaScript.provision(schema: identity.schema, role: identity.role, migrations: migrations)
        let expires = try await client.transaction(logger: logger) { connection -> Date in
            try await TenantStore.insert(
                tenant,
                schemaVersion: migrations.latestTenantVersion,
                on: connection,
                logger: logger
            )
            try check(.tenantRow)
            try await connection.execute("SELECT itinera.run_script(\(script))", logger: logger)
            try check(.schema)
            try await TenantStore.insert(owner, passwordHash: ownerPasswordHash, on: connection, logger: logger)
            try check(.owner)
            let expires = try await SessionStore.insert(
                token,
                userID: owner.id,
                tenantID: tenant.id,
                lifetime: sessionLifetime,
                on: connection,
                logger: logger
            )
            try check(.session)
            return expires
        }
        return Result(tenant: tenant, owner: owner, session: token, sessionExpiresAt: expires)
    }

    private func check(_ step: Step) throws {
        if step == failAfter { throw InjectedFailure(after: step) }
    }
}
