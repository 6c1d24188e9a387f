import CLibPQ
import Foundation
import NIOCore
public import PostgresNIO
import Synchronization

/// One statement for a libpq pipeline: its SQL and its parameters, encoded in binary by
/// postgres-nio's codecs. Written as a string literal it is an unnamed statement whose interpolated
/// values become parameters (`"SELECT … WHERE id = \(id)"`, with `\(unescaped: fragment)` for SQL
/// text written in code); `PQStatement(prepared:)` names it, and it is then prepared once per
/// connection (for the statements every request runs: decision 0002).
public struct PQStatement: Sendable, ExpressibleByStringInterpolation {
    /// The SQL; of an unnamed statement it may be extended (`QueryBuilder` style) with `binds`.
    public var sql: String
    /// The prepared statement's name; `nil` for an unnamed statement.
    let name: String?
    var types: [UInt32] = []
    var values: [ByteBuffer?] = []
    var formats: [Int32] = []

    /// A statement prepared once per connection.
    public init(prepared sql: String) {
        self.sql = sql
        self.name = PQStatementNames.name(for: sql)
    }

    /// An unnamed statement of SQL written in code, without parameters.
    public init(unsafeSQL sql: String) {
        self.sql = sql
        self.name = nil
    }

    public init(stringLiteral value: String) {
        self.init(unsafeSQL: value)
    }

    public init(stringInterpolation: Interpolation) {
        self.sql = stringInterpolation.sql
        self.name = nil
        self.types = stringInterpolation.statement.types
        self.values = stringInterpolation.statement.values
        self.formats = stringInterpolation.statement.formats
    }

    public struct Interpolation: StringInterpolationProtocol {
        var sql = ""
        var statement = PQStatement(unsafeSQL: "")

        public init(literalCapacity: Int, interpolationCount: Int) {
            sql.reserveCapacity(literalCapacity + interpolationCount * 3)
        }

        public mutating func appendLiteral(_ literal: String) { sql += literal }

        /// A parameter whose encoding cannot fail.
        public mutating func appendInterpolation<Value: PostgresNonThrowingEncodable>(_ value: Value) {
            try! statement.bind(value)
            sql += "$\(statement.values.count)"
        }

        /// A parameter whose encoding cannot fail, or `NULL`.
        public mutating func appendInterpolation<Value: PostgresNonThrowingEncodable>(_ value: Value?) {
            try! statement.bind(value)
            sql += "$\(statement.values.count)"
        }

        /// A parameter.
        public mutating func appendInterpolation<Value: PostgresEncodable>(_ value: Value) throws {
            try statement.bind(value)
            sql += "$\(statement.values.count)"
        }

        /// A parameter that may be `NULL`.
        public mutating func appendInterpolation<Value: PostgresEncodable>(_ value: Value?) throws {
            try statement.bind(value)
            sql += "$\(statement.values.count)"
        }

        /// SQL text written in code (never input).
        public mutating func appendInterpolation(unescaped fragment: String) { sql += fragment }
    }

    /// The parameters bound so far.
    public var binds: PQBindings {
        get {
            var bindings = PQBindings()
            bindings.statement.types = types
            bindings.statement.values = values
            bindings.statement.formats = formats
            return bindings
        }
        set {
            types = newValue.statement.types
            values = newValue.statement.values
            formats = newValue.statement.formats
        }
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
}

/// A value of an answer could not be read as the type asked for: a fault of the code that asked
/// (a 500), not of the connection.
public struct PQDecodingError: Error, Sendable, CustomStringConvertible {
    public let description: String
}

/// The rows one statement returned; the libpq result is freed with this value. Iterated with
/// `for try await row in rows` (the rows are already in memory) or by index.
public final class PQRows: @unchecked Sendable, AsyncSequence {
    public typealias Element = PQRow

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

    public subscript(_ row: Int) -> PQRow { PQRow(rows: self, index: row) }

    public var first: PQRow? { count > 0 ? self[0] : nil }

    public func isNull(_ row: Int, _ column: Int) -> Bool { PQgetisnull(result, Int32(row), Int32(column)) == 1 }

    /// The value at `row`, `column` as `Value`, with postgres-nio's binary decoders; SQL `NULL` is
    /// `nil` when `Value` is an optional, and an error otherwise.
    public func decode<Value: PostgresDecodable>(_ type: Value.Type, _ row: Int, _ column: Int) throws -> Value {
        guard column < columns else {
            throw PQDecodingError(description: "the statement returned \(columns) columns, not \(column + 1)")
        }
        var buffer: ByteBuffer?
        if !isNull(row, column) {
            let length = Int(PQgetlength(result, Int32(row), Int32(column)))
            var bytes = ByteBuffer()
            bytes.writeBytes(
                UnsafeRawBufferPointer(start: PQgetvalue(result, Int32(row), Int32(column)), count: length))
            buffer = bytes
        }
        do {
            return try Value._decodeRaw(
                from: &buffer, type: PostgresDataType(PQftype(result, Int32(column))), format: .binary,
                context: .default)
        } catch {
            throw PQDecodingError(
                description: "column \(column) of row \(row) cannot be read as \(Value.self): \(error)")
        }
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let rows: PQRows
        var next = 0

        public mutating func next() async throws -> PQRow? {
            guard next < rows.count else { return nil }
            defer { next += 1 }
            return rows[next]
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(rows: self) }
}

/// One row of a statement's answer.
public struct PQRow: Sendable {
    let rows: PQRows
    let index: Int

    /// The row's columns, in order, as the given types: `row.decode((UUID, String?).self)`.
    public func decode<each Column: PostgresDecodable>(_ types: (repeat each Column).Type) throws
        -> (repeat each Column)
    {
        var column = 0
        func next<Value: PostgresDecodable>(_ type: Value.Type) throws -> Value {
            defer { column += 1 }
            return try rows.decode(type, index, column)
        }
        return (repeat try next((each Column).self))
    }

    /// The column at `column`.
    public subscript(_ column: Int) -> PQCell { PQCell(rows: rows, row: index, column: column) }
}

/// One value of a row.
public struct PQCell: Sendable {
    let rows: PQRows
    let row: Int
    let column: Int

    public var isNull: Bool { rows.isNull(row, column) }

    public func decode<Value: PostgresDecodable>(_ type: Value.Type) throws -> Value {
        try rows.decode(type, row, column)
    }
}
