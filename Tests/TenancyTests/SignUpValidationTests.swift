import Itinera
import Testing

@Suite struct SignUpValidationTests {
    /// One sign-up input, valid unless a test changes a field; `field` names what the change breaks.
    struct Case: Sendable, CustomTestStringConvertible {
        var field = ""
        var name = "Acme"
        var slug = "acme"
        var kind = "agency"
        var timezone: String? = nil
        var currency: String? = nil
        var email = "a@acme.example"
        var password = "0123456789"
        var testDescription: String { "\(field): \(slug) \(kind) \(timezone ?? "-") \(currency ?? "-") \(email)" }

        static func breaking(_ field: String, _ change: (inout Case) -> Void) -> Case {
            var input = Case(field: field)
            change(&input)
            return input
        }

        func validate() throws(Problem) -> ValidSignUp {
            try SignUpValidation.validate(
                name: name, slug: slug, kind: kind, timezone: timezone, currency: currency,
                ownerEmail: email, ownerPassword: password, ownerName: "Owner"
            )
        }
    }

    static let badInputs: [Case] =
        ["ab", "1acme", "Acme", "acme_travel", "a" + String(repeating: "b", count: 40), "acme travel"].map { slug in
            Case.breaking("tenant.slug") { $0.slug = slug }
        }
        + [
            .breaking("tenant.kind") { $0.kind = "cruise" },
            .breaking("tenant.timezone") { $0.timezone = "Mars/Olympus" },
            .breaking("tenant.currency") { $0.currency = "XYZ" },
            .breaking("tenant.currency") { $0.currency = "cny" },
            .breaking("owner.password") { $0.password = "short9chr" },
            .breaking("tenant.name") { $0.name = "   " },
        ]
        + ["not-an-email", "a@b", "@acme.example", "a b@acme.example"].map { email in
            Case.breaking("owner.email") { $0.email = email }
        }

    @Test func test_theBaseCase_isValid() throws {
        _ = try Case().validate()
    }

    @Test(arguments: badInputs)
    func test_badInput_isRefusedNamingTheField(_ input: Case) {
        do {
            _ = try input.validate()
            Issue.record("\(input.testDescription) was accepted")
        } catch {
            #expect(error.field == input.field)
            #expect(error.status == .unprocessableContent)
        }
    }

    @Test func test_validInput_isNormalisedWithDefaults() throws {
        let signUp = try SignUpValidation.validate(
            name: "  Acme Travel ", slug: "acme-travel", kind: "scenic_area", timezone: nil, currency: nil,
            ownerEmail: " Owner@ACME.example ", ownerPassword: "0123456789", ownerName: "Olive"
        )
        #expect(signUp.name == "Acme Travel")
        #expect(signUp.kind == .scenicArea)
        #expect(signUp.timezone == "Asia/Shanghai")
        #expect(signUp.currency == "CNY")
        #expect(signUp.ownerEmail == "owner@acme.example")
    }

    @Test func test_explicitZoneAndCurrency_areKept() throws {
        let signUp = try SignUpValidation.validate(
            name: "Alpine", slug: "alpine", kind: "hotel", timezone: "Europe/Zurich", currency: "CHF",
            ownerEmail: "a@alpine.example", ownerPassword: "0123456789", ownerName: "A"
        )
        #expect(signUp.timezone == "Europe/Zurich")
        #expect(signUp.currency == "CHF")
    }
}
