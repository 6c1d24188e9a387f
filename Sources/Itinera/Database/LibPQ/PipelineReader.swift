import CLibPQ

/// A statement of a pipeline failed: the statements after it did not run.
public struct PQPipelineFailure: Error, Sendable, CustomStringConvertible {
    public let error: PQError
    /// The failed statement's place in the pipeline.
    public let index: Int
    /// The rows of the statements before it.
    public let rows: [PQRows]

    public var description: String { "statement \(index) of the pipeline failed: \(error)" }
}

/// Reads a pipeline's answers one `PGresult` (or NULL) at a time, in the order they come: for each
/// statement its prepare's result (when it was prepared in this pipeline) and its own, each followed
/// by a NULL, and the `Sync`'s result last.
struct PipelineReader {
    let statements: [PQStatement]
    var preparing: [String]
    var rows: [PQRows] = []
    var prepared: [String] = []
    var failure: PQPipelineFailure?
    var done = false
    private var index = 0
    /// Whether the prepare of the current statement is answered yet.
    private var preparePending: Bool
    /// Whether the current command's result came and its NULL is next.
    private var awaitingNull = false

    init(statements: [PQStatement], preparing: [String]) {
        self.statements = statements
        var preparing = preparing
        if let first = statements.first?.name, let place = preparing.firstIndex(of: first) {
            preparing.remove(at: place)
            self.preparePending = true
        } else {
            self.preparePending = false
        }
        self.preparing = preparing
    }

    /// Takes the next value of `PQgetResult`; false when the stream is not what a pipeline answers.
    mutating func take(_ result: OpaquePointer?) -> Bool {
        if awaitingNull {
            if let result {
                PQclear(result)
                return true
            }
            awaitingNull = false
            if preparePending {
                preparePending = false
            } else {
                index += 1
                if index < statements.count, let name = statements[index].name {
                    if let place = preparing.firstIndex(of: name) {
                        preparing.remove(at: place)
                        preparePending = true
                    }
                }
            }
            return true
        }
        guard let result else { return false }
        if index == statements.count {
            let synced = PQresultStatus(result) == PGRES_PIPELINE_SYNC
            PQclear(result)
            done = true
            return synced
        }
        awaitingNull = true
        let status = PQresultStatus(result)
        if preparePending {
            if status == PGRES_COMMAND_OK, let name = statements[index].name { prepared.append(name) }
            if status == PGRES_FATAL_ERROR, failure == nil {
                failure = PQPipelineFailure(error: PQError(result: result), index: index, rows: rows)
            }
            PQclear(result)
            return true
        }
        switch status {
        case PGRES_TUPLES_OK, PGRES_COMMAND_OK:
            rows.append(PQRows(result))
        case PGRES_FATAL_ERROR:
            if failure == nil { failure = PQPipelineFailure(error: PQError(result: result), index: index, rows: rows) }
            PQclear(result)
        default:
            PQclear(result)
        }
        return true
    }
}
