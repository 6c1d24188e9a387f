import Foundation
import Hummingbird
import Logging

/// A customer followed a message's one-click unsubscribe: their consent to `purpose` on `channel`
/// is withdrawn in the same transaction (by the capability that keeps consents).
struct UnsubscribeRequested: DomainEvent {
    let customerID: Int64
    let channel: String
    let purpose: String
    let messageID: Int64
}

/// The routes links in messages lead to, answered without signing in because each token is signed
/// by the server (`MessageLink`):
///
/// - `GET /u/<token>`: a page that confirms the unsubscribe with one button;
/// - `POST /u/<token>`: the one-click unsubscribe (RFC 8058: mail clients post
///   `List-Unsubscribe=One-Click`), which withdraws the marketing consent at once;
/// - `GET /r/<token>`: counts the click and redirects to the link;
/// - `POST /m/<token>`: the message gateway's report of a message's fate.
struct MessageLinkRoutes: Sendable {
    let client: PQPool
    let key: MessageLinkKey
    let events: DomainEvents
    /// Attempts the outbox events the routes append get.
    let attempts: Int
    let logger: Logger

    func add(to router: Router<ItineraRequestContext>) {
        router.get("/u/:token") { _, context -> Response in
            let link = try await link(context, .unsubscribe)
            let (tenant, message) = try await inTenant(link) { tenant, connection in
                (tenant, try await MessageStore.find(link.message, on: connection))
            }
            guard let message else { throw Self.unknownLink }
            return HTMLPage.response(
                title: "Unsubscribe",
                body: """
                    <p>Stop marketing messages by \(Message.channelName(message.channel)) from \
                    \(HTMLPage.escaped(tenant.name))?</p>
                    <form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click">
                    <button type="submit">Unsubscribe</button></form>
                    """)
        }
        router.post("/u/:token") { request, context -> Response in
            _ = try await request.body.collect(upTo: 16 * 1024)
            let link = try await link(context, .unsubscribe)
            let tenant = try await inTenant(link) { tenant, connection in
                guard let target = try await MessageStore.unsubscribeTarget(link.message, on: connection) else {
                    throw Self.unknownLink
                }
                if target.consented {
                    try await events.publish(
                        UnsubscribeRequested(
                            customerID: target.customer, channel: target.channel, purpose: "marketing",
                            messageID: link.message),
                        in: EventContext(connection: connection, tenant: tenant, events: events))
                }
                return tenant
            }
            return HTMLPage.response(
                title: "Unsubscribed",
                body: "<p>You will get no more marketing messages from \(HTMLPage.escaped(tenant.name)) this way.</p>")
        }
        router.get("/r/:token") { _, context -> Response in
            let link = try await link(context, .click)
            let target = try await inTenant(link) { _, connection in
                try await MessageStore.click(link.message, index: link.index ?? 0, attempts: attempts, on: connection)
            }
            guard let target else { throw Self.unknownLink }
            return Response(status: .found, headers: [.location: target, .cacheControl: "no-store"])
        }
        router.post("/m/:token") { request, context -> Response in
            let link = try await link(context, .status)
            let body = try await request.body.collect(upTo: 16 * 1024)
            guard let report = try? JSONDecoder().decode(StatusReport.self, from: Data(buffer: body)) else {
                throw Problem.malformedBody(
                    #"Expected {"status": "delivered" | "bounced" | "failed", "reason"?: "…"}."#)
            }
            guard ["delivered", "bounced", "failed"].contains(report.status) else {
                throw Problem.invalidField("status", "status must be delivered, bounced or failed.")
            }
            let found = try await inTenant(link) { _, connection in
                guard try await MessageStore.find(link.message, on: connection) != nil else { return false }
                try await MessageStore.move(
                    link.message, to: report.status, reason: report.reason.map { String($0.prefix(500)) },
                    attempts: attempts, on: connection)
                return true
            }
            guard found else { throw Self.unknownLink }
            return Response(status: .noContent)
        }
    }

    struct StatusReport: Decodable {
        let status: String
        let reason: String?
    }

    private func link(_ context: ItineraRequestContext, _ kind: MessageLink.Kind) async throws -> MessageLink {
        guard let token = context.parameters.get("token"),
            let link = MessageLink(token: token, key: try await key.get()), link.kind == kind
        else { throw Self.unknownLink }
        return link
    }

    /// Runs `body` in a transaction of the link's tenant, looked up by id.
    private func inTenant<Result: Sendable>(
        _ link: MessageLink, _ body: (Tenant, TenantConnection) async throws -> Result
    ) async throws -> Result {
        try await Self.inTenant(link.tenant, client: client, logger: logger, body)
    }

    /// Runs `body` in a transaction of the tenant `id` names, for a route a signed link leads to;
    /// an unknown tenant is an unknown link.
    static func inTenant<Result: Sendable>(
        _ id: UUID, client: PQPool, logger: Logger, _ body: (Tenant, TenantConnection) async throws -> Result
    ) async throws -> Result {
        try await client.transaction(logger: logger) { connection in
            let rows = try await connection.query(
                "SELECT \(unescaped: TenantStore.tenantColumns) FROM itinera.tenants t WHERE t.id = \(id)",
                logger: logger)
            guard let row = rows.first else { throw Self.unknownLink }
            let tenant = try TenantStore.tenant(from: row)
            return try await body(
                tenant, try await TenantTransaction.enter(connection, tenant: tenant.identity, logger: logger))
        }
    }

    static let unknownLink = Problem(
        status: .notFound, type: "not-found", title: "Not found",
        detail: "This link is not one the server made, or its message is gone.")
}
