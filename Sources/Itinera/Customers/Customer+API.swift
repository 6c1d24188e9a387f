import Foundation
import ItineraAPI
import OpenAPIRuntime

/// Reading customer fields from requests: each checked, trimmed and named by its JSON path.
enum CustomerInput {
    /// The identities of `fields`, normalised in the tenant's region.
    static func identities(_ fields: Components.Schemas.IdentityFields, region: PhoneRegion, prefix: String = "")
        throws(Problem) -> [(identity: CustomerIdentity, field: String)]
    {
        try IdentityInput(
            phone: fields.phone, email: fields.email, memberCard: fields.memberCard,
            externalIDs: (fields.externalIds ?? []).map { ($0.source, $0.id) }
        ).normalized(region: region, prefix: prefix)
    }

    /// The customer an order or interaction names, by id and identities; at least one is needed.
    static func reference(_ reference: Components.Schemas.CustomerReference, region: PhoneRegion) throws(Problem)
        -> (id: Int64?, identities: [(identity: CustomerIdentity, field: String)], profile: CustomerProfile)
    {
        let identities = try identities(reference.value1, region: region, prefix: "customer.")
        let id = try reference.value2.id.map { text throws(Problem) in try customerID(text, field: "customer.id") }
        guard id != nil || !identities.isEmpty else {
            throw .invalidField(
                "customer", "customer needs an id or at least one of phone, email, member_card, external_ids.")
        }
        let name = try reference.value2.name.map { name throws(Problem) in
            try SignUpValidation.displayName(name, field: "customer.name")
        }
        return (id, identities, CustomerProfile(name: name))
    }

    /// A customer id as paths and bodies carry it.
    static func customerID(_ text: String, field: String) throws(Problem) -> Int64 {
        try FieldText.id(text, field: field, what: "a customer id")
    }

    static func profile(_ fields: Components.Schemas.ProfileFields) throws(Problem) -> CustomerProfile {
        var profile = CustomerProfile()
        profile.name = try fields.name.map { name throws(Problem) in
            try SignUpValidation.displayName(name, field: "name")
        }
        profile.gender = fields.gender.flatMap { CustomerProfile.Gender(rawValue: $0.rawValue) }
        if let year = fields.birthYear {
            let thisYear = Calendar(identifier: .gregorian).component(.year, from: Date())
            guard (1900...thisYear).contains(year) else {
                throw .invalidField("birth_year", "birth_year must be between 1900 and \(thisYear).")
            }
            profile.birthYear = year
        }
        profile.region = try fields.region.map { text throws(Problem) in try place(text, field: "region") }
        profile.city = try fields.city.map { text throws(Problem) in try place(text, field: "city") }
        if let language = fields.language {
            guard language.wholeMatch(of: /[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8}){0,4}/) != nil else {
                throw .invalidField(
                    "language", "language must be a BCP 47 tag such as zh-CN; '\(language)' is not one.")
            }
            profile.language = language
        }
        profile.attributes = try fields.attributes.map { attributes throws(Problem) in
            try jsonObject(attributes.additionalProperties, field: "attributes")
        }
        return profile
    }

    static func consents(_ input: Components.Schemas.ConsentsInput?, now: Date = Date()) throws(Problem) -> [Consent] {
        guard let input else { return [] }
        let given: [(Consent.Channel, Components.Schemas.ConsentInput?)] = [
            (.email, input.email), (.sms, input.sms), (.wechat, input.wechat), (.phone, input.phone),
        ]
        var consents: [Consent] = []
        for case (let channel, let consent?) in given {
            let field = "consents.\(channel.rawValue)"
            let recordedAt = consent.recordedAt ?? now
            guard recordedAt <= now.addingTimeInterval(300) else {
                throw .invalidField(field + ".recorded_at", "\(field).recorded_at must not be in the future.")
            }
            let source = try FieldText.required(consent.source ?? "api", field: field + ".source", max: 100)
            // A statement without a purpose covers both.
            let purposes =
                consent.purpose.map { [Consent.Purpose(rawValue: $0.rawValue) ?? .marketing] }
                ?? Consent.Purpose.allCases
            for purpose in purposes {
                consents.append(
                    Consent(
                        channel: channel, purpose: purpose, granted: consent.granted, recordedAt: recordedAt,
                        source: source))
            }
        }
        return consents
    }

    /// A trimmed place name of 1–100 characters.
    static func place(_ text: String, field: String) throws(Problem) -> String {
        try FieldText.required(text, field: field, max: 100)
    }

    /// A JSON object of at most 16 KiB, as text.
    static func jsonObject(_ container: OpenAPIObjectContainer, field: String) throws(Problem) -> String {
        guard let data = try? JSONEncoder().encode(container), data.count <= 16 * 1024 else {
            throw .invalidField(field, "\(field) must be a JSON object of at most 16 KiB.")
        }
        return String(decoding: data, as: UTF8.self)
    }
}

extension Customer {
    /// The one view of the customer, with value figures in the tenant's currency.
    func api(currency: String) throws -> Components.Schemas.Customer {
        Components.Schemas.Customer(
            id: String(id),
            name: profile.name,
            gender: profile.gender.flatMap { Components.Schemas.Gender(rawValue: $0.rawValue) },
            birthYear: profile.birthYear,
            region: profile.region,
            city: profile.city,
            language: profile.language,
            attributes: .init(
                additionalProperties: try JSONDecoder().decode(
                    OpenAPIObjectContainer.self, from: Data((profile.attributes ?? "{}").utf8))),
            identities: identities.map { identity in
                Components.Schemas.Identity(
                    _type: Components.Schemas.Identity._TypePayload(rawValue: identity.kind.rawValue) ?? .external,
                    value: identity.value,
                    source: identity.source.isEmpty ? nil : identity.source)
            },
            tags: tags,
            consents: consents.map { consent in
                Components.Schemas.Consent(
                    channel: Components.Schemas.Consent.ChannelPayload(rawValue: consent.channel.rawValue) ?? .email,
                    purpose: Components.Schemas.ConsentPurpose(rawValue: consent.purpose.rawValue) ?? .marketing,
                    granted: consent.granted, recordedAt: consent.recordedAt, source: consent.source)
            },
            value: Components.Schemas.ValueFigures(
                orderCount: figures.orderCount,
                totalSpentMinor: figures.totalSpentMinor,
                averageOrderValueMinor: figures.averageOrderValueMinor,
                currency: currency,
                firstOrderAt: figures.firstOrderAt,
                lastOrderAt: figures.lastOrderAt),
            rfm: rfm.map { score in
                Components.Schemas.Rfm(
                    recency: score.recency, frequency: score.frequency, monetary: score.monetary,
                    segment: score.segment, computedAt: score.computedAt)
            },
            createdAt: createdAt,
            updatedAt: updatedAt
        )
    }
}
