/// Telephone numbers in E.164 form (`+8613800138000`), the one form an identity is stored in, so
/// that `+86 138-0013-8000`, `13800138000` and `008613800138000` (written in China) are one number.
///
/// A number is read in the tenant's default region unless it says otherwise: a leading `+`, or one of
/// the region's international dialling prefixes (`00` in China), starts the international form;
/// anything else is a national number whose trunk prefix (`0` in China) gives way to the region's
/// calling code. Full-width digits and the usual separators are accepted.
public enum PhoneNumber {
    /// The E.164 form of `text`, read in `region`; a 422 naming `field` when it is not a number.
    public static func normalize(_ text: String, region: PhoneRegion, field: String) throws(Problem) -> String {
        func refuse(_ why: String) -> Problem {
            .invalidField(field, "\(field) '\(text)' is not a telephone number: \(why)")
        }
        guard text.count <= 40 else { throw refuse("it is longer than 40 characters.") }
        var plus = false
        var digits = ""
        // "+44 (0)20 …": the bracketed trunk prefix is not dialled from abroad.
        let written =
            text.contains("0)") || text.contains("0）")
            ? text.replacingOccurrences(of: "(0)", with: "").replacingOccurrences(of: "（0）", with: "") : text
        for character in written {
            if character == "+" || character == "＋" {
                guard digits.isEmpty, !plus else { throw refuse("'+' may only start the number.") }
                plus = true
            } else if let value = character.wholeNumberValue, character.isNumber, (0...9).contains(value) {
                digits.append(Character(String(value)))
            } else if !separators.contains(character) && !character.isWhitespace {
                throw refuse("it may hold only digits, spaces, '+', '-', '.', '/' and brackets.")
            }
        }
        guard !digits.isEmpty else { throw refuse("it has no digits.") }

        if plus { return try international(digits, refuse: refuse) }
        if let prefix = region.internationalPrefixes.first(where: { digits.hasPrefix($0) }) {
            return try international(String(digits.dropFirst(prefix.count)), refuse: refuse)
        }
        var national = digits
        if let trunk = region.trunkPrefix, national.hasPrefix(trunk),
            region.fits(String(national.dropFirst(trunk.count)))
        {
            national.removeFirst(trunk.count)
        } else if national.hasPrefix(region.callingCode), !region.fits(national),
            region.fits(String(national.dropFirst(region.callingCode.count)))
        {
            // The calling code without its '+': "8613800138000".
            national.removeFirst(region.callingCode.count)
        }
        guard region.fits(national) else {
            throw refuse(
                "national numbers in \(region.code) have \(region.lengthRule(for: national)), this has \(national.count)."
            )
        }
        guard !(region.trunkPrefix == "0" && national.hasPrefix("0")) else {
            throw refuse("no national number in \(region.code) starts with 0 after the trunk prefix.")
        }
        return "+" + region.callingCode + national
    }

    /// `digits` after the `+`: the calling code and the national significant number.
    static func international(_ digits: String, refuse: (String) -> Problem) throws(Problem) -> String {
        guard !digits.hasPrefix("0") else { throw refuse("no country calling code starts with 0.") }
        let callingCode = (1...3).lazy.map { String(digits.prefix($0)) }.first { PhoneRegion.byCallingCode[$0] != nil }
        guard let callingCode, let region = PhoneRegion.byCallingCode[callingCode] else {
            guard (7...15).contains(digits.count) else {
                throw refuse("an international number has 7 to 15 digits, this has \(digits.count).")
            }
            return "+" + digits
        }
        var national = String(digits.dropFirst(callingCode.count))
        // "+86 010 …": a trunk prefix of 0 written after the calling code is not dialled.
        if region.trunkPrefix == "0", national.hasPrefix("0") { national.removeFirst() }
        guard region.fits(national) else {
            throw refuse(
                "numbers under +\(callingCode) have \(region.lengthRule(for: national)) after the calling code, this has \(national.count)."
            )
        }
        return "+" + callingCode + national
    }

    static let separators: Set<Character> = ["-", ".", "/", "(", ")", "（", "）", "－", "—", "–"]
}
