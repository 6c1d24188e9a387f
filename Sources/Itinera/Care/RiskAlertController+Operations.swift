import ItineraAPI

/// The operations `RiskAlertController` answers.
extension APIService {
    func createRiskAlert(_ input: Operations.CreateRiskAlert.Input) async throws -> Operations.CreateRiskAlert.Output {
        try await controllers(RiskAlertController.self).createRiskAlert(input)
    }

    func getRiskAlert(_ input: Operations.GetRiskAlert.Input) async throws -> Operations.GetRiskAlert.Output {
        try await controllers(RiskAlertController.self).getRiskAlert(input)
    }

    func listRiskAlerts(_ input: Operations.ListRiskAlerts.Input) async throws -> Operations.ListRiskAlerts.Output {
        try await controllers(RiskAlertController.self).listRiskAlerts(input)
    }

    func listRiskAlertBookings(_ input: Operations.ListRiskAlertBookings.Input) async throws
        -> Operations.ListRiskAlertBookings.Output
    {
        try await controllers(RiskAlertController.self).listRiskAlertBookings(input)
    }
}
