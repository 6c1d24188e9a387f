import Foundation
import ItineraAPI
import Logging

/// A tenant's API keys: `GET`/`POST /v1/api-keys` and `DELETE /v1/api-keys/{id}`.
struct APIKeyController: Sendable {
    let access: AccessControl
    let logger: Logger

    /// Most live keys a tenant may hold.
    static let maxActiveKeys = 100

    func listApiKeys(_ input: Operations.ListApiKeys.Input) async throws -> Operations.ListApiKeys.Output {
        let page = try PageRequest(limit: input.query.limit, cursor: input.query.cursor)
        let keys = try await access.inControl { connection, principal in
            try await APIKeyStore.list(tenantID: principal.tenant.id, page: page, on: connection, logger: logger)
        }
        let shown = keys.prefix(page.limit).map { key in
            var key = key
            // This instance may know of a later use than the database does yet.
            if let unwritten = access.usage?.unwritten(key.id), unwritten > (key.lastUsedAt ?? .distantPast) {
                key.lastUsedAt = unwritten
            }
            return key
        }
        let next =
            keys.count > page.limit
            ? shown.last.map { PageRequest.cursor(time: $0.createdAt, id: $0.id) } : nil
        return .ok(.init(body: .json(.init(items: shown.map(\.api), nextCursor: next))))
    }

    func createApiKey(_ input: Operations.CreateApiKey.Input) async throws -> Operations.CreateApiKey.Output {
        guard case .json(let body) = input.body else { throw Problem.malformedBody("Expected a JSON body.") }
        let name = try SignUpValidation.displayName(body.name, field: "name")
        var scopes: [APIScope] = []
        for (index, text) in body.scopes.enumerated() {
            guard let scope = APIScope(rawValue: text.rawValue) else {
                throw Problem.invalidField(
                    "scopes[\(index)]",
                    "scopes[\(index)] '\(text)' is not a scope; scopes are \(APIScope.allCases.map(\.rawValue).joined(separator: ", "))."
                )
            }
            if !scopes.contains(scope) { scopes.append(scope) }
        }
        if let expires = body.expiresAt, expires <= Date() {
            throw Problem.invalidField("expires_at", "expires_at must be in the future.")
        }
        let token = APIKeyToken.generate()
        let key = try await access.inControl { connection, principal in
            guard
                try await APIKeyStore.activeCount(tenantID: principal.tenant.id, on: connection, logger: logger)
                    < Self.maxActiveKeys
            else {
                throw Problem.conflict("The tenant already has \(Self.maxActiveKeys) live API keys; revoke one first.")
            }
            var createdBy: UUID?
            if case .user(let id, _) = principal.actor { createdBy = id }
            let key = try await APIKeyStore.insert(
                token, tenantID: principal.tenant.id, name: name, scopes: scopes.sorted().map(\.rawValue),
                expiresAt: body.expiresAt, createdBy: createdBy, on: connection, logger: logger)
            let tenant = try await access.enter(connection, principal: principal)
            try await AuditLog.record(
                principal.auditEvent(
                    action: "api_key.create", targetType: "api_key", targetID: key.id.uuidString.lowercased(),
                    before: nil, after: key.auditJSON),
                on: tenant
            )
            return key
        }
        return .created(.init(body: .json(.init(value1: key.api, value2: .init(secret: token.value)))))
    }

    func revokeApiKey(_ input: Operations.RevokeApiKey.Input) async throws -> Operations.RevokeApiKey.Output {
        let id = UUID(uuidString: input.path.id)
        try await access.inControl { connection, principal in
            guard let id,
                let (before, after) = try await APIKeyStore.revoke(
                    id: id, tenantID: principal.tenant.id, on: connection, logger: logger)
            else { throw Problem.notFound("API key", input.path.id) }
            guard before.revokedAt == nil else { return }
            let tenant = try await access.enter(connection, principal: principal)
            try await AuditLog.record(
                principal.auditEvent(
                    action: "api_key.revoke", targetType: "api_key", targetID: id.uuidString.lowercased(),
                    before: before.auditJSON, after: after.auditJSON),
                on: tenant
            )
        }
        return .noContent(.init())
    }
}

extension APIKey {
    var api: Components.Schemas.ApiKey {
        Components.Schemas.ApiKey(
            id: id.uuidString.lowercased(), name: name, prefix: prefix, scopes: scopes, createdAt: createdAt,
            expiresAt: expiresAt, lastUsedAt: lastUsedAt)
    }
}

extension Date {
    /// Microseconds since 1970, PostgreSQL's resolution, for cursors.
    var epochMicroseconds: Int64 { Int64((timeIntervalSince1970 * 1_000_000).rounded()) }
}
