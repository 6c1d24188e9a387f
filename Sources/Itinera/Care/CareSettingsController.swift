import Foundation
import ItineraAPI
import Logging

/// Care's settings: the complaint service level per severity and the detractor rule
/// (`/v1/care-settings`).
struct CareSettingsController: Sendable {
    let access: AccessControl
    let logger: Logger

    func getCareSettings(_ input: Operations.GetCareSettings.Input) async throws -> Operations.GetCareSettings.Output {
        .ok(.init(body: .json(try await access.inTenant { tenant, _ in try await Self.view(on: tenant) })))
    }

    /// Changes the policies of the severities named and the detractor rule, audited.
    func replaceCareSettings(_ input: Operations.ReplaceCareSettings.Input) async throws
        -> Operations.ReplaceCareSettings.Output
    {
        guard case .json(let body) = input.body else { throw Problem.malformedBody("Expected a JSON body.") }
        var severities = Set<String>()
        var policies: [(severity: String, firstResponse: Int, resolution: Int)] = []
        for (index, policy) in body.complaintPolicies.enumerated() {
            let field = "complaint_policies[\(index)]"
            guard severities.insert(policy.severity.rawValue).inserted else {
                throw Problem.invalidField("\(field).severity", "Severity \(policy.severity.rawValue) is named twice.")
            }
            guard (1...10_080).contains(policy.firstResponseMinutes) else {
                throw Problem.invalidField(
                    "\(field).first_response_minutes", "first_response_minutes must be 1–10080 (a week).")
            }
            guard (1...43_200).contains(policy.resolutionMinutes) else {
                throw Problem.invalidField(
                    "\(field).resolution_minutes", "resolution_minutes must be 1–43200 (30 days).")
            }
            policies.append((policy.severity.rawValue, policy.firstResponseMinutes, policy.resolutionMinutes))
        }
        let view = try await access.inTenant { tenant, principal in
            let before = try await Self.view(on: tenant)
            try await ComplaintStore.setPolicies(policies, on: tenant)
            try await NPSStore.setDetractorComplaints(
                open: body.detractorComplaints.enabled,
                severity: body.detractorComplaints.severity?.rawValue ?? "normal", on: tenant)
            let after = try await Self.view(on: tenant)
            try await AuditLog.record(
                principal.auditEvent(
                    action: "care_settings.replace", targetType: "care_settings", targetID: nil,
                    before: try? AuditJSON.encoder.encode(before), after: try? AuditJSON.encoder.encode(after)),
                on: tenant)
            return after
        }
        return .ok(.init(body: .json(view)))
    }

    private static func view(on tenant: TenantConnection) async throws -> Components.Schemas.CareSettings {
        let policies = try await ComplaintStore.policies(on: tenant)
        let detractors = try await NPSStore.detractorComplaints(on: tenant)
        return Components.Schemas.CareSettings(
            complaintPolicies: policies.map {
                .init(
                    severity: .init(rawValue: $0.severity) ?? .normal, firstResponseMinutes: $0.firstResponse,
                    resolutionMinutes: $0.resolution)
            },
            detractorComplaints: .init(enabled: detractors.open, severity: .init(rawValue: detractors.severity)))
    }
}
