import ItineraAPI

/// The operations `JobController` answers.
extension APIService {
    func listJobs(_ input: Operations.ListJobs.Input) async throws -> Operations.ListJobs.Output {
        try await controllers(JobController.self).listJobs(input)
    }

    func getJob(_ input: Operations.GetJob.Input) async throws -> Operations.GetJob.Output {
        try await controllers(JobController.self).getJob(input)
    }
}
