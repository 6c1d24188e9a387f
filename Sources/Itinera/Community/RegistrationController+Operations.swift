import ItineraAPI

/// The operations `RegistrationController` answers.
extension APIService {
    func listEventRegistrations(_ input: Operations.ListEventRegistrations.Input) async throws
        -> Operations.ListEventRegistrations.Output
    {
        try await controllers(RegistrationController.self).listEventRegistrations(input)
    }

    func registerForEvent(_ input: Operations.RegisterForEvent.Input) async throws -> Operations.RegisterForEvent.Output
    {
        try await controllers(RegistrationController.self).registerForEvent(input)
    }

    func getEventRegistration(_ input: Operations.GetEventRegistration.Input) async throws
        -> Operations.GetEventRegistration.Output
    {
        try await controllers(RegistrationController.self).getEventRegistration(input)
    }

    func cancelEventRegistration(_ input: Operations.CancelEventRegistration.Input) async throws
        -> Operations.CancelEventRegistration.Output
    {
        try await controllers(RegistrationController.self).cancelEventRegistration(input)
    }

    func checkInEventRegistration(_ input: Operations.CheckInEventRegistration.Input) async throws
        -> Operations.CheckInEventRegistration.Output
    {
        try await controllers(RegistrationController.self).checkInEventRegistration(input)
    }

    func confirmEventRegistration(_ input: Operations.ConfirmEventRegistration.Input) async throws
        -> Operations.ConfirmEventRegistration.Output
    { try await controllers(RegistrationController.self).confirmEventRegistration(input) }
}
