import Foundation
import Hummingbird
import Logging

/// The post-trip survey a signed link leads to (`SurveyLink`), answered without signing in:
///
/// - `GET /s/<token>`: the question, 0–10, with room for a comment;
/// - `POST /s/<token>`: the answer (a form: `score`, `comment`), recorded once for the order as
///   partners' answers are (`NPSAnswering`, source `link`).
struct SurveyRoutes: Sendable {
    let client: PQPool
    let key: MessageLinkKey
    let events: DomainEvents
    let clock: WallClock
    let logger: Logger

    func add(to router: Router<ItineraRequestContext>) {
        router.get("/s/:token") { _, context -> Response in
            let link = try await link(context)
            return try await MessageLinkRoutes.inTenant(link.tenant, client: client, logger: logger) {
                tenant, connection in
                guard let survey = try await NPSStore.survey(order: link.order, on: connection) else {
                    throw MessageLinkRoutes.unknownLink
                }
                return survey.answered ? Self.answered : Self.question(tenant: tenant.name)
            }
        }
        router.post("/s/:token") { request, context -> Response in
            let form = Self.form(try await request.body.collect(upTo: 16 * 1024))
            let link = try await link(context)
            let at = clock.now()
            return try await MessageLinkRoutes.inTenant(link.tenant, client: client, logger: logger) {
                tenant, connection in
                guard let survey = try await NPSStore.survey(order: link.order, on: connection) else {
                    throw MessageLinkRoutes.unknownLink
                }
                guard let score = form["score"].flatMap({ Int($0) }), (0...10).contains(score) else {
                    return Self.question(tenant: tenant.name, status: .unprocessableContent, note: "Choose 0 to 10.")
                }
                let comment = form["comment"].map { String($0.trimmed.unicodeScalars.prefix(5000)) }
                let recorded = try await NPSAnswering.record(
                    .init(
                        customer: survey.customer, order: link.order, score: score,
                        comment: comment?.isEmpty == false ? comment : nil, stage: "post", source: "link"),
                    at: at, in: EventContext(connection: connection, tenant: tenant, events: events))
                switch recorded {
                case .success: return HTMLPage.response(title: "Thank you", body: "<p>Your answer is recorded.</p>")
                case .failure: return Self.answered
                }
            }
        }
    }

    private func link(_ context: ItineraRequestContext) async throws -> SurveyLink {
        guard let token = context.parameters.get("token"), let link = SurveyLink(token: token, key: try await key.get())
        else { throw MessageLinkRoutes.unknownLink }
        return link
    }

    private static let answered = HTMLPage.response(
        title: "Thank you", body: "<p>This trip has been answered already.</p>")

    private static func question(tenant: String, status: HTTPResponse.Status = .ok, note: String? = nil) -> Response {
        let scores = (0...10).map { score in
            """
            <label style="display: inline-block; margin: 0 .3rem .5rem 0">\
            <input type="radio" name="score" value="\(score)" required> \(score)</label>
            """
        }.joined()
        return HTMLPage.response(
            title: "How was your trip?",
            body: """
                \(note.map { "<p role=\"alert\"><strong>\(HTMLPage.escaped($0))</strong></p>" } ?? "")
                <form method="post"><fieldset><legend>How likely are you to recommend \
                \(HTMLPage.escaped(tenant)) to a friend? (0: not at all, 10: very)</legend>\(scores)</fieldset>
                <p><label for="comment">Anything to tell us?</label><br>
                <textarea id="comment" name="comment" rows="4" cols="40" maxlength="5000"></textarea></p>
                <button type="submit">Send</button></form>
                """, status: status)
    }

    /// The fields of a URL-encoded form.
    static func form(_ buffer: ByteBuffer) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in String(buffer: buffer).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decoded(_ text: Substring) -> String {
                (String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "")
            }
            if let name = parts.first { fields[decoded(name)] = parts.count > 1 ? decoded(parts[1]) : "" }
        }
        return fields
    }
}
