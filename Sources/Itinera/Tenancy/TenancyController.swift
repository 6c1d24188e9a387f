import Foundation
import ItineraAPI
import Logging
import OpenAPIRuntime
import PostgresNIO

/// Sign-up and the caller's tenant: `POST /v1/signup`, `GET` and `PATCH /v1/tenant`.
struct TenancyController: Sendable {
    let access: AccessControl
    let provisioner: TenantProvisioner
    let store: TenantStore
    let hasher: PasswordHasher
    let logger: Logger

    func signUp(_ input: Operations.SignUp.Input) async throws -> Operations.SignUp.Output {
        guard case .json(let body) = input.body else { throw Problem.malformedBody("Expected a JSON body.") }
        let signUp = try SignUpValidation.validate(
            name: body.tenant.name,
            slug: body.tenant.slug,
            kind: body.tenant.kind.rawValue,
            timezone: body.tenant.timezone,
            currency: body.tenant.currency,
            country: body.tenant.country,
            ownerEmail: body.owner.email,
            ownerPassword: body.owner.password,
            ownerName: body.owner.name
        )
        // Cheap check first so a taken slug does not cost a bcrypt hash; the unique index decides races.
        if try await store.isSlugTaken(signUp.slug) { throw Problem.slugTaken(signUp.slug) }
        let hash = try await hasher.hash(signUp.ownerPassword)
        let result = try await provisioner.provision(signUp, ownerPasswordHash: hash)
        RequestScope.current?.setTenant(result.tenant.slug)
        logger.info(
            "Tenant signed up", metadata: ["tenant": "\(result.tenant.slug)", "kind": "\(result.tenant.kind.rawValue)"])
        return .created(
            .init(
                body: .json(
                    .init(
                        tenant: try result.tenant.api(settings: Data("{}".utf8)),
                        user: result.owner.api,
                        session: .init(token: result.session.value, expiresAt: result.sessionExpiresAt)
                    )
                )
            )
        )
    }

    func getTenant(_ input: Operations.GetTenant.Input) async throws -> Operations.GetTenant.Output {
        let (tenant, settings) = try await Self.readTenant(access: access)
        return .ok(.init(body: .json(try tenant.api(settings: settings))))
    }

    /// The caller's tenant and its settings: authentication, the read and `COMMIT` in one round trip.
    /// Shared with the benchmark's `/bench/tenant-raw`, so that route measures exactly this work.
    static func readTenant(access: AccessControl) async throws -> (Tenant, Data) {
        let (principal, rows) = try await access.read([TenantSettingsStore.readSettings])
        return (principal.tenant, try TenantSettingsStore.settings(from: rows[0]))
    }

    func updateTenant(_ input: Operations.UpdateTenant.Input) async throws -> Operations.UpdateTenant.Output {
        guard case .json(let patch) = input.body else { throw Problem.malformedBody("Expected a JSON body.") }
        let name = try patch.name.map { name throws(Problem) in try SignUpValidation.displayName(name, field: "name") }
        let timezone = try patch.timezone.map { zone throws(Problem) in
            try SignUpValidation.timezone(zone, field: "timezone")
        }
        let currency = try patch.currency.map { code throws(Problem) in
            try SignUpValidation.currency(code, field: "currency")
        }
        let country = try patch.country.map { code throws(Problem) in
            try SignUpValidation.country(code, field: "country")
        }
        let settingsPatch = try patch.settings.map { try JSONEncoder().encode($0) }
        if let settingsPatch, settingsPatch.count > 64 * 1024 {
            throw Problem.invalidField("settings", "settings must be at most 64 KiB of JSON.")
        }

        let (tenant, settings) = try await access.inControl { connection, principal in
            // The profile lives in the control schema, so it changes before the transaction enters the tenant.
            let profile = try await TenantStore.updateProfile(
                tenantID: principal.tenant.id,
                name: name,
                timezone: timezone,
                currency: currency,
                country: country,
                on: connection,
                logger: logger
            )
            let tenant = try await access.enter(connection, principal: principal)
            let settings = try await TenantSettingsStore.merge(settingsPatch, on: tenant)
            try await AuditLog.record(
                principal.auditEvent(
                    action: "tenant.update",
                    targetType: "tenant",
                    targetID: profile.after.id.uuidString.lowercased(),
                    before: try Self.auditDocument(profile.before, settings: settings.before),
                    after: try Self.auditDocument(profile.after, settings: settings.after)
                ),
                on: tenant
            )
            return (profile.after, settings.after)
        }
        return .ok(.init(body: .json(try tenant.api(settings: settings))))
    }

    static func auditDocument(_ tenant: Tenant, settings: Data) throws -> Data {
        try JSONEncoder().encode(try tenant.api(settings: settings))
    }
}
