/// Authorisation in one place: every operation of `openapi.yaml`, by operation id, with the
/// credentials and roles or scopes it accepts. `AccessMiddleware` refuses an operation missing from
/// this table, and a test checks that the table and the OpenAPI document's security requirements
/// agree operation by operation.
public enum AccessTable {
    public static let rules: [String: AccessRule] = [
        // Operations
        "getHealth": .everyone,
        "getReadiness": .everyone,

        // Tenancy and access
        "signUp": .everyone,
        "createSession": .everyone,
        "acceptInvitation": .everyone,
        "deleteCurrentSession": .tenant(.everyRole, keys: .refused),
        "getTenant": .tenant(.everyRole, keys: .anyKey),
        "updateTenant": .tenant(.managers, keys: .refused),
        "listUsers": .tenant(.everyRole, keys: .refused),
        "inviteUser": .tenant(.managers, keys: .refused),
        "updateUser": .tenant(.managers, keys: .refused),
        "deleteUser": .tenant(.managers, keys: .refused),
        "listApiKeys": .tenant(.everyRole, keys: .refused),
        "createApiKey": .tenant(.managers, keys: .refused),
        "revokeApiKey": .tenant(.managers, keys: .refused),
        "listAuditEvents": .tenant(.everyRole, keys: .refused),

        // Customers
        "listCustomers": .tenant(.everyRole, keys: .scope(.customersRead)),
        "createCustomer": .tenant(.agents, keys: .scope(.customersWrite)),
        "getCustomer": .tenant(.everyRole, keys: .scope(.customersRead)),
        "updateCustomer": .tenant(.agents, keys: .scope(.customersWrite)),
        "eraseCustomer": .tenant(.agents, keys: .scope(.customersWrite)),
        "mergeCustomers": .tenant(.agents, keys: .scope(.customersWrite)),
        "getCustomerTimeline": .tenant(.everyRole, keys: .scope(.customersRead)),
        "createInteraction": .tenant(.agents, keys: .scope(.customersWrite)),
        "createOrder": .tenant(.agents, keys: .scope(.ordersWrite)),
        "getOrder": .tenant(.everyRole, keys: .scope(.customersRead)),
        "listCustomerTags": .tenant(.everyRole, keys: .scope(.customersRead)),
        "tagCustomer": .tenant(.agents, keys: .scope(.customersWrite)),
        "untagCustomer": .tenant(.agents, keys: .scope(.customersWrite)),
        "listTags": .tenant(.everyRole, keys: .scope(.customersRead)),
        "createTag": .tenant(.marketers, keys: .refused),
        "deleteTag": .tenant(.marketers, keys: .refused),
        "recomputeRfm": .tenant(.marketers, keys: .refused),
        "listSegments": .tenant(.everyRole, keys: .scope(.customersRead)),
        "createSegment": .tenant(.marketers, keys: .refused),
        "getSegment": .tenant(.everyRole, keys: .scope(.customersRead)),
        "updateSegment": .tenant(.marketers, keys: .refused),
        "deleteSegment": .tenant(.marketers, keys: .refused),
        "listSegmentCustomers": .tenant(.everyRole, keys: .scope(.customersRead)),

        // Loyalty
        "listPrograms": .tenant(.everyRole, keys: .scope(.loyaltyRead)),
        "createProgram": .tenant(.marketers, keys: .refused),
        "getProgram": .tenant(.everyRole, keys: .scope(.loyaltyRead)),
        "getProgramTiers": .tenant(.everyRole, keys: .scope(.loyaltyRead)),
        "replaceProgramTiers": .tenant(.marketers, keys: .refused),
        "previewProgramTiers": .tenant([.owner, .admin, .marketer, .analyst], keys: .refused),
        "enrolMember": .tenant(.agents, keys: .scope(.loyaltyWrite)),
        "getMember": .tenant(.everyRole, keys: .scope(.loyaltyRead)),
        "listMemberPoints": .tenant(.everyRole, keys: .scope(.loyaltyRead)),
        "adjustMemberPoints": .tenant(.agents, keys: .refused),
        "redeemMemberPoints": .tenant(.agents, keys: .scope(.loyaltyWrite)),
        "listMemberTierHistory": .tenant(.everyRole, keys: .scope(.loyaltyRead)),
        "createImport": .tenant(.managers, keys: .scope(.customersWrite)),
        "getImport": .tenant(.everyRole, keys: .scope(.customersRead)),
        "listJobs": .tenant(.everyRole, keys: .refused),
        "getJob": .tenant(.everyRole, keys: .refused),
        "cancelOrder": .tenant(.agents, keys: .scope(.ordersWrite)),

        // Platform operator
        "listPlatformTenants": .platformOperator,
        "suspendTenant": .platformOperator,
        "resumeTenant": .platformOperator,
        "exportTenant": .platformOperator,
        "deleteTenant": .platformOperator,
        "restoreTenant": .platformOperator,
    ]
}
