import ItineraAPI

extension PlatformTenantRow {
    var api: Components.Schemas.PlatformTenant {
        Components.Schemas.PlatformTenant(
            id: id.uuidString.lowercased(), slug: slug, name: name,
            kind: Components.Schemas.TenantKind(rawValue: kind) ?? .agency,
            state: state == "active" ? .active : .suspended, schemaVersion: schemaVersion, users: Int(users),
            sizeBytes: sizeBytes, createdAt: createdAt)
    }
}

extension TenantArchive.Summary {
    var api: Components.Schemas.TenantArchive {
        Components.Schemas.TenantArchive(
            archive: archive, bytes: bytes, sha256: sha256, users: users,
            tables: tables.map { .init(name: $0.name, rows: $0.rows) })
    }
}
