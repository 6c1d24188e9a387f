import ItineraAPI

/// The operations `CommunityController` answers.
extension APIService {
    func listCommunities(_ input: Operations.ListCommunities.Input) async throws -> Operations.ListCommunities.Output {
        try await controllers(CommunityController.self).listCommunities(input)
    }

    func createCommunity(_ input: Operations.CreateCommunity.Input) async throws -> Operations.CreateCommunity.Output {
        try await controllers(CommunityController.self).createCommunity(input)
    }

    func getCommunity(_ input: Operations.GetCommunity.Input) async throws -> Operations.GetCommunity.Output {
        try await controllers(CommunityController.self).getCommunity(input)
    }

    func updateCommunity(_ input: Operations.UpdateCommunity.Input) async throws -> Operations.UpdateCommunity.Output {
        try await controllers(CommunityController.self).updateCommunity(input)
    }

    func listCommunityMembers(_ input: Operations.ListCommunityMembers.Input) async throws
        -> Operations.ListCommunityMembers.Output
    {
        try await controllers(CommunityController.self).listCommunityMembers(input)
    }

    func joinCommunity(_ input: Operations.JoinCommunity.Input) async throws -> Operations.JoinCommunity.Output {
        try await controllers(CommunityController.self).joinCommunity(input)
    }

    func leaveCommunity(_ input: Operations.LeaveCommunity.Input) async throws -> Operations.LeaveCommunity.Output {
        try await controllers(CommunityController.self).leaveCommunity(input)
    }

    func getCommunityReport(_ input: Operations.GetCommunityReport.Input) async throws
        -> Operations.GetCommunityReport.Output
    { try await controllers(CommunityController.self).getCommunityReport(input) }
}
