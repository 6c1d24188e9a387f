import ItineraAPI

/// The operations `ContestController` answers.
extension APIService {
    func createContestEntry(_ input: Operations.CreateContestEntry.Input) async throws
        -> Operations.CreateContestEntry.Output
    {
        try await controllers(ContestController.self).createContestEntry(input)
    }

    func listContestEntries(_ input: Operations.ListContestEntries.Input) async throws
        -> Operations.ListContestEntries.Output
    {
        try await controllers(ContestController.self).listContestEntries(input)
    }

    func voteForContestEntry(_ input: Operations.VoteForContestEntry.Input) async throws
        -> Operations.VoteForContestEntry.Output
    {
        try await controllers(ContestController.self).voteForContestEntry(input)
    }

    func setContestWinners(_ input: Operations.SetContestWinners.Input) async throws
        -> Operations.SetContestWinners.Output
    {
        try await controllers(ContestController.self).setContestWinners(input)
    }
}
