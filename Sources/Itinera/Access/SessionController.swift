import Foundation
import ItineraAPI
import Logging

/// Sign-in and sign-out: `POST /v1/sessions` and `DELETE /v1/sessions/current`.
struct SessionController: Sendable {
    let store: SessionStore
    let access: AccessControl
    let hasher: PasswordHasher
    let throttle: LoginThrottle
    let sessionLifetime: Duration
    let logger: Logger

    func createSession(_ input: Operations.CreateSession.Input) async throws -> Operations.CreateSession.Output {
        guard case .json(let body) = input.body else { throw Problem.malformedBody("Expected a JSON body.") }
        let slug = body.tenant.trimmed.lowercased()
        let email = body.email.trimmed.lowercased()
        let address = RequestScope.current?.clientAddress
        try throttle.check(tenant: slug, email: email, address: address)

        let account = try await store.account(tenantSlug: slug, email: email)
        // An unknown tenant or user still costs a bcrypt verification, so timing does not tell them apart.
        let matches = try await hasher.verify(body.password, against: account?.passwordHash)
        guard let account, matches else {
            throttle.recordFailure(tenant: slug, email: email, address: address)
            logger.notice("Sign-in refused", metadata: ["tenant_slug": "\(slug)"])
            throw Problem.unauthorized("The tenant, e-mail or password is wrong.")
        }
        RequestScope.current?.setTenant(account.tenant.slug)
        guard account.tenant.state == .active else {
            throw Problem.forbidden("The tenant '\(account.tenant.slug)' is suspended.")
        }
        throttle.recordSuccess(tenant: slug, email: email)
        let token = SessionToken.generate()
        let expires = try await store.create(
            token,
            userID: account.user.id,
            tenantID: account.tenant.id,
            lifetime: sessionLifetime
        )
        return .created(.init(body: .json(.init(token: token.value, expiresAt: expires, user: account.user.api))))
    }

    func deleteCurrentSession(
        _ input: Operations.DeleteCurrentSession.Input
    ) async throws -> Operations.DeleteCurrentSession.Output {
        guard case .session(let token) = RequestScope.current?.access?.credential else {
            throw Problem.unauthorized("Signing out needs the session token as `Authorization: Bearer its_…`.")
        }
        try await access.inControl { connection, _ in
            try await SessionStore.delete(token, on: connection, logger: logger)
        }
        return .noContent(.init())
    }
}
