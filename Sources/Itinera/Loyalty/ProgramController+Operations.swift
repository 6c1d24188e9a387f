import ItineraAPI

/// The operations `ProgramController` answers.
extension APIService {
    func listPrograms(_ input: Operations.ListPrograms.Input) async throws -> Operations.ListPrograms.Output {
        try await controllers(ProgramController.self).listPrograms(input)
    }

    func createProgram(_ input: Operations.CreateProgram.Input) async throws -> Operations.CreateProgram.Output {
        try await controllers(ProgramController.self).createProgram(input)
    }

    func getProgram(_ input: Operations.GetProgram.Input) async throws -> Operations.GetProgram.Output {
        try await controllers(ProgramController.self).getProgram(input)
    }

    func getProgramTiers(_ input: Operations.GetProgramTiers.Input) async throws -> Operations.GetProgramTiers.Output {
        try await controllers(ProgramController.self).getProgramTiers(input)
    }

    func replaceProgramTiers(_ input: Operations.ReplaceProgramTiers.Input) async throws
        -> Operations.ReplaceProgramTiers.Output
    {
        try await controllers(ProgramController.self).replaceProgramTiers(input)
    }

    func previewProgramTiers(_ input: Operations.PreviewProgramTiers.Input) async throws
        -> Operations.PreviewProgramTiers.Output
    {
        try await controllers(ProgramController.self).previewProgramTiers(input)
    }
}
