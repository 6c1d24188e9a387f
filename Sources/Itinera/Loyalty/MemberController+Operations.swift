import ItineraAPI

/// The operations `MemberController` answers.
extension APIService {
    func enrolMember(_ input: Operations.EnrolMember.Input) async throws -> Operations.EnrolMember.Output {
        try await controllers(MemberController.self).enrolMember(input)
    }

    func getMember(_ input: Operations.GetMember.Input) async throws -> Operations.GetMember.Output {
        try await controllers(MemberController.self).getMember(input)
    }

    func listMemberPoints(_ input: Operations.ListMemberPoints.Input) async throws
        -> Operations.ListMemberPoints.Output
    {
        try await controllers(MemberController.self).listMemberPoints(input)
    }

    func adjustMemberPoints(_ input: Operations.AdjustMemberPoints.Input) async throws
        -> Operations.AdjustMemberPoints.Output
    {
        try await controllers(MemberController.self).adjustMemberPoints(input)
    }

    func redeemMemberPoints(_ input: Operations.RedeemMemberPoints.Input) async throws
        -> Operations.RedeemMemberPoints.Output
    {
        try await controllers(MemberController.self).redeemMemberPoints(input)
    }

    func listMemberTierHistory(_ input: Operations.ListMemberTierHistory.Input) async throws
        -> Operations.ListMemberTierHistory.Output
    {
        try await controllers(MemberController.self).listMemberTierHistory(input)
    }
}
