public import Foundation

/// Which tenant a unit of work belongs to: its id, and the schema and role that hold its data.
public struct TenantIdentity: Sendable, Equatable {
    public let id: UUID
    public let schema: String
    public let role: String

    public init(id: UUID, schema: String, role: String) {
        self.id = id
        self.schema = schema
        self.role = role
    }

    /// A new tenant's identity; schema and role share a name made from 64 random bits.
    public static func make(id: UUID = UUID()) -> TenantIdentity {
        var generator = SystemRandomNumberGenerator()
        let suffix = String(generator.next() as UInt64, radix: 16)
        let name = "t_" + String(repeating: "0", count: 16 - suffix.count) + suffix
        return TenantIdentity(id: id, schema: name, role: name)
    }

    /// Schema and role names are spliced into DDL, so only the generated shape `t_<16 hex>` is accepted.
    public static func isValidSchemaName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard bytes.count == 18, bytes[0] == UInt8(ascii: "t"), bytes[1] == UInt8(ascii: "_") else { return false }
        return bytes[2...].allSatisfy {
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0)
        }
    }
}
