import Foundation
import HTTPTypes
import Hummingbird
import ItineraAPI
import Logging

/// The web console at `/console`, served by the same binary over HTTPS. Each page runs the API's
/// own operations for the signed-in user (`APIService`), under the operation's rule from the one
/// access table, so the console can do exactly what the user's role may do through the API.
struct ConsoleRoutes: Sendable {
    let service: APIService
    let access: AccessControl
    let key: MessageLinkKey
    let sessionLifetime: Duration
    let logger: Logger

    func add(to router: Router<ItineraRequestContext>) {
        addTiers(to: router)
        addCampaigns(to: router)
        addReads(to: router)
        addAdmin(to: router)
        addCommunity(to: router)
        addMembers(to: router)
        router.get("/console/console.js") { _, _ -> Response in
            Response(
                status: .ok,
                headers: [
                    .contentType: "text/javascript; charset=utf-8", .cacheControl: "public, max-age=3600",
                    HTTPField.Name("X-Content-Type-Options")!: "nosniff",
                ],
                body: .init(byteBuffer: ByteBuffer(string: ConsoleTemplates.script)))
        }
        router.get("/console/sign-in") { request, _ -> Response in
            Self.signInPage(ConsolePage(language: Self.language(request.headers)), error: nil)
        }
        router.post("/console/sign-in") { request, _ -> Response in
            let form = SurveyRoutes.form(try await request.body.collect(upTo: 16 * 1024))
            let page = ConsolePage(language: .init(form["language"]))
            let tenant = form["tenant"] ?? "", email = form["email"] ?? "", password = form["password"] ?? ""
            do {
                let output = try await service.createSession(
                    .init(body: .json(.init(tenant: tenant, email: email, password: password))))
                guard case .created(let created) = output, case .json(let session) = created.body,
                    let token = SessionToken(parsing: session.token)
                else { return Self.signInPage(page, error: page.word("wrong")) }
                if let user = UUID(uuidString: session.user.id) {
                    try await access.client.withConnection { connection in
                        try await UserStore.setLanguage(
                            page.language.rawValue, id: user, on: connection, logger: logger)
                    }
                }
                var headers = HTTPFields()
                headers[.location] = "/console"
                headers.append(
                    HTTPField(
                        name: .setCookie,
                        value: ConsoleSession.setCookie(token, maxAge: Int(sessionLifetime.milliseconds / 1000))))
                headers.append(HTTPField(name: .setCookie, value: Self.languageCookie(page.language)))
                return Response(status: .seeOther, headers: headers)
            } catch let problem as Problem where problem.status.kind == .clientError {
                return Self.signInPage(page, error: page.word("wrong"), status: problem.status)
            }
        }
        getPage(router, "/console") { request, _, session, page in
            return try await run("getInsightOverview", session, page) { principal, page in
                guard case .ok(let ok) = try await service.getInsightOverview(.init()),
                    case .json(let overview) = ok.body
                else { throw Problem.forbidden("No overview.") }
                return page.response(
                    "overview", title: page.word("overview"),
                    ConsoleOverview.context(
                        overview, page: page, principal: principal, csrf: session.csrf(try await key.get())))
            }
        }
        postForm(router, "/console/sign-out") { request, _, form, session, page in
            return try await run("deleteCurrentSession", session, page) { _, page in
                _ = try await service.deleteCurrentSession(.init())
                var headers = HTTPFields()
                headers[.location] = "/console/sign-in"
                headers.append(HTTPField(name: .setCookie, value: ConsoleSession.setCookie(nil, maxAge: 0)))
                return Response(status: .seeOther, headers: headers)
            }
        }
    }

