public import Foundation

/// Cursor pagination: a page size within bounds and an opaque cursor naming the last item seen.
public struct PageRequest: Sendable {
    public static let defaultLimit = 50
    public static let maxLimit = 200

    public let limit: Int
    /// The sort key of the last item of the previous page, as the store wrote it.
    public let after: [String]?

    /// Reads `limit` and `cursor` query parameters; 422 naming the parameter when either is wrong.
    public init(limit: Int?, cursor: String?) throws(Problem) {
        let limit = limit ?? Self.defaultLimit
        guard (1...Self.maxLimit).contains(limit) else {
            throw .invalidField("limit", "limit must be between 1 and \(Self.maxLimit).")
        }
        self.limit = limit
        guard let cursor, !cursor.isEmpty else {
            self.after = nil
            return
        }
        guard let data = Data(base64URLEncoded: cursor),
            let keys = try? JSONDecoder().decode([String].self, from: data), !keys.isEmpty
        else {
            throw .badCursor
        }
        self.after = keys
    }

    /// The id a cursor of a list ordered by one integer id holds; nil on the first page.
    public func afterID() throws(Problem) -> Int64? {
        guard let keys = after else { return nil }
        guard keys.count == 1, let id = Int64(keys[0]) else { throw .badCursor }
        return id
    }

    /// The time (microseconds since 1970, PostgreSQL's resolution) and UUID a cursor of a list
    /// ordered by both holds (`cursor(time:id:)`); nil on the first page. Stores compare the
    /// microseconds in SQL (`timestamptz 'epoch' + … * interval '1 microsecond'`), exactly.
    public func afterTimeAndUUID() throws(Problem) -> (micros: Int64, id: UUID)? {
        try afterTime { UUID(uuidString: $0) }
    }

    /// The same for a list ordered by a time and an integer id (`cursor(time:number:)`).
    public func afterTimeAndNumber() throws(Problem) -> (micros: Int64, id: Int64)? {
        try afterTime { Int64($0) }
    }

    private func afterTime<ID>(_ id: (String) -> ID?) throws(Problem) -> (micros: Int64, id: ID)? {
        guard let keys = after else { return nil }
        guard keys.count == 2, let micros = Int64(keys[0]), let id = id(keys[1]) else { throw .badCursor }
        return (micros, id)
    }

    /// A page of `found` (fetched with one item beyond the limit): the items to show, and the cursor
    /// after the last of them when there are more.
    public func split<Item>(_ found: [Item], cursor: (Item) -> String) -> (items: ArraySlice<Item>, next: String?) {
        let items = found.prefix(limit)
        return (items, found.count > limit ? items.last.map(cursor) : nil)
    }

    /// The cursor after an item of a list ordered by a time and a UUID.
    public static func cursor(time: Date, id: UUID) -> String {
        cursor([String(time.epochMicroseconds), id.uuidString])
    }

    /// The cursor after an item of a list ordered by a time and an integer id.
    public static func cursor(time: Date, number: Int64) -> String {
        cursor([String(time.epochMicroseconds), String(number)])
    }

    /// The cursor for the page after one that ended with an item of sort key `keys`.
    public static func cursor(_ keys: [String]) -> String {
        (try? JSONEncoder().encode(keys)).map { $0.base64URLEncoded() } ?? ""
    }
}

extension Data {
    /// Decodes base64url with or without padding.
    init?(base64URLEncoded text: String) {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        self.init(base64Encoded: base64)
    }
}

extension Problem {
    /// A cursor that no page of this list handed out.
    static let badCursor = Problem.invalidField(
        "cursor", "cursor is not one this API issued; pass next_cursor from a page.")
}
