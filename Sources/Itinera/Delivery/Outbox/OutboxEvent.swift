import Foundation

/// One event as the outbox keeps it and partners receive it: a stable id, its type, what it is about,
/// and its data (a JSON object) in the shape of `schemaVersion`.
struct OutboxEvent: Sendable, Equatable {
    /// The version of every type's `data` shape; a change that breaks a reader raises it.
    static let schemaVersion = 1

    let id: UUID
    let type: String
    let entityType: String
    let entityID: String
    /// Deliveries of events with the same key leave in the order the events were written: the
    /// customer the event is about (`customer:<id>`), else the entity itself.
    let orderingKey: String
    /// A JSON object.
    let data: String

    init(
        type: String, entityType: String, entityID: String, orderingKey: String, data: String,
        id: UUID = OutboxEvent.timeOrderedID()
    ) {
        self.id = id
        self.type = type
        self.entityType = entityType
        self.entityID = entityID
        self.orderingKey = orderingKey
        self.data = data
    }

    /// A UUID of version 7: the milliseconds since 1970 in its first 48 bits, then random bits, so
    /// ids made later sort later (RFC 9562).
    static func timeOrderedID(at date: Date = Date()) -> UUID {
        var bytes = UUID().uuid
        let milliseconds = UInt64(max(date.timeIntervalSince1970, 0) * 1000)
        withUnsafeMutableBytes(of: &bytes) { raw in
            for index in 0..<6 { raw[index] = UInt8(truncatingIfNeeded: milliseconds >> (40 - 8 * UInt64(index))) }
            raw[6] = 0x70 | (raw[6] & 0x0F)
            raw[8] = 0x80 | (raw[8] & 0x3F)
        }
        return UUID(uuid: bytes)
    }

    /// The ordering key of events about customer `id`.
    static func customerKey(_ id: Int64) -> String { "customer:\(id)" }

    /// Encodes `value` as the JSON object of an event's data, with the API's dates and key order.
    static func json(_ value: some Encodable) throws -> String {
        String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// A JSON object of `fields` (a nil value is `null`), keys sorted.
    static func object(_ fields: KeyValuePairs<String, (any Sendable)?>) throws -> String {
        var object: [String: Any] = [:]
        for (key, value) in fields { object[key] = value ?? NSNull() }
        return String(
            decoding: try JSONSerialization.data(
                withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]),
            as: UTF8.self)
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(date.formatted(.iso8601))
        }
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// The body a receiver gets: the envelope around `data`, which is spliced in as stored.
    static func body(
        id: UUID, type: String, occurredAt: Date, schemaVersion: Int, entityType: String,
        entityID: String, data: String
    ) -> String {
        let envelope: [String: String] = [
            "id": id.uuidString.lowercased(), "type": type, "occurred_at": occurredAt.formatted(.iso8601),
        ]
        let head = String(decoding: (try? encoder.encode(envelope)) ?? Data("{}".utf8), as: UTF8.self).dropLast()
        let entity = String(
            decoding: (try? encoder.encode(["type": entityType, "id": entityID])) ?? Data("{}".utf8), as: UTF8.self)
        return "\(head),\"schema_version\":\(schemaVersion),\"entity\":\(entity),\"data\":\(data)}"
    }
}
