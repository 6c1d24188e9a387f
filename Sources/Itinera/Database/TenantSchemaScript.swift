import Logging
import PostgresNIO

/// Builds the single script that brings a tenant schema from one version to the latest.
///
/// Tenant DDL runs as `itinera_tenant_owner` with the tenant's schema as search path, so every
/// table belongs to the owner role and reaches the tenant's role only through the grants below;
/// the whole script travels in one round trip through `itinera.run_script`.
enum TenantSchemaScript {
    /// Creates `identity`'s role and schema with every tenant migration, on a connection inside a
    /// transaction.
    static func provision(
        _ identity: TenantIdentity,
        migrations: MigrationSet,
        on connection: PQConnection,
        logger: Logger
    ) async throws {
        try await connection.runScript(
            provision(schema: identity.schema, role: identity.role, migrations: migrations),
            logger: logger
        )
    }

    /// Applies the tenant migrations after `version` to a schema, on a connection inside a transaction.
    static func upgrade(
        schema: String,
        role: String,
        from version: Int,
        migrations: MigrationSet,
        on connection: PQConnection,
        logger: Logger
    ) async throws {
        try await connection.runScript(
            upgrade(schema: schema, role: role, from: version, migrations: migrations),
            logger: logger
        )
    }

    /// Creates the tenant's role and schema and applies every tenant migration.
    static func provision(schema: String, role: String, migrations: MigrationSet) -> String {
        precondition(TenantIdentity.isValidSchemaName(schema) && TenantIdentity.isValidSchemaName(role))
        return """
            CREATE ROLE \(role) NOLOGIN;
            GRANT \(role) TO CURRENT_USER;
            CREATE SCHEMA \(schema) AUTHORIZATION itinera_tenant_owner;
            SET LOCAL ROLE itinera_tenant_owner;
            GRANT USAGE ON SCHEMA \(schema) TO \(role);
            ALTER DEFAULT PRIVILEGES IN SCHEMA \(schema) GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO \(role);
            ALTER DEFAULT PRIVILEGES IN SCHEMA \(schema) GRANT USAGE, SELECT ON SEQUENCES TO \(role);
            ALTER DEFAULT PRIVILEGES IN SCHEMA \(schema) GRANT EXECUTE ON FUNCTIONS TO \(role);
            RESET ROLE;
            \(upgrade(schema: schema, role: role, from: 0, migrations: migrations))
            """
    }

    /// Applies the tenant migrations after `version`.
    static func upgrade(schema: String, role: String, from version: Int, migrations: MigrationSet) -> String {
        precondition(TenantIdentity.isValidSchemaName(schema) && TenantIdentity.isValidSchemaName(role))
        return """
            SELECT set_config('search_path', '\(schema)', true), set_config('itinera.tenant_role', '\(role)', true);
            SET LOCAL ROLE itinera_tenant_owner;
            \(migrations.tenantScript(after: version));
            RESET ROLE;
            """
    }
}
