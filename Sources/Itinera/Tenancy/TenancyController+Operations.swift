import ItineraAPI

/// The operations `TenancyController` answers.
extension APIService {
    func signUp(_ input: Operations.SignUp.Input) async throws -> Operations.SignUp.Output {
        try await controllers(TenancyController.self).signUp(input)
    }

    func getTenant(_ input: Operations.GetTenant.Input) async throws -> Operations.GetTenant.Output {
        try await controllers(TenancyController.self).getTenant(input)
    }

    func updateTenant(_ input: Operations.UpdateTenant.Input) async throws -> Operations.UpdateTenant.Output {
        try await controllers(TenancyController.self).updateTenant(input)
    }
}
