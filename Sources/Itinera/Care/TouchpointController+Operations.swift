import ItineraAPI

/// The operations `TouchpointController` answers.
extension APIService {
    func getTouchpointRules(_ input: Operations.GetTouchpointRules.Input) async throws
        -> Operations.GetTouchpointRules.Output
    {
        try await controllers(TouchpointController.self).getTouchpointRules(input)
    }

    func replaceTouchpointRules(_ input: Operations.ReplaceTouchpointRules.Input) async throws
        -> Operations.ReplaceTouchpointRules.Output
    {
        try await controllers(TouchpointController.self).replaceTouchpointRules(input)
    }

    func listTouchpoints(_ input: Operations.ListTouchpoints.Input) async throws -> Operations.ListTouchpoints.Output {
        try await controllers(TouchpointController.self).listTouchpoints(input)
    }
}
