import Foundation

/// A sign-up whose every field has been checked and normalised.
public struct ValidSignUp: Sendable, Equatable {
    public var name: String
    public var slug: String
    public var kind: Tenant.Kind
    public var timezone: String
    public var currency: String
    public var country: String
    public var ownerEmail: String
    public var ownerName: String
    public var ownerPassword: String
}

/// The rules a sign-up must meet; each failure names the field and says what would be accepted.
public enum SignUpValidation {
    public static let defaultTimezone = "Asia/Shanghai"
    public static let defaultCurrency = "CNY"
    public static let defaultCountry = "CN"

    public static func validate(
        name: String,
        slug: String,
        kind: String,
        timezone: String?,
        currency: String?,
        country: String? = nil,
        ownerEmail: String,
        ownerPassword: String,
        ownerName: String
    ) throws(Problem) -> ValidSignUp {
        let name = try displayName(name, field: "tenant.name")
        guard isValidSlug(slug) else {
            throw .invalidField(
                "tenant.slug",
                "tenant.slug must be 3–40 characters of lower-case letters, digits and hyphens, starting with a letter."
            )
        }
        guard let kind = Tenant.Kind(rawValue: kind) else {
            throw .invalidField(
                "tenant.kind",
                "tenant.kind must be one of \(Tenant.Kind.allCases.map(\.rawValue).joined(separator: ", "))."
            )
        }
        let timezone = try self.timezone(timezone ?? defaultTimezone, field: "tenant.timezone")
        let currency = try self.currency(currency ?? defaultCurrency, field: "tenant.currency")
        let country = try self.country(country ?? defaultCountry, field: "tenant.country")
        let email = try self.email(ownerEmail, field: "owner.email")
        let ownerName = try displayName(ownerName, field: "owner.name")
        try password(ownerPassword, field: "owner.password")
        return ValidSignUp(
            name: name,
            slug: slug,
            kind: kind,
            timezone: timezone,
            currency: currency,
            country: country,
            ownerEmail: email,
            ownerName: ownerName,
            ownerPassword: ownerPassword
        )
    }

    /// 10–72 characters, counted as the contract counts them (Unicode scalars); one that is longer
    /// than bcrypt's 72 bytes is hashed whole first (`PasswordHasher`), never cut.
    public static func password(_ value: String, field: String) throws(Problem) {
        guard (10...72).contains(value.unicodeScalars.count) else {
            throw .invalidField(field, "\(field) must be 10–72 characters.")
        }
    }

    public static func isValidSlug(_ slug: String) -> Bool {
        let bytes = Array(slug.utf8)
        guard (3...40).contains(bytes.count), (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(bytes[0]) else {
            return false
        }
        return bytes.allSatisfy {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0)
                || $0 == UInt8(ascii: "-")
        }
    }

    /// A trimmed, non-empty name of at most 200 characters.
    public static func displayName(_ value: String, field: String) throws(Problem) -> String {
        try FieldText.required(value, field: field, max: 200)
    }

    /// An IANA time zone name such as `Asia/Shanghai`.
    public static func timezone(_ value: String, field: String) throws(Problem) -> String {
        guard knownTimeZones.contains(value) else {
            throw .invalidField(
                field, "\(field) must be an IANA time zone such as Asia/Shanghai; '\(value)' is not one.")
        }
        return value
    }

    /// An ISO 4217 currency code such as `CNY`.
    public static func currency(_ value: String, field: String) throws(Problem) -> String {
        guard isoCurrencies.contains(value) else {
            throw .invalidField(field, "\(field) must be an ISO 4217 currency code such as CNY; '\(value)' is not one.")
        }
        return value
    }

    /// An ISO 3166-1 alpha-2 country whose telephone numbering Itinera knows, such as `CN`.
    public static func country(_ value: String, field: String) throws(Problem) -> String {
        let code = value.uppercased()
        guard PhoneRegion.all[code] != nil else {
            throw .invalidField(
                field,
                "\(field) must be an ISO 3166-1 country code of one of \(PhoneRegion.all.keys.sorted().joined(separator: ", ")); '\(value)' is not one."
            )
        }
        return code
    }

    /// A trimmed, case-folded address with one `@`, a local part and a dotted domain.
    public static func email(_ value: String, field: String) throws(Problem) -> String {
        let email = value.trimmed.lowercased()
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard email.utf8.count <= 254, parts.count == 2, !parts[0].isEmpty, parts[1].contains("."),
            !parts[1].hasPrefix("."), !parts[1].hasSuffix("."),
            !email.contains(where: { $0.isWhitespace || $0.isNewline })
        else {
            throw .invalidField(field, "\(field) must be an e-mail address such as name@example.com.")
        }
        return email
    }

    static let knownTimeZones = Set(TimeZone.knownTimeZoneIdentifiers)
    static let isoCurrencies = Set(Locale.commonISOCurrencyCodes)
}
