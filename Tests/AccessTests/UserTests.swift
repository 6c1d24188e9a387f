import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Itinera
import ItineraTestSupport
import Testing

@Suite struct UserTests {
    @Test func test_invitation_isOneTime_andTheInviteeSignsInWithTheirPassword() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "invite")
                let invited = try await client.send(
                    .post, "/v1/users", json: ["email": " Agent@Example.COM ", "name": "Ann", "role": "agent"],
                    token: tenant.token)
                #expect(invited.status == .created)
                let body = try JSON.object(invited.body)
                let user = body["user"] as! [String: Any]
                #expect(user["state"] as? String == "invited" && user["email"] as? String == "agent@example.com")
                let invitation = (body["invitation"] as! [String: Any])["token"] as! String
                #expect(invitation.hasPrefix("itv_"))
                // Not yet able to sign in; the same e-mail cannot be invited twice.
                let early = try await client.send(
                    .post, "/v1/sessions",
                    json: ["tenant": tenant.slug, "email": "agent@example.com", "password": "a long enough password"])
                #expect(early.status == .unauthorized)
                let twice = try await client.send(
                    .post, "/v1/users", json: ["email": "agent@example.com", "name": "Ann", "role": "agent"],
                    token: tenant.token)
                #expect(twice.status == .conflict)

                let short = try await client.send(
                    .post, "/v1/invitations/accept", json: ["token": invitation, "password": "short"])
                try #expect(
                    short.status == .unprocessableContent
                        && (try JSON.object(short.body)["field"] as? String) == "password")
                let accepted = try await client.send(
                    .post, "/v1/invitations/accept", json: ["token": invitation, "password": "a long enough password"])
                #expect(accepted.status == .created)
                let again = try await client.send(
                    .post, "/v1/invitations/accept", json: ["token": invitation, "password": "another password!"])
                #expect(again.status == .unauthorized)
                let signIn = try await client.send(
                    .post, "/v1/sessions",
                    json: ["tenant": tenant.slug, "email": "agent@example.com", "password": "a long enough password"])
                #expect(signIn.status == .created)
                let agentToken = try JSON.object(signIn.body)["token"] as! String
                #expect(try await client.send(.get, "/v1/tenant", token: agentToken).status == .ok)
            }
        }
    }

    @Test func test_expiredInvitation_isRefused_andTheUserStaysInvited() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "expired")
                let invited = try JSON.object(
                    try await client.send(
                        .post, "/v1/users", json: ["email": "late@example.com", "name": "Late", "role": "analyst"],
                        token: tenant.token
                    ).body)
                let invitation = (invited["invitation"] as! [String: Any])["token"] as! String
                _ = try await db.client.query(
                    "UPDATE itinera.invitations SET expires_at = now() - interval '1 second'", logger: db.logger
                ).collect()
                let accepted = try await client.send(
                    .post, "/v1/invitations/accept", json: ["token": invitation, "password": "a long enough password"])
                #expect(accepted.status == .unauthorized)
                let state = try await db.scalar(
                    "SELECT state FROM itinera.users WHERE email = 'late@example.com'", as: String.self)
                #expect(state == "invited")
            }
        }
    }

    @Test func test_lastOwner_cannotBeDemotedOrRemoved_andAdminsCannotTouchOwners() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "owners")
                let ownerID = try await Self.ownerID(client, token: tenant.token)
                let demote = try await client.send(
                    .patch, "/v1/users/\(ownerID)", json: ["role": "admin"], token: tenant.token)
                #expect(demote.status == .conflict)
                #expect(try await client.send(.delete, "/v1/users/\(ownerID)", token: tenant.token).status == .conflict)

                let admin = try await client.addUser(token: tenant.token, role: "admin")
                #expect(
                    try await client.send(.patch, "/v1/users/\(ownerID)", json: ["name": "X"], token: admin.token)
                        .status == .forbidden)
                #expect(
                    try await client.send(.patch, "/v1/users/\(admin.id)", json: ["role": "owner"], token: admin.token)
                        .status == .forbidden)
                let ownerInvite = try await client.send(
                    .post, "/v1/users", json: ["email": "o2@example.com", "name": "O", "role": "owner"],
                    token: admin.token)
                #expect(ownerInvite.status == .forbidden)
                let badRole = try await client.send(
                    .patch, "/v1/users/\(admin.id)", json: ["role": "superuser"], token: tenant.token)
                try #expect(
                    badRole.status == .unprocessableContent
                        && (try JSON.object(badRole.body)["field"] as? String) == "role")

                // With a second owner, either may step down, but not both at once.
                let second = try await client.addUser(token: tenant.token, role: "owner")
                async let one = client.send(
                    .patch, "/v1/users/\(ownerID)", json: ["role": "admin"], token: second.token)
                async let two = client.send(
                    .patch, "/v1/users/\(second.id)", json: ["role": "admin"], token: tenant.token)
                let statuses = [try await one.status, try await two.status]
                #expect(statuses.filter { $0 == .ok }.count == 1, "\(statuses)")
                #expect(statuses.filter { $0 == .conflict || $0 == .forbidden }.count == 1, "\(statuses)")
                let owners = try await db.scalar(
                    "SELECT count(*)::int FROM itinera.users WHERE role = 'owner' AND state = 'active'", as: Int.self)
                #expect(owners == 1)
            }
        }
    }

    @Test func test_removedUser_losesTheirSessionsAtOnce_andChangesAreAudited() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "remove")
                let agent = try await client.addUser(token: tenant.token, role: "agent")
                #expect(try await client.send(.get, "/v1/tenant", token: agent.token).status == .ok)
                #expect(
                    try await client.send(
                        .patch, "/v1/users/\(agent.id)", json: ["role": "analyst"], token: tenant.token
                    ).status == .ok)
                // The new role applies to the next request of the session already open.
                #expect(
                    try await client.send(.post, "/v1/api-keys", json: ["name": "k", "scopes": []], token: agent.token)
                        .status == .forbidden)
                #expect(
                    try await client.send(.delete, "/v1/users/\(agent.id)", token: tenant.token).status == .noContent)
                #expect(try await client.send(.get, "/v1/tenant", token: agent.token).status == .unauthorized)

                let events = try JSON.object(
                    try await client.send(.get, "/v1/audit-events?target_id=\(agent.id)", token: tenant.token).body)
                let actions = (events["items"] as! [[String: Any]]).map { $0["action"] as! String }
                #expect(actions == ["user.delete", "user.update", "user.accept_invitation", "user.invite"])
                let update = (events["items"] as! [[String: Any]])[1]
                #expect((update["before"] as? [String: Any])?["role"] as? String == "agent")
                #expect((update["after"] as? [String: Any])?["role"] as? String == "analyst")
                #expect(update["request_id"] is String && update["actor_type"] as? String == "user")
            }
        }
    }

    @Test func test_auditEvents_arePagedNewestFirst_andFiltered() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "auditpage")
                for index in 0..<7 {
                    _ = try await client.createKey(token: tenant.token, scopes: [], name: "key \(index)")
                }
                var seen: [String] = []
                var cursor: String?
                repeat {
                    let query =
                        "/v1/audit-events?action=api_key.create&limit=3" + (cursor.map { "&cursor=\($0)" } ?? "")
                    let page = try JSON.object(try await client.send(.get, query, token: tenant.token).body)
                    let items = page["items"] as! [[String: Any]]
                    #expect(items.count <= 3)
                    seen += items.map { ($0["after"] as! [String: Any])["name"] as! String }
                    cursor = page["next_cursor"] as? String
                } while cursor != nil
                #expect(seen == (0..<7).reversed().map { "key \($0)" })
                let bad = try await client.send(.get, "/v1/audit-events?cursor=nonsense", token: tenant.token)
                try #expect(
                    bad.status == .unprocessableContent && (try JSON.object(bad.body)["field"] as? String) == "cursor")
                let tooMany = try await client.send(.get, "/v1/audit-events?limit=1000", token: tenant.token)
                try #expect(
                    tooMany.status == .unprocessableContent
                        && (try JSON.object(tooMany.body)["field"] as? String) == "limit")
            }
        }
    }

    static func ownerID(_ client: some TestClientProtocol, token: String) async throws -> String {
        let users =
            try JSON.object(try await client.send(.get, "/v1/users", token: token).body)["items"] as! [[String: Any]]
        return users.first { $0["role"] as? String == "owner" }!["id"] as! String
    }
}
