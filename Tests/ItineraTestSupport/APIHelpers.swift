import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Itinera

/// JSON in and out of the test client.
public enum JSON {
    public static func body(_ object: Any) -> ByteBuffer {
        ByteBuffer(data: try! JSONSerialization.data(withJSONObject: object))
    }

    public static func object(_ buffer: ByteBuffer) throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(buffer: buffer)) as? [String: Any] else {
            throw TestSupportError("response body is not a JSON object: \(String(buffer: buffer))")
        }
        return object
    }
}

/// A tenant signed up through the API, with its owner's session token.
public struct SignedUpTenant: Sendable {
    public let slug: String
    public let id: String
    public let token: String
}

extension TestClientProtocol {
    /// Sends `body` as JSON with an optional bearer token.
    public func send(
        _ method: HTTPRequest.Method,
        _ uri: String,
        json: Any? = nil,
        token: String? = nil,
        headers extra: HTTPFields = [:]
    ) async throws -> TestResponse {
        var headers = extra
        if json != nil { headers[.contentType] = "application/json" }
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await execute(uri: uri, method: method, headers: headers, body: json.map(JSON.body))
    }

    /// Signs up a tenant with a unique slug and returns its owner's session.
    public func signUp(slugPrefix: String = "t", kind: String = "agency") async throws -> SignedUpTenant {
        let slug = "\(slugPrefix)-\(UUID().uuidString.prefix(8).lowercased())"
        let response = try await send(
            .post,
            "/v1/signup",
            json: [
                "tenant": ["name": "Tenant \(slug)", "slug": slug, "kind": kind],
                "owner": ["email": "owner@\(slug).example", "password": "correct horse battery", "name": "Owner"],
            ]
        )
        guard response.status == .created else {
            throw TestSupportError("sign-up failed with \(response.status): \(String(buffer: response.body))")
        }
        let body = try JSON.object(response.body)
        let tenant = body["tenant"] as! [String: Any]
        let session = body["session"] as! [String: Any]
        return SignedUpTenant(slug: slug, id: tenant["id"] as! String, token: session["token"] as! String)
    }
}

/// A valid sign-up with a fresh slug, for tests that provision without HTTP.
public func validSignUp(slug: String = "p-\(UUID().uuidString.prefix(8).lowercased())") -> ValidSignUp {
    try! SignUpValidation.validate(
        name: "Tenant \(slug)",
        slug: slug,
        kind: "hotel",
        timezone: nil,
        currency: nil,
        ownerEmail: "owner@\(slug).example",
        ownerPassword: "correct horse battery",
        ownerName: "Owner"
    )
}

/// A bcrypt hash made once, for provisioning many tenants quickly.
public let sampleOwnerPasswordHash = "$2b$04$abcdefghijklmnopqrstuu5sGYzkPyuRm2qUcXd8Dp3h3X3pYJ4Jm"

extension MigrationSet {
    /// The embedded migrations plus one more tenant migration (a `probe` table), as a later release
    /// would bring.
    public static func embeddedPlusProbe() throws -> MigrationSet {
        let embedded = try MigrationSet.embedded()
        let next = Migration(
            scope: .tenant,
            version: embedded.latestTenantVersion + 1,
            name: "probe",
            sql: "CREATE TABLE probe (id bigint PRIMARY KEY); INSERT INTO probe VALUES (1);"
        )
        return try MigrationSet(control: embedded.control, tenant: embedded.tenant + [next])
    }
}

/// A credential made through the API for tests: an id and the bearer token.
public struct IssuedCredential: Sendable {
    public let id: String
    public let token: String
}

extension TestClientProtocol {
    /// Creates an API key with `scopes` as the holder of `token`.
    public func createKey(token: String, scopes: [String], name: String = "test key") async throws -> IssuedCredential {
        let response = try await send(.post, "/v1/api-keys", json: ["name": name, "scopes": scopes], token: token)
        guard response.status == .created else {
            throw TestSupportError("key creation failed with \(response.status): \(String(buffer: response.body))")
        }
        let body = try JSON.object(response.body)
        return IssuedCredential(id: body["id"] as! String, token: body["secret"] as! String)
    }

    /// Invites a user with `role` as the holder of `token`, accepts the invitation, and returns the
    /// user's id and session token.
    public func addUser(token: String, role: String, email: String? = nil) async throws -> IssuedCredential {
        let email = email ?? "\(role)-\(UUID().uuidString.prefix(8).lowercased())@example.com"
        let invited = try await send(
            .post, "/v1/users", json: ["email": email, "name": "A \(role)", "role": role], token: token)
        guard invited.status == .created else {
            throw TestSupportError("invitation failed with \(invited.status): \(String(buffer: invited.body))")
        }
        let body = try JSON.object(invited.body)
        let id = (body["user"] as! [String: Any])["id"] as! String
        let invitation = (body["invitation"] as! [String: Any])["token"] as! String
        let accepted = try await send(
            .post, "/v1/invitations/accept", json: ["token": invitation, "password": "a long enough password"])
        guard accepted.status == .created else {
            throw TestSupportError("acceptance failed with \(accepted.status): \(String(buffer: accepted.body))")
        }
        return IssuedCredential(id: id, token: try JSON.object(accepted.body)["token"] as! String)
    }
}
