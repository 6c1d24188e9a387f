import ItineraAPI

/// The operations `OrderController` answers.
extension APIService {
    func listOrders(_ input: Operations.ListOrders.Input) async throws -> Operations.ListOrders.Output {
        try await controllers(OrderController.self).listOrders(input)
    }

    func createOrder(_ input: Operations.CreateOrder.Input) async throws -> Operations.CreateOrder.Output {
        try await controllers(OrderController.self).createOrder(input)
    }

    func getOrder(_ input: Operations.GetOrder.Input) async throws -> Operations.GetOrder.Output {
        try await controllers(OrderController.self).getOrder(input)
    }

    func cancelOrder(_ input: Operations.CancelOrder.Input) async throws -> Operations.CancelOrder.Output {
        try await controllers(OrderController.self).cancelOrder(input)
    }

    func createInteraction(_ input: Operations.CreateInteraction.Input) async throws
        -> Operations.CreateInteraction.Output
    {
        try await controllers(OrderController.self).createInteraction(input)
    }
}
