import ItineraAPI

/// The operations `InsightController` answers.
extension APIService {
    func getInsightOverview(_ input: Operations.GetInsightOverview.Input) async throws
        -> Operations.GetInsightOverview.Output
    {
        try await controllers(InsightController.self).getInsightOverview(input)
    }

    func refreshInsight(_ input: Operations.RefreshInsight.Input) async throws -> Operations.RefreshInsight.Output {
        try await controllers(InsightController.self).refreshInsight(input)
    }
}
