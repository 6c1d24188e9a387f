import Itinera
import Testing

@Suite struct SignUpValidationTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let field: String
        let name: String
        let slug: String
        let kind: String
        let timezone: String?
        let currency: String?
        let email: String
        let password: String
        var testDescription: String { field }

        static func valid() -> Case {
            Case(
                field: "", name: "Acme", slug: "acme", kind: "agency", timezone: nil, currency: nil,
                email: "a@acme.example", password: "0123456789")
        }
    }

    static let badInputs: [Case] = {
        var cases: [Case] = []
        for slug in ["ab", "1acme", "Acme", "acme_travel", "a" + String(repeating: "b", count: 40), "acme travel"] {
            var c = Case.valid();
            c = Case(
                field: "tenant.slug", name: c.name, slug: slug, kind: c.kind, timezone: nil, currency: nil,
                email: c.email, password: c.password);
            cases.append(c)
        }
        let v = Case.valid()
        cases.append(
            Case(
                field: "tenant.kind", name: v.name, slug: v.slug, kind: "cruise", timezone: nil, currency: nil,
                email: v.email, password: v.password))
        cases.append(
            Case(
                field: "tenant.timezone", name: v.name, slug: v.slug, kind: v.kind, timezone: "Mars/Olympus",
                currency: nil, email: v.email, password: v.password))
        cases.append(
            Case(
                field: "tenant.currency", name: v.name, slug: v.slug, kind: v.kind, timezone: nil, currency: "XYZ",
                email: v.email, password: v.password))
        cases.append(
            Case(
                field: "tenant.currency", name: v.name, slug: v.slug, kind: v.kind, timezone: nil, currency: "cny",
                email: v.email, password: v.password))
        for email in ["not-an-email", "a@b", "@acme.example", "a b@acme.example"] {
            cases.append(
                Case(
                    field: "owner.email", name: v.name, slug: v.slug, kind: v.kind, timezone: nil, currency: nil,
                    email: email, password: v.password))
        }
        cases.append(
            Case(
                field: "owner.password", name: v.name, slug: v.slug, kind: v.kind, timezone: nil, currency: nil,
                email: v.email, password: "short9chr"))
        cases.append(
            Case(
                field: "tenant.name", name: "   ", slug: v.slug, kind: v.kind, timezone: nil, currency: nil,
                email: v.email, password: v.password))
        return cases
    }()

    @Test(arguments: badInputs)
    func test_badInput_isRefusedNamingTheField(_ input: Case) {
        #expect(throws: Problem.self) {
            _ = try SignUpValidation.validate(
                name: input.name, slug: input.slug, kind: input.kind, timezone: input.timezone,
                currency: input.currency, ownerEmail: input.email, ownerPassword: input.password, ownerName: "Owner"
            )
        }
        do {
            _ = try SignUpValidation.validate(
                name: input.name, slug: input.slug, kind: input.kind, timezone: input.timezone,
                currency: input.currency, ownerEmail: input.email, ownerPassword: input.password, ownerName: "Owner"
            )
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