    /// Runs `body` as the API operation `operationID` for the session's user: the operation's rule
    /// from the access table decides, as it does for the API. A session that is gone leads back to
    /// the sign-in page, a role the rule refuses to a 403 page, any other refusal of the API to a page
    /// saying why (with a link to `back`).
    func run(
        _ operationID: String, _ session: ConsoleSession, _ page: ConsolePage, back: String = "/console",
        _ body: (Principal, ConsolePage) async throws -> Response
    ) async throws -> Response {
        guard let rule = AccessTable.rules[operationID], let scope = RequestScope.current else {
            return page.message(page.word("forbidden"), title: "403", status: .forbidden)
        }
        scope.setAccess(AccessRequest(operationID: operationID, rule: rule, credential: .session(session.token)))
        do {
            // The user and their language, in one statement's transaction before the operation's own.
            let (principal, language) = try await access.inControl { connection, principal in
                guard case .user(let id, _) = principal.actor else { return (principal, nil as String?) }
                return (principal, try await UserStore.language(id: id, on: connection, logger: logger))
            }
            return try await body(
                principal,
                ConsolePage(
                    language: .init(language), zone: principal.tenant.timeZone, currency: principal.tenant.currency))
        } catch let problem as Problem where problem.status == .unauthorized {
            return Self.toSignIn
        } catch let problem as Problem where problem.status == .forbidden {
            return page.message(page.word("forbidden"), title: "403", status: .forbidden)
        } catch let problem as Problem where problem.status.kind == .clientError {
            return page.message(
                problem.detail ?? problem.title, title: problem.title, back: back, status: problem.status)
        }
    }

    /// A page at `path`: the request with the session cookie's session and a page in the language
    /// the browser last chose; without a session, the sign-in page.
    func getPage(
        _ router: Router<ItineraRequestContext>, _ path: RouterPath,
        _ body:
            @escaping @Sendable (Request, ItineraRequestContext, ConsoleSession, ConsolePage) async throws -> Response
    ) {
        router.get(path) { request, context -> Response in
            guard let session = ConsoleSession(request.headers) else { return Self.toSignIn }
            return try await body(request, context, session, ConsolePage(language: Self.language(request.headers)))
        }
    }

    /// A form post to `path`, taken only with the session and the post's CSRF token from the
    /// console's own origin; otherwise the sign-in page, or a 403.
    func postForm(
        _ router: Router<ItineraRequestContext>, _ path: RouterPath, upTo limit: Int = 16 * 1024,
        _ body:
            @escaping @Sendable (Request, ItineraRequestContext, [String: String], ConsoleSession, ConsolePage)
            async throws -> Response
    ) {
        router.post(path) { request, context -> Response in
            let page = ConsolePage(language: Self.language(request.headers))
            let form = SurveyRoutes.form(try await request.body.collect(upTo: limit))
            guard let session = ConsoleSession(request.headers) else { return Self.toSignIn }
            guard
                session.admits(
                    form: form, headers: request.headers, authority: request.head.authority, key: try await key.get())
            else { return page.message("CSRF", title: "403", status: .forbidden) }
            return try await body(request, context, form, session, page)
        }
    }

    static let toSignIn = Response(status: .seeOther, headers: [.location: "/console/sign-in"])

    static func language(_ headers: HTTPFields) -> ConsolePage.Language {
        for header in headers[values: .cookie] {
            for pair in header.split(separator: ";") {
                let parts = pair.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
                if parts.count == 2, parts[0] == "itinera_lang" { return .init(String(parts[1])) }
            }
        }
        return .en
    }

    static func languageCookie(_ language: ConsolePage.Language) -> String {
        "itinera_lang=\(language.rawValue); Path=/console; Max-Age=31536000; Secure; SameSite=Strict"
    }

    static func signInPage(_ page: ConsolePage, error: String?, status: HTTPResponse.Status = .ok) -> Response {
        page.response("sign-in", title: page.word("sign_in"), error.map { ["error": $0] } ?? [:], status: status)
    }
}

extension Principal {
    /// Whether the access table's rule for `operationID` admits this principal's role: the console
    /// shows a button only when the operation it posts would be allowed.
    func may(_ operationID: String) -> Bool {
        guard let role, let rule = AccessTable.rules[operationID] else { return false }
        return rule.roles.contains(role)
    }
}
