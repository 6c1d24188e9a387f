import Foundation
import PostgresNIO

/// A saved segment.
struct Segment: Sendable {
    var id: Int64
    var name: String
    var description: String?
    /// The rule as the client wrote it, a JSON object.
    var rule: String
    var createdAt: Date
    var updatedAt: Date

    /// The audit trail's copy: name, description and rule, without the member count, which changes
    /// with the customers rather than with the segment.
    var auditJSON: Data {
        var document: [String: Any] = ["name": name]
        document["description"] = description
        document["rule"] = (try? JSONSerialization.jsonObject(with: Data(rule.utf8))) ?? [:]
        return (try? JSONSerialization.data(withJSONObject: document, options: [.sortedKeys])) ?? Data()
    }
}

/// The SQL of saved segments (tenant schema).
enum SegmentStore {
    static let columns = "id, name, description, rule::text, created_at, updated_at"

    static func segment(from row: PQRow) throws -> Segment {
        let (id, name, description, rule, createdAt, updatedAt) = try row.decode(
            (Int64, String, String?, String, Date, Date).self)
        return Segment(
            id: id, name: name, description: description, rule: rule, createdAt: createdAt, updatedAt: updatedAt)
    }

    static func find(_ id: Int64, on tenant: TenantConnection) async throws -> Segment? {
        for try await row in try await tenant.query("SELECT \(unescaped: columns) FROM segments WHERE id = \(id)") {
            return try segment(from: row)
        }
        return nil
    }

    static func list(page: PageRequest, on tenant: TenantConnection) async throws -> [Segment] {
        let after = try page.afterID()
        let rows = try await tenant.query(
            """
            SELECT \(unescaped: columns) FROM segments WHERE \(after)::bigint IS NULL OR id > \(after)
            ORDER BY id LIMIT \(page.limit + 1)
            """
        )
        var segments: [Segment] = []
        for try await row in rows { segments.append(try segment(from: row)) }
        return segments
    }

    /// Saves a new segment, or replaces segment `id`; `nil` when `id` names none. A taken name is a 409.
    static func save(
        id: Int64?, name: String, description: String?, rule: String, on tenant: TenantConnection
    ) async throws -> Segment? {
        let rows = try await tenant.query(
            id == nil
                ? """
                INSERT INTO segments (name, description, rule) VALUES (\(name), \(description), \(rule)::jsonb)
                ON CONFLICT (name) DO NOTHING
                RETURNING \(unescaped: columns)
                """
                : """
                UPDATE segments SET name = \(name), description = \(description), rule = \(rule)::jsonb, updated_at = now()
                WHERE id = \(id) AND NOT EXISTS (SELECT FROM segments o WHERE o.name = \(name) AND o.id <> \(id))
                RETURNING \(unescaped: columns)
                """
        )
        for try await row in rows { return try segment(from: row) }
        if let id, try await find(id, on: tenant) == nil { return nil }
        throw Problem.conflict("A segment named '\(name)' exists already.", field: "name")
    }

    static func delete(_ id: Int64, on tenant: TenantConnection) async throws -> Bool {
        for try await _ in try await tenant.query("DELETE FROM segments WHERE id = \(id) RETURNING true") {
            return true
        }
        return false
    }

    /// The rule of segment `id`, or its 404.
    static func rule(of id: Int64, on tenant: TenantConnection) async throws -> SegmentRule {
        guard let segment = try await SegmentStore.find(id, on: tenant) else {
            throw Problem.notFound("segment", String(id))
        }
        return try SegmentRule.parse(try JSONSerialization.jsonObject(with: Data(segment.rule.utf8)))
    }
}
