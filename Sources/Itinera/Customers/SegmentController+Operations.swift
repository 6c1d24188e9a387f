import ItineraAPI

/// The operations `SegmentController` answers.
extension APIService {
    func listSegments(_ input: Operations.ListSegments.Input) async throws -> Operations.ListSegments.Output {
        try await controllers(SegmentController.self).listSegments(input)
    }

    func createSegment(_ input: Operations.CreateSegment.Input) async throws -> Operations.CreateSegment.Output {
        try await controllers(SegmentController.self).createSegment(input)
    }

    func getSegment(_ input: Operations.GetSegment.Input) async throws -> Operations.GetSegment.Output {
        try await controllers(SegmentController.self).getSegment(input)
    }

    func updateSegment(_ input: Operations.UpdateSegment.Input) async throws -> Operations.UpdateSegment.Output {
        try await controllers(SegmentController.self).updateSegment(input)
    }

    func deleteSegment(_ input: Operations.DeleteSegment.Input) async throws -> Operations.DeleteSegment.Output {
        try await controllers(SegmentController.self).deleteSegment(input)
    }

    func listSegmentCustomers(_ input: Operations.ListSegmentCustomers.Input) async throws
        -> Operations.ListSegmentCustomers.Output
    {
        try await controllers(SegmentController.self).listSegmentCustomers(input)
    }
}
