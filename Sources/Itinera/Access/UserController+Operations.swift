import ItineraAPI

/// The operations `UserController` answers.
extension APIService {
    func acceptInvitation(_ input: Operations.AcceptInvitation.Input) async throws -> Operations.AcceptInvitation.Output
    {
        try await controllers(UserController.self).acceptInvitation(input)
    }

    func listUsers(_ input: Operations.ListUsers.Input) async throws -> Operations.ListUsers.Output {
        try await controllers(UserController.self).listUsers(input)
    }

    func inviteUser(_ input: Operations.InviteUser.Input) async throws -> Operations.InviteUser.Output {
        try await controllers(UserController.self).inviteUser(input)
    }

    func updateUser(_ input: Operations.UpdateUser.Input) async throws -> Operations.UpdateUser.Output {
        try await controllers(UserController.self).updateUser(input)
    }

    func deleteUser(_ input: Operations.DeleteUser.Input) async throws -> Operations.DeleteUser.Output {
        try await controllers(UserController.self).deleteUser(input)
    }
}
