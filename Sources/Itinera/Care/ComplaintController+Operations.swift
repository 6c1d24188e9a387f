import ItineraAPI

/// The operations `ComplaintController` answers.
extension APIService {
    func listComplaints(_ input: Operations.ListComplaints.Input) async throws -> Operations.ListComplaints.Output {
        try await controllers(ComplaintController.self).listComplaints(input)
    }

    func createComplaint(_ input: Operations.CreateComplaint.Input) async throws -> Operations.CreateComplaint.Output {
        try await controllers(ComplaintController.self).createComplaint(input)
    }

    func getComplaint(_ input: Operations.GetComplaint.Input) async throws -> Operations.GetComplaint.Output {
        try await controllers(ComplaintController.self).getComplaint(input)
    }

    func updateComplaint(_ input: Operations.UpdateComplaint.Input) async throws -> Operations.UpdateComplaint.Output {
        try await controllers(ComplaintController.self).updateComplaint(input)
    }

    func getComplaintReport(_ input: Operations.GetComplaintReport.Input) async throws
        -> Operations.GetComplaintReport.Output
    {
        try await controllers(ComplaintController.self).getComplaintReport(input)
    }
}
