/// The rules of free-text fields, the same for every capability and the same as the contract says
/// them (`openapi.yaml`'s `Text…` schemas): at most `max` characters as sent, counted as JSON Schema
/// counts them (Unicode scalars, not grapheme clusters), at least one of them not white space; the
/// value is kept without its surrounding white space.
enum FieldText {
    /// The contract's `pattern` for "not blank": one scalar outside Unicode's `White_Space` set.
    static let nonBlankPattern =
        #"[^\t\n\u000b\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"#

    /// The decimal id of a record (`NumericId`: 1–18 digits, no leading zero, nothing else); a 422
    /// naming `field` saying `what` it should have been otherwise.
    static func id(_ text: String, field: String, what: String) throws(Problem) -> Int64 {
        let digits = text.utf8
        guard (1...18).contains(digits.count), digits.first != UInt8(ascii: "0"),
            digits.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }), let id = Int64(text)
        else {
            throw .invalidField(field, "\(field) must be \(what); '\(text)' is not one.")
        }
        return id
    }

    /// `text` trimmed; a 422 naming `field` when it is blank or longer than `max`.
    static func required(_ text: String, field: String, max: Int) throws(Problem) -> String {
        let value = text.trimmed
        guard text.unicodeScalars.count <= max, !value.isEmpty else {
            throw .invalidField(field, "\(field) must be 1–\(max) characters, not all white space.")
        }
        return value
    }
}
