import CLibPQ
import Foundation
import NIOCore
public import PostgresNIO
import Synchronization

/// One statement for a libpq pipeline: its SQL (prepared once per connection under a name given to
/// the SQL once per process) and its parameters, encoded in binary by postgres-nio's codecs.
public struct PQStatement: Sendable {
    public let sql: String
    let name: String
    var types: [UInt32] = []
    var values: [ByteBuffer?] = []
    var formats: [Int32] = []

    public init(_ sql: String) {
        self.sql = sql
        self.name = PQStatementNames.name(for: sql)
    }

    /// Appends a parameter (`$1`, `$2`, … in the order bound).
    public mutating func bind<Value: PostgresEncodable>(_ value: Value) throws {
        var buffer = ByteBuffer()
        try value.encode(into: &buffer, context: .default)
        types.append(Value.psqlType.rawValue)
        values.append(buffer)
        formats.append(Value.psqlFormat == .binary ? 1 : 0)
    }

    /// Appends a parameter that may be SQL `NULL`.
    public mutating func bind<Value: PostgresEncodable>(_ value: Value?) throws {
        guard let value else {
            types.append(Value.psqlType.rawValue)
            values.append(nil)
            formats.append(1)
            return
        }
        try bind(value)
    }

    /// This statement with `value` bound as its next parameter.
    public func binding<Value: PostgresEncodable>(_ value: Value) throws -> PQStatement {
        var copy = self
        try copy.bind(value)
        return copy
    }

    /// This statement with `value` (or `NULL`) bound as its next parameter.
    public func binding<Value: PostgresEncodable>(_ value: Value?) throws -> PQStatement {
        var copy = self
        try copy.bind(value)
        return copy
    }
}

/// The process-wide names of prepared statements: one per distinct SQL text.
enum PQStatementNames {
    private static let names = Mutex<[String: String]>([:])

    static func name(for sql: String) -> String {
        names.withLock { names in
            if let name = names[sql] { return name }
            let name = "itn_\(names.count)"
            names[sql] = name
            return name
        }
    }
}

/// An error PostgreSQL or libpq reported, with the fields the problem mapping reads.
public struct PQError: Error, Sendable, CustomStringConvertible {
    /// The SQLSTATE; `nil` for a failure of the connection itself.
    public let sqlState: String?
    public let message: String
    public let detail: String?
    public let constraint: String?

    public var description: String {
        "\(sqlState.map { "[\($0)] " } ?? "")\(message)\(detail.map { " (\($0))" } ?? "")"
    }

    init(connectionMessage: String) {
        self.sqlState = nil
        self.message = connectionMessage
        self.detail = nil
        self.constraint = nil
    }

    init(result: OpaquePointer) {
        func field(_ code: Character) -> String? {
            guard let value = PQresultErrorField(result, Int32(code.asciiValue!)) else { return nil }
            return String(cString: value)
        }
        self.sqlState = field("C")
        self.message = field("M") ?? String(cString: PQresultErrorMessage(result))
        self.detail = field("D")
        self.constraint = field("n")
    }

    /// The connection can no longer be used.
    public var isConnectionFailure: Bool { sqlState == nil || sqlState!.hasPrefix("08") }
}

/// The rows one statement returned; the libpq result is freed with this value.
public final class PQRows: @unchecked Sendable {
    private let result: OpaquePointer
    public let count: Int
    public let columns: Int

    init(_ result: OpaquePointer) {
        self.result = result
        self.count = Int(PQntuples(result))
        self.columns = Int(PQnfields(result))
    }

    deinit { PQclear(result) }

    /// The rows the statement changed, from its command tag (`INSERT 0 3` → 3).
    public var affected: Int { Int(String(cString: PQcmdTuples(result))) ?? 0 }

    public func isNull(_ row: Int, _ column: Int) -> Bool { PQgetisnull(result, Int32(row), Int32(column)) == 1 }

    /// The value at `row`, `column` as `Value`, with postgres-nio's binary decoders.
    public func decode<Value: PostgresDecodable>(_ type: Value.Type, _ row: Int, _ column: Int) throws -> Value {
        guard !isNull(row, column) else {
            throw PQError(connectionMessage: "column \(column) of row \(row) is NULL, not \(Value.self)")
        }
        let length = Int(PQgetlength(result, Int32(row), Int32(column)))
        var buffer = ByteBuffer()
        buffer.writeBytes(UnsafeRawBufferPointer(start: PQgetvalue(result, Int32(row), Int32(column)), count: length))
        return try Value(
            from: &buffer, type: PostgresDataType(PQftype(result, Int32(column))), format: .binary,
            context: .default)
    }

    /// `decode`, with SQL `NULL` as `nil`.
    public func decodeIfPresent<Value: PostgresDecodable>(_ type: Value.Type, _ row: Int, _ column: Int) throws
        -> Value?
    {
        isNull(row, column) ? nil : try decode(type, row, column)
    }
}
