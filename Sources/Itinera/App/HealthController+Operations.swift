import ItineraAPI

/// The operations `HealthController` answers.
extension APIService {
    func getHealth(_ input: Operations.GetHealth.Input) async throws -> Operations.GetHealth.Output {
        try await controllers(HealthController.self).getHealth(input)
    }

    func getReadiness(_ input: Operations.GetReadiness.Input) async throws -> Operations.GetReadiness.Output {
        try await controllers(HealthController.self).getReadiness(input)
    }
}
