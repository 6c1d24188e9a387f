import ItineraAPI

/// The operations `CampaignController` answers.
extension APIService {
    func listCampaigns(_ input: Operations.ListCampaigns.Input) async throws -> Operations.ListCampaigns.Output {
        try await controllers(CampaignController.self).listCampaigns(input)
    }

    func createCampaign(_ input: Operations.CreateCampaign.Input) async throws -> Operations.CreateCampaign.Output {
        try await controllers(CampaignController.self).createCampaign(input)
    }

    func getCampaign(_ input: Operations.GetCampaign.Input) async throws -> Operations.GetCampaign.Output {
        try await controllers(CampaignController.self).getCampaign(input)
    }

    func previewCampaign(_ input: Operations.PreviewCampaign.Input) async throws -> Operations.PreviewCampaign.Output {
        try await controllers(CampaignController.self).previewCampaign(input)
    }

    func launchCampaign(_ input: Operations.LaunchCampaign.Input) async throws -> Operations.LaunchCampaign.Output {
        try await controllers(CampaignController.self).launchCampaign(input)
    }

    func pauseCampaign(_ input: Operations.PauseCampaign.Input) async throws -> Operations.PauseCampaign.Output {
        try await controllers(CampaignController.self).pauseCampaign(input)
    }

    func resumeCampaign(_ input: Operations.ResumeCampaign.Input) async throws -> Operations.ResumeCampaign.Output {
        try await controllers(CampaignController.self).resumeCampaign(input)
    }

    func cancelCampaign(_ input: Operations.CancelCampaign.Input) async throws -> Operations.CancelCampaign.Output {
        try await controllers(CampaignController.self).cancelCampaign(input)
    }

    func getCampaignResults(_ input: Operations.GetCampaignResults.Input) async throws
        -> Operations.GetCampaignResults.Output
    {
        try await controllers(CampaignController.self).getCampaignResults(input)
    }

    func exportCampaignRecipients(_ input: Operations.ExportCampaignRecipients.Input) async throws
        -> Operations.ExportCampaignRecipients.Output
    {
        try await controllers(CampaignController.self).exportCampaignRecipients(input)
    }
}
