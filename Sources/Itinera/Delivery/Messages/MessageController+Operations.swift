import ItineraAPI

/// The operations `MessageController` answers.
extension APIService {
    func sendMessage(_ input: Operations.SendMessage.Input) async throws -> Operations.SendMessage.Output {
        try await controllers(MessageController.self).sendMessage(input)
    }

    func listMessages(_ input: Operations.ListMessages.Input) async throws -> Operations.ListMessages.Output {
        try await controllers(MessageController.self).listMessages(input)
    }

    func getMessage(_ input: Operations.GetMessage.Input) async throws -> Operations.GetMessage.Output {
        try await controllers(MessageController.self).getMessage(input)
    }
}
