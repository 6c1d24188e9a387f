/// What it takes to read a telephone number written the way people of one country write it: the
/// country calling code, the prefixes dialled there to call abroad, the trunk prefix dialled before
/// a national number, and how many digits a national significant number has.
///
/// The figures are the ITU-T E.164 assignments and national numbering plans as published by each
/// country's regulator. Countries not listed can still be reached with numbers written in the
/// international form (`+<calling code> …`); they cannot be a tenant's default region.
public struct PhoneRegion: Sendable, Equatable {
    /// ISO 3166-1 alpha-2 code, upper case.
    public let code: String
    public let callingCode: String
    /// Longest first, so `0011` is tried before `00`.
    public let internationalPrefixes: [String]
    public let trunkPrefix: String?
    public let nationalLengths: ClosedRange<Int>
    /// National numbers starting with one of these prefixes have exactly this length: China's mobile
    /// numbers (13–19) have 11 digits, while Beijing's landlines start with 10.
    public let exactLengths: [String: Int]

    init(
        _ code: String, _ callingCode: String, international: [String], trunk: String?, lengths: ClosedRange<Int>,
        exact: [String: Int] = [:]
    ) {
        self.code = code
        self.callingCode = callingCode
        self.internationalPrefixes = international.sorted { $0.count > $1.count }
        self.trunkPrefix = trunk
        self.nationalLengths = lengths
        self.exactLengths = exact
    }

    /// Whether `national` (digits after the calling code and any trunk prefix) has a length numbers
    /// here have.
    func fits(_ national: String) -> Bool {
        guard let (_, exact) = exactLengths.first(where: { national.hasPrefix($0.key) }) else {
            return nationalLengths.contains(national.count)
        }
        return national.count == exact
    }

    /// The length rule `national` breaks, in words: "9–11 digits", "11 digits when they start with 1".
    func lengthRule(for national: String) -> String {
        if let (prefix, exact) = exactLengths.first(where: { national.hasPrefix($0.key) }) {
            return "\(exact) digits when they start with \(prefix)"
        }
        let lengths = nationalLengths
        return lengths.count == 1
            ? "\(lengths.lowerBound) digits" : "\(lengths.lowerBound)–\(lengths.upperBound) digits"
    }

    /// The regions a tenant may take as its default, by ISO code.
    public static let all: [String: PhoneRegion] = Dictionary(
        uniqueKeysWithValues: [
            PhoneRegion(
                "CN", "86", international: ["00"], trunk: "0", lengths: 9...11,
                exact: Dictionary(uniqueKeysWithValues: (13...19).map { (String($0), 11) })),
            PhoneRegion("HK", "852", international: ["001", "00"], trunk: nil, lengths: 8...8),
            PhoneRegion("MO", "853", international: ["00"], trunk: nil, lengths: 8...8),
            PhoneRegion("TW", "886", international: ["002", "00"], trunk: "0", lengths: 8...9),
            PhoneRegion("JP", "81", international: ["010"], trunk: "0", lengths: 9...10),
            PhoneRegion("KR", "82", international: ["001", "002"], trunk: "0", lengths: 8...10),
            PhoneRegion("SG", "65", international: ["000", "001"], trunk: nil, lengths: 8...8),
            PhoneRegion("MY", "60", international: ["00"], trunk: "0", lengths: 8...10),
            PhoneRegion("TH", "66", international: ["001"], trunk: "0", lengths: 8...9),
            PhoneRegion("VN", "84", international: ["00"], trunk: "0", lengths: 9...10),
            PhoneRegion("ID", "62", international: ["001", "007"], trunk: "0", lengths: 8...12),
            PhoneRegion("PH", "63", international: ["00"], trunk: "0", lengths: 8...10),
            PhoneRegion("IN", "91", international: ["00"], trunk: "0", lengths: 10...10),
            PhoneRegion("AE", "971", international: ["00"], trunk: "0", lengths: 8...9),
            PhoneRegion("AU", "61", international: ["0011"], trunk: "0", lengths: 9...9),
            PhoneRegion("NZ", "64", international: ["00"], trunk: "0", lengths: 8...10),
            PhoneRegion("US", "1", international: ["011"], trunk: "1", lengths: 10...10),
            PhoneRegion("CA", "1", international: ["011"], trunk: "1", lengths: 10...10),
            PhoneRegion("GB", "44", international: ["00"], trunk: "0", lengths: 9...10),
            PhoneRegion("IE", "353", international: ["00"], trunk: "0", lengths: 7...9),
            PhoneRegion("FR", "33", international: ["00"], trunk: "0", lengths: 9...9),
            PhoneRegion("DE", "49", international: ["00"], trunk: "0", lengths: 6...13),
            PhoneRegion("IT", "39", international: ["00"], trunk: nil, lengths: 6...11),
            PhoneRegion("ES", "34", international: ["00"], trunk: nil, lengths: 9...9),
            PhoneRegion("PT", "351", international: ["00"], trunk: nil, lengths: 9...9),
            PhoneRegion("NL", "31", international: ["00"], trunk: "0", lengths: 9...9),
            PhoneRegion("CH", "41", international: ["00"], trunk: "0", lengths: 9...9),
            PhoneRegion("AT", "43", international: ["00"], trunk: "0", lengths: 4...13),
            PhoneRegion("RU", "7", international: ["810"], trunk: "8", lengths: 10...10),
        ].map { ($0.code, $0) }
    )

    /// Calling codes of the listed regions, for splitting an international number.
    static let byCallingCode: [String: PhoneRegion] = Dictionary(
        all.values.map { ($0.callingCode, $0) },
        uniquingKeysWith: { first, second in first.code < second.code ? first : second })
}
