public import Foundation
public import Logging
public import PostgresNIO

/// Creates a tenant in one transaction: its control row, its NOLOGIN role and schema with the full
/// tenant DDL (claimed ready-made from the `SpareSchemaPool` when one is ready, built on the spot
/// otherwise), its owner and the owner's first session. Any failure rolls all of it back, so a
/// half-made tenant never exists and a claimed spare returns to the pool.
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

    let client: PQPool
    let migrations: MigrationSet
    let sessionLifetime: Duration
    let logger: Logger
    let spares: SpareSchemaPool?
    let failAfter: Step?

    public init(
        client: PQPool,
        migrations: MigrationSet,
        sessionLifetime: Duration,
        logger: Logger,
        spares: SpareSchemaPool? = nil,
        failAfter: Step? = nil
    ) {
        self.client = client
        self.migrations = migrations
        self.sessionLifetime = sessionLifetime
        self.logger = logger
        self.spares = spares
        self.failAfter = failAfter
    }

    /// Provisions the tenant described by `signUp` whose owner's password is already hashed. The
    /// tenant gets a ready spare schema when the pool has one, or a schema built now; passing
    /// `identity` builds one with that name.
    public func provision(
        _ signUp: ValidSignUp,
        ownerPasswordHash: String,
        identity requested: TenantIdentity? = nil
    ) async throws -> Result {
        let now = Date()
        let tenantID = requested?.id ?? UUID()
        let ownerID = UUID()
        let token = SessionToken.generate()
        let (tenant, expires) = try await client.transaction(logger: logger) { connection -> (Tenant, Date) in
            let spare =
                requested == nil && spares != nil
                ? try await SpareSchemaPool.claim(
                    latestVersion: migrations.latestTenantVersion, on: connection, logger: logger)
                : nil
            let identity =
                spare.map { TenantIdentity(id: tenantID, schema: $0.schema, role: $0.role) }
                ?? requested ?? TenantIdentity.make(id: tenantID)
            let tenant = Tenant(
                id: tenantID,
                slug: signUp.slug,
                name: signUp.name,
                kind: signUp.kind,
                timezone: signUp.timezone,
                currency: signUp.currency,
                state: .active,
                createdAt: now,
                identity: identity,
                country: signUp.country
            )
            try await TenantStore.insert(
                tenant, schemaVersion: migrations.latestTenantVersion, on: connection, logger: logger)
            try check(.tenantRow)
            if spare == nil {
                try await TenantSchemaScript.provision(identity, migrations: migrations, on: connection, logger: logger)
            }
            try check(.schema)
            try await TenantStore.insert(
                Self.owner(ownerID, of: tenant, signUp: signUp, at: now),
                passwordHash: ownerPasswordHash,
                on: connection,
                logger: logger
            )
            try check(.owner)
            let expires = try await SessionStore.insert(
                token, userID: ownerID, tenantID: tenantID, lifetime: sessionLifetime, on: connection, logger: logger)
            try check(.session)
            return (tenant, expires)
        }
        spares?.requestRefill()
        return Result(
            tenant: tenant,
            owner: Self.owner(ownerID, of: tenant, signUp: signUp, at: now),
            session: token,
            sessionExpiresAt: expires
        )
    }

    static func owner(_ id: UUID, of tenant: Tenant, signUp: ValidSignUp, at date: Date) -> TenantUser {
        TenantUser(
            id: id, tenantID: tenant.id, email: signUp.ownerEmail, name: signUp.ownerName, role: .owner, createdAt: date
        )
    }

    private func check(_ step: Step) throws {
        if step == failAfter { throw InjectedFailure(after: step) }
    }
}
