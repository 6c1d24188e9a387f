import Foundation
import Itinera
import ItineraTestSupport
import PostgresNIO
import Testing

/// The tenant DDL (`sql/tenant`, applied as a spare schema is built) against the rules Citus puts on
/// a distributed schema (schema-based sharding, `citus_schema_distribute`), read from the catalog
/// of two real tenant schemas rather than from the SQL's text:
/// - foreign keys only within the schema (`foreign keys from distributed schemas can only point to
///   the same distributed schema or reference tables`), none from elsewhere into it;
/// - no foreign table, no inheritance, partitions only in their parent's schema;
/// - no rule, no trigger (Citus refuses triggers on distributed tables unless told otherwise), no
///   object owned by an extension;
/// - sequences and identity columns `bigint` (Citus gives each node its own range of a sequence,
///   which only a `bigint` has room for);
/// - every object the tenant migrations make is in the tenant's schema;
/// - the control schema is reached only where `docs/scaling.md` says (the job queue), and one
///   tenant's role cannot use another tenant's schema, so no request can read across tenants.
@Suite struct CitusRulesTests {
    /// Objects outside the tenant schemas: (schema, kind, name).
    static func outside(_ db: TestDatabase) async throws -> Set<String> {
        let rows = try await db.client.query(
            """
            SELECT n.nspname || ' relation ' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname NOT LIKE 't\\_%' AND n.nspname NOT LIKE 'pg\\_%'
            UNION ALL
            SELECT n.nspname || ' function ' || p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE n.nspname NOT LIKE 't\\_%' AND n.nspname NOT LIKE 'pg\\_%'
            UNION ALL
            SELECT n.nspname || ' type ' || t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
            WHERE n.nspname NOT LIKE 't\\_%' AND n.nspname NOT LIKE 'pg\\_%'
            """, logger: db.logger)
        var names: Set<String> = []
        for try await name in rows.decode(String.self) { names.insert(name) }
        return names
    }

    static func strings(_ db: TestDatabase, _ query: PQStatement) async throws -> [String] {
        var result: [String] = []
        for try await value in try await db.client.query(query, logger: db.logger).decode(String.self) {
            result.append(value)
        }
        return result
    }

    @Test func test_tenantSchemas_obeyCitusSchemaBasedShardingRules() async throws {
        try await TestDatabase.with { db in
            let before = try await Self.outside(db)
            let pool = SpareSchemaPool(client: db.client, migrations: db.migrations, target: 2, logger: db.logger)
            try await pool.refill()
            let schemas = try await Self.strings(db, "SELECT schema_name FROM itinera.spare_schemas ORDER BY 1")
            #expect(schemas.count == 2 && schemas.allSatisfy { $0.hasPrefix("t_") }, "\(schemas)")

            // Every object the migrations made is in a tenant schema.
            let made = try await Self.outside(db).subtracting(before)
            #expect(made.isEmpty, "made outside the tenant schemas: \(made.sorted())")

            // Foreign keys: many, and all within their schema.
            let keys = try await Self.strings(
                db,
                """
                SELECT rn.nspname || '.' || r.relname || ' -> ' || fn.nspname || '.' || f.relname
                FROM pg_constraint k
                JOIN pg_class r ON r.oid = k.conrelid JOIN pg_namespace rn ON rn.oid = r.relnamespace
                JOIN pg_class f ON f.oid = k.confrelid JOIN pg_namespace fn ON fn.oid = f.relnamespace
                WHERE k.contype = 'f' AND (rn.nspname = ANY(\(schemas)) OR fn.nspname = ANY(\(schemas)))
                """)
            #expect(keys.count > 20 * schemas.count, "\(keys.count) foreign keys")
            let crossing = keys.filter { key in
                let sides = key.components(separatedBy: " -> ").map { $0.split(separator: ".")[0] }
                return sides[0] != sides[1]
            }
            #expect(crossing.isEmpty, "foreign keys leaving their schema: \(crossing)")

            // No foreign table, inheritance, rule, trigger or extension-owned object.
            let forbidden = try await Self.strings(
                db,
                """
                SELECT 'foreign table ' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = ANY(\(schemas)) AND c.relkind = 'f'
                UNION ALL
                SELECT 'inheritance ' || p.relname || ' <- ' || ch.relname FROM pg_inherits i
                JOIN pg_class p ON p.oid = i.inhparent JOIN pg_class ch ON ch.oid = i.inhrelid
                WHERE (p.relnamespace::regnamespace::text = ANY(\(schemas)) OR ch.relnamespace::regnamespace::text = ANY(\(schemas)))
                  AND NOT (ch.relispartition AND ch.relnamespace = p.relnamespace)
                UNION ALL
                SELECT 'rule ' || r.rulename || ' on ' || c.relname FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class
                WHERE c.relnamespace::regnamespace::text = ANY(\(schemas)) AND r.rulename <> '_RETURN'
                UNION ALL
                SELECT 'trigger ' || t.tgname || ' on ' || c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
                WHERE c.relnamespace::regnamespace::text = ANY(\(schemas)) AND NOT t.tgisinternal
                UNION ALL
                SELECT 'extension member ' || d.objid::regclass::text FROM pg_depend d JOIN pg_class c ON c.oid = d.objid
                WHERE d.deptype = 'e' AND c.relnamespace::regnamespace::text = ANY(\(schemas))
                """)
            #expect(forbidden.isEmpty, "\(forbidden)")

            // Sequences (identity columns' too) are bigint, and there are some to check.
            let sequences = try await Self.strings(
                db,
                """
                SELECT c.relname || ' ' || format_type(s.seqtypid, NULL) FROM pg_sequence s
                JOIN pg_class c ON c.oid = s.seqrelid WHERE c.relnamespace::regnamespace::text = ANY(\(schemas))
                """)
            #expect(sequences.count > 10, "\(sequences.count) sequences")
            let narrow = sequences.filter { !$0.hasSuffix(" bigint") }
            #expect(narrow.isEmpty, "sequences narrower than bigint: \(narrow)")

            // The control schema, where the tenant's functions and views name it: the job queue only.
            let reached = try await Self.strings(
                db,
                """
                SELECT DISTINCT m[1] FROM (
                    SELECT p.prosrc AS text FROM pg_proc p WHERE p.pronamespace::regnamespace::text = ANY(\(schemas))
                    UNION ALL
                    SELECT pg_get_viewdef(c.oid) FROM pg_class c
                    WHERE c.relkind IN ('v', 'm') AND c.relnamespace::regnamespace::text = ANY(\(schemas))
                ) t, regexp_matches(t.text, 'itinera\\.([a-z_]+)', 'g') m
                ORDER BY 1
                """)
            #expect(Set(reached).isSubset(of: ["jobs", "job_key_busy"]), "the control schema named: \(reached)")

            // One tenant's role cannot use the other's schema.
            let roles = try await Self.strings(db, "SELECT role_name FROM itinera.spare_schemas ORDER BY schema_name")
            let own = try await db.scalar(
                "SELECT has_schema_privilege(\(roles[0]), \(schemas[0]), 'USAGE')", as: Bool.self)
            let other = try await db.scalar(
                "SELECT has_schema_privilege(\(roles[0]), \(schemas[1]), 'USAGE') OR has_schema_privilege(\(roles[1]), \(schemas[0]), 'USAGE')",
                as: Bool.self)
            #expect(own == true && other == false)
        }
    }
}
