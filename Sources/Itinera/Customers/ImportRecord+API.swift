import ItineraAPI

extension ImportRecord {
    var api: Components.Schemas.ImportJob {
        Components.Schemas.ImportJob(
            id: String(id), kind: kind == .customers ? .customers : .orders, state: .completed, lines: lines,
            accepted: accepted, customersCreated: customersCreated, customersUpdated: customersUpdated,
            ordersCreated: ordersCreated, duplicates: duplicates, errorCount: errorCount,
            errors: errors.map { .init(line: $0.line, field: $0.field, message: $0.message) }, readMs: readMs,
            mergeMs: mergeMs, startedAt: startedAt, finishedAt: finishedAt)
    }
}
