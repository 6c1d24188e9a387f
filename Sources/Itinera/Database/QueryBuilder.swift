public import PostgresNIO

/// The one way Itinera assembles SQL whose shape depends on data (a programme's tiers, a segment's
/// rule, the filters a list was given): the text is written in code, every value is a bound
/// parameter.
public struct QueryBuilder: Sendable {
    public var sql = ""
    public var binds = PQBindings()

    public init(sql: String = "", binds: PQBindings = PQBindings()) {
        self.sql = sql
        self.binds = binds
    }

    /// Binds `value` and answers its placeholder.
    public mutating func bind(_ value: some PostgresNonThrowingEncodable) -> String {
        binds.append(value)
        return "$\(binds.count)"
    }

    /// Binds `value`, or a null when there is none, and answers its placeholder (the SQL casts a null
    /// to its type).
    public mutating func bind(_ value: (some PostgresNonThrowingEncodable)?) -> String {
        if let value { binds.append(value) } else { binds.appendNull() }
        return "$\(binds.count)"
    }

    /// Appends SQL text written in code.
    public mutating func append(_ text: String) {
        sql += text
    }

    /// Appends `value` as a bound parameter.
    public mutating func append(bound value: some PostgresNonThrowingEncodable) {
        sql += bind(value)
    }

    /// Appends `value` (or a null) as a bound parameter.
    public mutating func append(bound value: (some PostgresNonThrowingEncodable)?) {
        sql += bind(value)
    }

    public var query: PQStatement { PQStatement(unsafeSQL: sql, binds: binds) }
}
