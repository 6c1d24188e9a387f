extension StringProtocol {
    /// The text without leading and trailing white space: the Unicode scalars with the `White_Space`
    /// property, newlines included, the set `FieldText.nonBlankPattern` names in the contract. Pure
    /// Swift: Foundation's `trimmingCharacters(in:)` bridges through `NSString`, which showed as a
    /// seventh of a bulk import's time.
    var trimmed: String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(String.UnicodeScalarView(scalars[first...last]))
    }
}
