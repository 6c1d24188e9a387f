public import Foundation
import PostgresNIO

/// The SQL of a tenant's own settings row (tenant schema).
public enum TenantSettingsStore {
    /// The settings document as JSON text.
    public static func settings(on tenant: TenantConnection) async throws -> Data {
        let rows = try await tenant.connection.execute(ReadSettings(), logger: tenant.logger)
        for try await text in rows { return Data(text.utf8) }
        return Data("{}".utf8)
    }

    /// The settings read, for a pipeline; prepared per connection (PostgreSQL re-plans it when the
    /// search path names another tenant).
    static let readSettings = PQStatement(prepared: ReadSettings.sql)

    /// The settings document `readSettings` returned.
    static func settings(from rows: PQRows) throws -> Data {
        Data((try rows.first?[0].decode(String.self) ?? "{}").utf8)
    }

    /// Prepared per connection; PostgreSQL re-plans it when the search path names another tenant.
    struct ReadSettings: PQPreparedStatement {
        static let sql = "SELECT settings::text FROM tenant_settings"
        typealias Row = String
        func makeBindings() -> PQBindings { PQBindings() }
        func decodeRow(_ row: PQRow) throws -> String { try row.decode(String.self) }
    }

    /// Merges `patch` (a JSON object) into the settings, key by key; returns the settings before and
    /// after. Without a patch nothing changes and both are the current settings.
    public static func merge(_ patch: Data?, on tenant: TenantConnection) async throws -> (before: Data, after: Data) {
        guard let patch else {
            let current = try await settings(on: tenant)
            return (current, current)
        }
        let patchText = String(decoding: patch, as: UTF8.self)
        let rows = try await tenant.query(
            """
            WITH before AS (SELECT settings FROM tenant_settings FOR UPDATE)
            UPDATE tenant_settings s SET settings = b.settings || \(patchText)::jsonb, updated_at = now()
            FROM before b
            RETURNING b.settings::text, s.settings::text
            """
        )
        for try await (before, after) in rows.decode((String, String).self) {
            return (Data(before.utf8), Data(after.utf8))
        }
        return (Data("{}".utf8), Data("{}".utf8))
    }
}
