import ItineraAPI

/// The operations `MessageTemplateController` answers.
extension APIService {
    func listMessageTemplates(_ input: Operations.ListMessageTemplates.Input) async throws
        -> Operations.ListMessageTemplates.Output
    { try await controllers(MessageTemplateController.self).listMessageTemplates(input) }

    func getMessageTemplate(_ input: Operations.GetMessageTemplate.Input) async throws
        -> Operations.GetMessageTemplate.Output
    { try await controllers(MessageTemplateController.self).getMessageTemplate(input) }

    func putMessageTemplate(_ input: Operations.PutMessageTemplate.Input) async throws
        -> Operations.PutMessageTemplate.Output
    { try await controllers(MessageTemplateController.self).putMessageTemplate(input) }

    func deleteMessageTemplate(_ input: Operations.DeleteMessageTemplate.Input) async throws
        -> Operations.DeleteMessageTemplate.Output
    { try await controllers(MessageTemplateController.self).deleteMessageTemplate(input) }

    func previewMessageTemplate(_ input: Operations.PreviewMessageTemplate.Input) async throws
        -> Operations.PreviewMessageTemplate.Output
    { try await controllers(MessageTemplateController.self).previewMessageTemplate(input) }
}
