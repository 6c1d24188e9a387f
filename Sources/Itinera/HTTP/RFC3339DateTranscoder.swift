import Foundation
import OpenAPIRuntime

/// RFC 3339 timestamps for the API, with Foundation's native `ISO8601FormatStyle`: the runtime's
/// default goes through a locked `ISO8601DateFormatter`, which showed up as a measurable share of
/// every response that carries a date. Writes whole seconds in UTC; reads with or without fractions.
struct RFC3339DateTranscoder: DateTranscoder {
    private static let whole = Date.ISO8601FormatStyle()
    private static let fractional = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    func encode(_ date: Date) throws -> String {
        Self.whole.format(date)
    }

    func decode(_ text: String) throws -> Date {
        if let date = try? Self.whole.parse(text) { return date }
        return try Self.fractional.parse(text)
    }
}
