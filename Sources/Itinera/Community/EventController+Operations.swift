import ItineraAPI

/// The operations `EventController` answers.
extension APIService {
    func listEvents(_ input: Operations.ListEvents.Input) async throws -> Operations.ListEvents.Output {
        try await controllers(EventController.self).listEvents(input)
    }

    func createEvent(_ input: Operations.CreateEvent.Input) async throws -> Operations.CreateEvent.Output {
        try await controllers(EventController.self).createEvent(input)
    }

    func getEvent(_ input: Operations.GetEvent.Input) async throws -> Operations.GetEvent.Output {
        try await controllers(EventController.self).getEvent(input)
    }

    func updateEvent(_ input: Operations.UpdateEvent.Input) async throws -> Operations.UpdateEvent.Output {
        try await controllers(EventController.self).updateEvent(input)
    }

    func getEventReport(_ input: Operations.GetEventReport.Input) async throws -> Operations.GetEventReport.Output {
        try await controllers(EventController.self).getEventReport(input)
    }
}
