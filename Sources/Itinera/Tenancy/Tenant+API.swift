import Foundation
import ItineraAPI
import OpenAPIRuntime

extension Tenant {
    /// The tenant as the API shows it, with its settings document.
    func api(settings: Data) throws -> Components.Schemas.Tenant {
        Components.Schemas.Tenant(
            id: id.uuidString.lowercased(),
            name: name,
            slug: slug,
            kind: Components.Schemas.TenantKind(rawValue: kind.rawValue) ?? .agency,
            timezone: timezone,
            currency: currency,
            country: country,
            state: state == .active ? .active : .suspended,
            settings: .init(
                additionalProperties: try JSONDecoder().decode(OpenAPIObjectContainer.self, from: settings)),
            createdAt: createdAt
        )
    }
}

extension TenantUser {
    /// The user as the API shows it.
    var api: Components.Schemas.User {
        Components.Schemas.User(
            id: id.uuidString.lowercased(),
            email: email,
            name: name,
            role: Components.Schemas.User.RolePayload(rawValue: role.rawValue) ?? .analyst,
            state: state == .active ? .active : .invited,
            createdAt: createdAt
        )
    }
}
