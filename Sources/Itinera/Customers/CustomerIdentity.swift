/// One way to recognise a customer, in the normal form it is stored and compared in. Each identity
/// belongs to at most one customer of a tenant.
public struct CustomerIdentity: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case phone
        case email
        case memberCard = "member_card"
        case external
    }

    public var kind: Kind
    /// The partner system of an external id; empty for the other kinds.
    public var source: String
    public var value: String

    public init(kind: Kind, source: String = "", value: String) {
        self.kind = kind
        self.source = source
        self.value = value
    }

    /// How a message names the identity: `phone +8613800138000`, `external id ota:123`.
    public var described: String {
        switch kind {
        case .external: "external id \(source):\(value)"
        case .memberCard: "member card \(value)"
        case .phone, .email: "\(kind.rawValue) \(value)"
        }
    }
}

/// The identities a request names, each checked and brought to its normal form.
public struct IdentityInput: Sendable {
    public var phone: String?
    public var email: String?
    public var memberCard: String?
    public var externalIDs: [(source: String, id: String)]

    public init(phone: String?, email: String?, memberCard: String?, externalIDs: [(source: String, id: String)]) {
        self.phone = phone
        self.email = email
        self.memberCard = memberCard
        self.externalIDs = externalIDs
    }

    /// The normal forms, with the JSON path each came from (under `prefix`, e.g. `customer.`).
    public func normalized(region: PhoneRegion, prefix: String = "") throws(Problem) -> [(
        identity: CustomerIdentity, field: String
    )] {
        var found: [(CustomerIdentity, String)] = []
        if let phone {
            let field = prefix + "phone"
            found.append(
                (
                    CustomerIdentity(
                        kind: .phone, value: try PhoneNumber.normalize(phone, region: region, field: field)), field
                ))
        }
        if let email {
            let field = prefix + "email"
            found.append(
                (CustomerIdentity(kind: .email, value: try SignUpValidation.email(email, field: field)), field))
        }
        if let memberCard {
            let field = prefix + "member_card"
            found.append(
                (CustomerIdentity(kind: .memberCard, value: try Self.memberCard(memberCard, field: field)), field))
        }
        guard externalIDs.count <= 20 else {
            throw .invalidField(prefix + "external_ids", "\(prefix)external_ids may hold at most 20 ids.")
        }
        for (index, external) in externalIDs.enumerated() {
            let field = "\(prefix)external_ids[\(index)]"
            let source = external.source
            guard Self.isSource(source) else {
                throw .invalidField(
                    field + ".source",
                    "\(field).source must be 1–64 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit."
                )
            }
            let id = try FieldText.required(external.id, field: field + ".id", max: 200)
            found.append((CustomerIdentity(kind: .external, source: source.lowercased(), value: id), field))
        }
        var seen = Set<CustomerIdentity>()
        return found.filter { seen.insert($0.0).inserted }
    }

    /// Card numbers are compared without spaces or hyphens and in upper case: `mc 0012-3456` is
    /// `MC00123456`.
    static func memberCard(_ text: String, field: String) throws(Problem) -> String {
        let compact = String(text.uppercased().filter { !$0.isWhitespace && $0 != "-" })
        guard (4...32).contains(compact.count), compact.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) })
        else {
            throw .invalidField(field, "\(field) must be 4–32 letters and digits (spaces and hyphens are ignored).")
        }
        return compact
    }

    /// A partner system's name as written (`ExternalId.source`): 1–64 ASCII letters, digits, `.`, `_`
    /// or `-`, starting with a letter or digit; it is kept in lower case.
    static func isSource(_ source: String) -> Bool {
        source.wholeMatch(of: /[A-Za-z0-9][A-Za-z0-9._-]{0,63}/) != nil
    }
}
