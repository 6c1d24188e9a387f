import ItineraAPI

/// The operations `NPSController` and `CareSettingsController` answer.
extension APIService {
    func createNpsResponse(_ input: Operations.CreateNpsResponse.Input) async throws
        -> Operations.CreateNpsResponse.Output
    {
        try await controllers(NPSController.self).createNpsResponse(input)
    }

    func listNpsResponses(_ input: Operations.ListNpsResponses.Input) async throws -> Operations.ListNpsResponses.Output
    {
        try await controllers(NPSController.self).listNpsResponses(input)
    }

    func getNpsReport(_ input: Operations.GetNpsReport.Input) async throws -> Operations.GetNpsReport.Output {
        try await controllers(NPSController.self).getNpsReport(input)
    }

    func getCareSettings(_ input: Operations.GetCareSettings.Input) async throws -> Operations.GetCareSettings.Output {
        try await controllers(CareSettingsController.self).getCareSettings(input)
    }

    func replaceCareSettings(_ input: Operations.ReplaceCareSettings.Input) async throws
        -> Operations.ReplaceCareSettings.Output
    {
        try await controllers(CareSettingsController.self).replaceCareSettings(input)
    }
}
