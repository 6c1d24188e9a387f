import ItineraAPI

/// The generated API protocol. Each capability answers its own operations in an extension of this
/// type in its own folder (`Customers/OrderController+Operations.swift`, …), handing each to its
/// controller; the builder makes the controllers, so it stays the only place that wires.
struct APIService: APIProtocol {
    let controllers: Controllers
}

/// The controllers the builder made, found by type.
struct Controllers: Sendable {
    private let byType: [ObjectIdentifier: any Sendable]

    init(_ controllers: [any Sendable]) {
        var byType: [ObjectIdentifier: any Sendable] = [:]
        for controller in controllers {
            let key = ObjectIdentifier(type(of: controller))
            precondition(byType[key] == nil, "\(type(of: controller)) was made twice")
            byType[key] = controller
        }
        self.byType = byType
    }

    /// The controller of type `C`; a 500 when the builder made none, which a test of each
    /// capability's operations shows at once.
    func callAsFunction<C: Sendable>(_ type: C.Type) throws -> C {
        guard let controller = byType[ObjectIdentifier(type)] as? C else {
            throw WiringFault.missingController(String(describing: type))
        }
        return controller
    }
}

/// A programming error in the builder.
enum WiringFault: Error {
    case missingController(String)
}
