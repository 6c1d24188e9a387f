import CLibPQ
import Foundation
public import Logging
public import PostgresNIO

/// A statement prepared once per connection, with its parameters and how a row of its answer reads.
public protocol PQPreparedStatement: Sendable {
    associatedtype Row
    static var sql: String { get }
    func makeBindings() throws -> PQBindings
    func decodeRow(_ row: PQRow) throws -> Row
}

/// The parameters of a prepared statement, in order.
public struct PQBindings: Sendable {
    var statement = PQStatement(unsafeSQL: "")

    public init() {}

    public init(capacity: Int) {}

    /// How many parameters are bound.
    public var count: Int { statement.values.count }

    /// Appends a `NULL` whose type PostgreSQL infers from the statement.
    public mutating func appendNull() {
        statement.types.append(0)
        statement.values.append(nil)
        statement.formats.append(1)
    }

    public mutating func append<Value: PostgresNonThrowingEncodable>(_ value: Value) {
        try! statement.bind(value)
    }

    public mutating func append<Value: PostgresNonThrowingEncodable>(_ value: Value?) {
        try! statement.bind(value)
    }

    public mutating func append<Value: PostgresEncodable>(_ value: Value) throws {
        try statement.bind(value)
    }

    public mutating func append<Value: PostgresEncodable>(_ value: Value?) throws {
        try statement.bind(value)
    }
}

extension PQStatement {
    /// An unnamed statement of SQL assembled in code, with its parameters.
    public init(unsafeSQL sql: String, binds: PQBindings) {
        self.init(unsafeSQL: sql)
        types = binds.statement.types
        values = binds.statement.values
        formats = binds.statement.formats
    }

    /// The prepared statement `statement` with its parameters.
    public init<Statement: PQPreparedStatement>(_ statement: Statement) throws {
        let bindings = try statement.makeBindings()
        self.init(prepared: Statement.sql)
        types = bindings.statement.types
        values = bindings.statement.values
        formats = bindings.statement.formats
    }
}

/// The rows of a prepared statement, each read by the statement's `decodeRow`.
public struct PQDecodedRows<Row>: AsyncSequence {
    public typealias Element = Row
    let rows: PQRows
    let decode: (PQRow) throws -> Row

    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: PQRows.AsyncIterator
        let decode: (PQRow) throws -> Row

        public mutating func next() async throws -> Row? {
            guard let row = try await base.next() else { return nil }
            return try decode(row)
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: rows.makeAsyncIterator(), decode: decode)
    }
}

extension PQRows {
    /// Every row, in order.
    public func collect() -> [PQRow] { (0..<count).map { self[$0] } }

    /// Each row as a tuple of the given types: `for try await (id, name) in rows.decode((UUID, String).self)`.
    public func decode<each Column: PostgresDecodable>(_ types: (repeat each Column).Type)
        -> PQDecodedRows<(repeat each Column)>
    {
        PQDecodedRows(rows: self) { row in try row.decode(types) }
    }
}

extension PQRow {
    /// The row, for reading columns by position (`row.makeRandomAccess()[2].decode(String.self)`).
    public func makeRandomAccess() -> PQRow { self }
}

extension PQConnection {
    /// Runs one statement. (`logger`, `file` and `line` name the caller in the statement's log.)
    @discardableResult
    public func query(_ statement: PQStatement, logger: Logger, file: String = #fileID, line: Int = #line)
        async throws -> PQRows
    {
        try await query(statement)
    }

    /// Runs a statement whose rows, if any, are not needed.
    public func execute(_ statement: PQStatement, logger: Logger, file: String = #fileID, line: Int = #line)
        async throws
    {
        _ = try await query(statement)
    }

    /// Runs a prepared statement; its rows read by the statement.
    @discardableResult
    public func execute<Statement: PQPreparedStatement>(
        _ statement: Statement, logger: Logger, file: String = #fileID, line: Int = #line
    ) async throws -> PQDecodedRows<Statement.Row> {
        let rows = try await query(try PQStatement(statement))
        return PQDecodedRows(rows: rows, decode: statement.decodeRow)
    }

    /// `copyFrom(table:columns:_:)`; `logger` names the caller.
    public func copyFrom(
        table: String, columns: [String], logger: Logger, _ body: (PQCopyWriter) async throws -> Void
    ) async throws {
        try await copyFrom(table: table, columns: columns, body)
    }

    /// Runs a multi-statement SQL script in one round trip through `itinera.run_script` (a PL/pgSQL
    /// `EXECUTE`), since the extended protocol takes one statement per message.
    public func runScript(_ script: String, logger: Logger) async throws {
        try await execute("SELECT itinera.run_script(\(script))", logger: logger)
    }
}
