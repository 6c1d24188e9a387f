/// Authorisation in one place: every operation of `openapi.yaml`, by operation id, with the
/// credentials and roles or scopes it accepts.
///
/// The table is the document's own `security` of each operation, read at build time by the
/// EmbedResources plugin (`Plugins/EmbedResourcesTool/AccessRules.swift`): the document and the
/// enforcement cannot drift, an operation without `security` fails the build, and a role or scope
/// the server does not know fails to compile. `AccessMiddleware` refuses an operation missing from
/// the table.
public enum AccessTable {
    public static let rules: [String: AccessRule] = embeddedAccessRules
}
