import Foundation
import ItineraAPI

extension NPSResponse {
    var api: Components.Schemas.NpsResponse {
        Components.Schemas.NpsResponse(
            id: String(id), customerId: String(customerID), orderId: orderID.map(String.init), score: score,
            comment: comment, stage: .init(rawValue: stage) ?? .post, source: .init(rawValue: source) ?? .api,
            complaintId: complaintID.map(String.init), respondedAt: respondedAt)
    }
}

extension NPSStore.ReportLine {
    var api: Components.Schemas.NpsFigures {
        Components.Schemas.NpsFigures(
            key: key, responses: counts.responses, promoters: counts.promoters, passives: counts.passives,
            detractors: counts.detractors, nps: counts.score.map { ($0 * 10).rounded() / 10 })
    }
}

extension NPSStore.Refusal {
    /// The problem a partner sees.
    func problem(customer: String, order: String?) -> Problem {
        switch self {
        case .noCustomer: Problem.notFound("customer", customer, field: "customer")
        case .notTheirOrder:
            Problem.invalidField("order_id", "order_id must name one of the customer's orders.")
        case .answered:
            Problem.conflict("Order \(order ?? "") has been answered already.", field: "order_id")
        }
    }
}

/// Checks of NPS answers.
enum NPSInput {
    static func score(_ value: Int, field: String = "score") throws(Problem) -> Int {
        guard (0...10).contains(value) else { throw .invalidField(field, "\(field) must be 0–10.") }
        return value
    }

    static func comment(_ text: String?) throws(Problem) -> String? {
        guard let text, !text.trimmed.isEmpty else { return nil }
        return try FieldText.required(text, field: "comment", max: 5000)
    }
}
