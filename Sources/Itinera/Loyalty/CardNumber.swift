/// Member-card numbers: the programme's prefix, a nine-digit sequence number and a Luhn check digit,
/// so that a mistyped digit or two swapped neighbours are caught before a lookup.
public enum CardNumber {
    public static func make(prefix: String, sequence: Int64) -> String {
        let body = prefix + String(repeating: "0", count: max(0, 9 - String(sequence).count)) + String(sequence)
        return body + String(checkDigit(body))
    }

    public static func isValid(_ number: String) -> Bool {
        guard number.count >= 2, number.allSatisfy({ $0.isASCII && $0.isNumber }) else { return false }
        return checkDigit(String(number.dropLast())) == Int(String(number.last!))
    }

    /// The Luhn digit that completes `body`.
    static func checkDigit(_ body: String) -> Int {
        var sum = 0
        for (index, character) in body.reversed().enumerated() {
            var digit = Int(String(character))!
            if index % 2 == 0 {
                digit *= 2
                if digit > 9 { digit -= 9 }
            }
            sum += digit
        }
        return (10 - sum % 10) % 10
    }
}
