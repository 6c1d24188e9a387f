import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ItineraTestSupport
import Testing

@testable import Itinera

/// The console's sign-in, session cookie, CSRF and overview, against the real database.
@Suite struct ConsoleSignInTests {
    static let form: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]

    static func post(_ client: some TestClientProtocol, _ path: String, _ body: String, headers: HTTPFields = [:])
        async throws -> TestResponse
    {
        var fields = form
        fields.append(contentsOf: headers)
        return try await client.execute(uri: path, method: .post, headers: fields, body: ByteBuffer(string: body))
    }

    @Test func test_signIn_setsAStrictHttpOnlyCookie_theOverviewShows_andSignOutNeedsTheCSRFToken() async throws {
        try await TestDatabase.with { db in
            try await Application(router: try buildRouter(db.parts { $0.jobWorkers = 0 })).test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "console")
                let away = try await client.execute(uri: "/console", method: .get)
                #expect(away.status == .seeOther && away.headers[.location] == "/console/sign-in")
                let form = try await client.execute(uri: "/console/sign-in", method: .get)
                #expect(form.status == .ok && String(buffer: form.body).contains("<label for=\"password\">"))

                let wrong = try await Self.post(
                    client, "/console/sign-in",
                    "tenant=\(tenant.slug)&email=owner%40\(tenant.slug).example&password=nope&language=en")
                #expect(wrong.status == .unauthorized && String(buffer: wrong.body).contains("role=\"alert\""))

                let signedIn = try await Self.post(
                    client, "/console/sign-in",
                    "tenant=\(tenant.slug)&email=owner%40\(tenant.slug).example&password=correct+horse+battery&language=zh"
                )
                #expect(signedIn.status == .seeOther && signedIn.headers[.location] == "/console")
                let cookies = signedIn.headers[values: .setCookie]
                let session = try #require(cookies.first { $0.hasPrefix("itinera_console=its_") })
                for attribute in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/console"] {
                    #expect(session.contains(attribute), "\(attribute) in \(session)")
                }
                // The language is the user's, kept at sign-in: no language cookie is sent here.
                let cookie: HTTPFields = [.cookie: String(session.prefix { $0 != ";" })]

                let overview = try await client.execute(uri: "/console", method: .get, headers: cookie)
                let html = String(buffer: overview.body)
                #expect(overview.status == .ok, "\(html)")
                #expect(html.contains("概览") && html.contains("暂无回答"))
                #expect(html.contains("data-figure=\"customers\""))
                #expect(overview.headers[.contentSecurityPolicy]?.contains("default-src 'none'") == true)
                let csrf = try #require(
                    html.firstRange(of: "name=\"csrf\" value=\"").map { String(html[$0.upperBound...].prefix(64)) })

                // A form another site posts: no token, a foreign origin, a cross-site fetch.
                #expect(try await Self.post(client, "/console/sign-out", "", headers: cookie).status == .forbidden)
                var foreign = cookie
                foreign[HTTPField.Name("Origin")!] = "https://evil.example"
                #expect(
                    try await Self.post(client, "/console/sign-out", "csrf=\(csrf)", headers: foreign).status
                        == .forbidden)
                var crossSite = cookie
                crossSite[HTTPField.Name("Sec-Fetch-Site")!] = "cross-site"
                #expect(
                    try await Self.post(client, "/console/sign-out", "csrf=\(csrf)", headers: crossSite).status
                        == .forbidden)
                #expect(try await client.execute(uri: "/console", method: .get, headers: cookie).status == .ok)

                let out = try await Self.post(client, "/console/sign-out", "csrf=\(csrf)", headers: cookie)
                #expect(out.status == .seeOther && out.headers[.location] == "/console/sign-in")
                #expect(out.headers[values: .setCookie].contains { $0.hasPrefix("itinera_console=;") })
                let after = try await client.execute(uri: "/console", method: .get, headers: cookie)
                #expect(after.status == .seeOther && after.headers[.location] == "/console/sign-in")
            }
        }
    }

    @Test func test_theScript_isServedAsJavaScriptFromTheConsole_whichThePagesCSPAllows_andNoPageInlines() async throws
    {
        try await TestDatabase.with { db in
            try await Application(router: try buildRouter(db.parts { $0.jobWorkers = 0 })).test(.router) { client in
                let script = try await client.execute(uri: "/console/console.js", method: .get)
                #expect(script.status == .ok)
                #expect(script.headers[.contentType] == "text/javascript; charset=utf-8")
                #expect(script.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff")
                #expect(String(buffer: script.body).contains("data-live-preview"))

                let page = try await client.execute(uri: "/console/sign-in", method: .get)
                let html = String(buffer: page.body)
                let policy = try #require(page.headers[.contentSecurityPolicy])
                #expect(policy.contains("script-src 'self'"))
                #expect(!policy.split(separator: ";").contains { $0.contains("script-src") && $0.contains("unsafe") })
                #expect(html.contains("<script src=\"/console/console.js\" defer></script>"))
                // Every script the page has is that file: none inline, which the policy would refuse.
                #expect(html.components(separatedBy: "<script").count == 2)
            }
        }
    }
}
