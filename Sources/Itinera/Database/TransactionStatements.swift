import PostgresNIO

/// `BEGIN`, `COMMIT` and `ROLLBACK` as prepared statements: every tenant request runs two of them,
/// and a prepared statement skips the Parse and Describe messages an ad-hoc query sends each time.
enum TransactionStatement {
    struct Begin: PostgresPreparedStatement {
        static let sql = "BEGIN"
        typealias Row = ()
        func makeBindings() -> PostgresBindings { PostgresBindings() }
        func decodeRow(_ row: PostgresRow) throws {}
    }

    /// `BEGIN` of a transaction whose statements all read one snapshot, taken at its first statement.
    struct BeginRepeatableRead: PostgresPreparedStatement {
        static let sql = "BEGIN ISOLATION LEVEL REPEATABLE READ"
        typealias Row = ()
        func makeBindings() -> PostgresBindings { PostgresBindings() }
        func decodeRow(_ row: PostgresRow) throws {}
    }

    struct Commit: PostgresPreparedStatement {
        static let sql = "COMMIT"
        typealias Row = ()
        func makeBindings() -> PostgresBindings { PostgresBindings() }
        func decodeRow(_ row: PostgresRow) throws {}
    }

    struct Rollback: PostgresPreparedStatement {
        static let sql = "ROLLBACK"
        typealias Row = ()
        func makeBindings() -> PostgresBindings { PostgresBindings() }
        func decodeRow(_ row: PostgresRow) throws {}
    }
}
