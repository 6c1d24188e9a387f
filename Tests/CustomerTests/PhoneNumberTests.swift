import Itinera
import Testing

@Suite struct PhoneNumberTests {
    let china = PhoneRegion.all["CN"]!

    func e164(_ text: String, _ region: String = "CN") throws -> String {
        try PhoneNumber.normalize(text, region: PhoneRegion.all[region]!, field: "phone")
    }

    @Test(arguments: [
        "+86 138-0013-8000", "13800138000", "008613800138000", "+8613800138000", "8613800138000",
        "138 0013 8000", "(+86) 138.0013.8000", "＋８６ １３８００１３８０００", "+86 (0)138 0013 8000",
    ])
    func test_chineseMobile_inEveryWrittenForm_isOneNumber(_ written: String) throws {
        #expect(try e164(written) == "+8613800138000")
    }

    @Test func test_chineseLandline_dropsTheTrunkPrefix_nationallyAndAfterTheCallingCode() throws {
        #expect(try e164("010-6552 9988") == "+861065529988")
        #expect(try e164("+86 010 6552 9988") == "+861065529988")
        #expect(try e164("0755 8888 1234") == "+8675588881234")
    }

    @Test func test_theTenantsRegion_decidesNationalNumbers() throws {
        #expect(try e164("(212) 555-0142", "US") == "+12125550142")
        #expect(try e164("1 212 555 0142", "US") == "+12125550142")
        #expect(try e164("011 86 138 0013 8000", "US") == "+8613800138000")
        #expect(try e164("020 7946 0958", "GB") == "+442079460958")
        #expect(try e164("+44 (0)20 7946 0958", "CN") == "+442079460958")
        #expect(try e164("9123 4567", "HK") == "+85291234567")
        #expect(try e164("8 912 345-67-89", "RU") == "+79123456789")
    }

    @Test func test_numbersUnderCallingCodesWithoutARegion_keepTheirDigits() throws {
        #expect(try e164("+254 712 345678") == "+254712345678")
    }

    @Test(arguments: [
        ("", "no digits"), ("call me", "may hold only digits"), ("6552998", "national numbers in CN have 9–11 digits"),
        ("138001380", "have 11 digits when they start with 13"),
        ("+0 1234 5678", "starts with 0"),
        ("+86 138 0013 8000 1234", "have 11 digits when they start with 13 after the calling code"),
        ("138+0013", "may only start"), ("+1 2345", "have 10 digits after the calling code"),
        (String(repeating: "1", count: 41), "longer than 40"),
    ])
    func test_whatIsNotANumber_isRefusedNamingTheFieldAndWhy(_ written: String, _ why: String) {
        do {
            let number = try e164(written)
            Issue.record("'\(written)' was read as \(number)")
        } catch let problem as Problem {
            #expect(problem.field == "phone")
            #expect(problem.status == .unprocessableContent)
            #expect(problem.detail.contains(why), "\(problem.detail)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func test_identities_areTrimmedCaseFoldedAndCompacted() throws {
        let identities = try IdentityInput(
            phone: "13800138000", email: "  Li.Na@Example.COM ", memberCard: "mc 0012-3456",
            externalIDs: [(source: "OTA-Ctrip", id: " 99812 ")]
        ).normalized(region: china, prefix: "customer.")
        #expect(
            identities.map(\.identity) == [
                CustomerIdentity(kind: .phone, value: "+8613800138000"),
                CustomerIdentity(kind: .email, value: "li.na@example.com"),
                CustomerIdentity(kind: .memberCard, value: "MC00123456"),
                CustomerIdentity(kind: .external, source: "ota-ctrip", value: "99812"),
            ])
        #expect(
            identities.map(\.field) == [
                "customer.phone", "customer.email", "customer.member_card", "customer.external_ids[0]",
            ])
    }

    @Test(arguments: [
        (
            IdentityInput(phone: nil, email: nil, memberCard: nil, externalIDs: [(source: "bad source", id: "1")]),
            "customer.external_ids[0].source"
        ),
        (
            IdentityInput(phone: nil, email: nil, memberCard: nil, externalIDs: [(source: "crm", id: " ")]),
            "customer.external_ids[0].id"
        ),
        (IdentityInput(phone: nil, email: "no-at-sign", memberCard: nil, externalIDs: []), "customer.email"),
        (IdentityInput(phone: nil, email: nil, memberCard: "A1", externalIDs: []), "customer.member_card"),
        (IdentityInput(phone: "12", email: nil, memberCard: nil, externalIDs: []), "customer.phone"),
    ])
    func test_badIdentities_nameTheirField(_ input: IdentityInput, _ field: String) {
        do {
            _ = try input.normalized(region: china, prefix: "customer.")
            Issue.record("accepted \(input)")
        } catch {
            #expect(error.field == field)
        }
    }
}
