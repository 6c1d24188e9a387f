import Foundation
import ItineraAPI
import Logging

/// A tenant's users: `GET`/`POST /v1/users`, `PATCH`/`DELETE /v1/users/{id}` and
/// `POST /v1/invitations/accept`.
struct UserController: Sendable {
    let access: AccessControl
    let hasher: PasswordHasher
    let invitationLifetime: Duration
    let sessionLifetime: Duration
    let logger: Logger

    func listUsers(_ input: Operations.ListUsers.Input) async throws -> Operations.ListUsers.Output {
        let page = try PageRequest(limit: input.query.limit, cursor: input.query.cursor)
        let users = try await access.inControl { connection, principal in
            try await UserStore.list(tenantID: principal.tenant.id, page: page, on: connection, logger: logger)
        }
        let shown = users.prefix(page.limit)
        return .ok(
            .init(
                body: .json(
                    .init(
                        items: shown.map(\.api),
                        nextCursor: users.count > page.limit ? PageRequest.cursor([shown.last!.email]) : nil
                    )
                )
            )
        )
    }

    func inviteUser(_ input: Operations.InviteUser.Input) async throws -> Operations.InviteUser.Output {
        guard case .json(let body) = input.body else { throw Problem.malformedBody("Expected a JSON body.") }
        let email = try SignUpValidation.email(body.email, field: "email")
        let name = try SignUpValidation.displayName(body.name, field: "name")
        let role = try Self.role(body.role.rawValue, field: "role")
        let token = InvitationToken.generate()
        let expires = Date().addingTimeInterval(TimeInterval(invitationLifetime.components.seconds))
        let user = try await access.inControl { connection, principal in
            if role == .owner, principal.role != .owner {
                throw Problem.forbidden("Only an owner may invite an owner.")
            }
            let user = try await UserStore.invite(
                email: email, name: name, role: role, tenantID: principal.tenant.id, token: token, expiresAt: expires,
                on: connection, logger: logger)
            let tenant = try await access.enter(connection, principal: principal)
            try await AuditLog.record(
                principal.auditEvent(
                    action: "user.invite", targetType: "user", targetID: user.auditID, before: nil,
                    after: user.auditJSON),
                on: tenant
            )
            return user
        }
        return .created(
            .init(body: .json(.init(user: user.api, invitation: .init(token: token.value, expiresAt: expires)))))
    }

    func updateUser(_ input: Operations.UpdateUser.Input) async throws -> Operations.UpdateUser.Output {
        guard case .json(let patch) = input.body else { throw Problem.malformedBody("Expected a JSON body.") }
        let name = try patch.name.map { name throws(Problem) in try SignUpValidation.displayName(name, field: "name") }
        let role = try patch.role.map { role throws(Problem) in try Self.role(role.rawValue, field: "role") }
        let id = UUID(uuidString: input.path.id)
        let user = try await access.inControl { connection, principal in
            let owners = try await UserStore.lockOwners(tenantID: principal.tenant.id, on: connection, logger: logger)
            guard let id,
                let before = try await UserStore.find(
                    id: id, tenantID: principal.tenant.id, on: connection, logger: logger)
            else { throw Problem.notFound("user", input.path.id) }
            if before.role == .owner || role == .owner, principal.role != .owner {
                throw Problem.forbidden("Only an owner may change an owner or make one.")
            }
            if before.role == .owner, before.state == .active, let role, role != .owner, owners <= 1 {
                throw Problem.conflict(
                    "\(before.email) is the tenant's last owner; make another owner first.", field: "role")
            }
            let after = try await UserStore.update(id: id, name: name, role: role, on: connection, logger: logger)
            let tenant = try await access.enter(connection, principal: principal)
            try await AuditLog.record(
                principal.auditEvent(
                    action: "user.update", targetType: "user", targetID: after.auditID, before: before.auditJSON,
                    after: after.auditJSON),
                on: tenant
            )
            return after
        }
        return .ok(.init(body: .json(user.api)))
    }

    func deleteUser(_ input: Operations.DeleteUser.Input) async throws -> Operations.DeleteUser.Output {
        let id = UUID(uuidString: input.path.id)
        try await access.inControl { connection, principal in
            let owners = try await UserStore.lockOwners(tenantID: principal.tenant.id, on: connection, logger: logger)
            guard let id,
                let before = try await UserStore.find(
                    id: id, tenantID: principal.tenant.id, on: connection, logger: logger)
            else { throw Problem.notFound("user", input.path.id) }
            if before.role == .owner, principal.role != .owner {
                throw Problem.forbidden("Only an owner may remove an owner.")
            }
            if before.role == .owner, before.state == .active, owners <= 1 {
                throw Problem.conflict("\(before.email) is the tenant's last owner and cannot be removed.")
            }
            try await UserStore.delete(id: id, on: connection, logger: logger)
            let tenant = try await access.enter(connection, principal: principal)
            try await AuditLog.record(
                principal.auditEvent(
                    action: "user.delete", targetType: "user", targetID: before.auditID, before: before.auditJSON,
                    after: nil),
                on: tenant
            )
        }
        return .noContent(.init())
    }

    func acceptInvitation(_ input: Operations.AcceptInvitation.Input) async throws -> Operations.AcceptInvitation.Output
    {
        guard case .json(let body) = input.body else { throw Problem.malformedBody("Expected a JSON body.") }
        guard let token = InvitationToken(parsing: body.token) else {
            throw Problem.unauthorized("The invitation token is unknown, used or expired.")
        }
        try SignUpValidation.password(body.password, field: "password")
        let name = try body.name.map { name throws(Problem) in try SignUpValidation.displayName(name, field: "name") }
        let hash = try await hasher.hash(body.password)
        let session = SessionToken.generate()
        let (user, expires) = try await access.client.transaction(logger: logger) { connection in
            guard
                let (user, tenant) = try await UserStore.acceptInvitation(
                    token, passwordHash: hash, name: name, on: connection, logger: logger)
            else { throw Problem.unauthorized("The invitation token is unknown, used or expired.") }
            RequestScope.current?.setTenant(tenant.slug)
            guard tenant.state == .active else { throw Problem.forbidden("The tenant '\(tenant.slug)' is suspended.") }
            let expires = try await SessionStore.insert(
                session, userID: user.id, tenantID: tenant.id, lifetime: sessionLifetime, on: connection, logger: logger
            )
            try await AuditLog.record(
                AuditEvent(
                    actorType: "user", actorID: user.auditID, action: "user.accept_invitation", targetType: "user",
                    targetID: user.auditID, before: nil, after: user.auditJSON),
                on: try await TenantTransaction.enter(connection, tenant: tenant.identity, logger: logger)
            )
            return (user, expires)
        }
        return .created(.init(body: .json(.init(token: session.value, expiresAt: expires, user: user.api))))
    }

    static func role(_ text: String, field: String) throws(Problem) -> TenantUser.Role {
        guard let role = TenantUser.Role(rawValue: text) else {
            throw .invalidField(
                field, "\(field) must be one of \(TenantUser.Role.allCases.map(\.rawValue).joined(separator: ", ")).")
        }
        return role
    }
}

extension TenantUser {
    var auditID: String { id.uuidString.lowercased() }

    /// The user as the audit trail records it.
    var auditJSON: Data {
        let document: [String: String] = [
            "id": auditID, "email": email, "name": name, "role": role.rawValue, "state": state.rawValue,
        ]
        return (try? JSONSerialization.data(withJSONObject: document, options: [.sortedKeys])) ?? Data()
    }
}
