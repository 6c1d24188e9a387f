import Foundation
import ItineraAPI

/// Reading an order from a request: each field checked and named by its JSON path.
enum OrderInput {
    /// Largest amount accepted, in minor units: ten thousand billion, beyond any booking.
    static let maxAmountMinor: Int64 = 10_000_000_000_000

    static func details(_ body: Components.Schemas.OrderRequest, tenantCurrency: String, now: Date = Date())
        throws(Problem) -> OrderDetails
    {
        guard (0...maxAmountMinor).contains(body.amountMinor) else {
            throw .invalidField("amount_minor", "amount_minor must be between 0 and \(maxAmountMinor).")
        }
        guard body.currency.uppercased() == tenantCurrency else {
            throw .invalidField(
                "currency",
                "currency must be the tenant's currency \(tenantCurrency); value figures and points are kept in it.")
        }
        guard body.orderedAt <= now.addingTimeInterval(24 * 3600) else {
            throw .invalidField("ordered_at", "ordered_at must not be more than a day in the future.")
        }
        let travelStart = try body.travelStart.map { text throws(Problem) in try date(text, field: "travel_start") }
        let travelEnd = try body.travelEnd.map { text throws(Problem) in try date(text, field: "travel_end") }
        if let travelStart, let travelEnd, travelEnd < travelStart {
            throw .invalidField("travel_end", "travel_end must not be before travel_start.")
        }
        if let party = body.partySize, !(1...10_000).contains(party) {
            throw .invalidField("party_size", "party_size must be between 1 and 10000.")
        }
        return OrderDetails(
            externalID: try body.externalId.map { text throws(Problem) in
                try trimmed(text, field: "external_id", max: 200)
            },
            amountMinor: body.amountMinor,
            currency: tenantCurrency,
            productName: try SignUpValidation.displayName(body.product.name, field: "product.name"),
            productCategory: try body.product.category.map { text throws(Problem) in
                try trimmed(text, field: "product.category", max: 100).lowercased()
            },
            productSKU: try body.product.sku.map { text throws(Problem) in
                try trimmed(text, field: "product.sku", max: 100)
            },
            destination: try body.destination.map { text throws(Problem) in
                try trimmed(text, field: "destination", max: 200)
            },
            channel: try body.channel.map { text throws(Problem) in try trimmed(text, field: "channel", max: 100) },
            orderedAt: body.orderedAt,
            travelStart: travelStart,
            travelEnd: travelEnd,
            partySize: body.partySize,
            status: body.status.flatMap { Order.Status(rawValue: $0.rawValue) } ?? .confirmed
        )
    }

    /// A calendar date `YYYY-MM-DD` that exists.
    static func date(_ text: String, field: String) throws(Problem) -> String {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
            (1900...2200).contains(year),
            let date = DateComponents(calendar: Calendar(identifier: .gregorian), year: year, month: month, day: day)
                .date,
            Calendar(identifier: .gregorian).dateComponents([.month, .day], from: date)
                == DateComponents(
                    month: month, day: day)
        else {
            throw .invalidField(field, "\(field) must be a date written YYYY-MM-DD; '\(text)' is not one.")
        }
        return text
    }

    static func trimmed(_ text: String, field: String, max: Int) throws(Problem) -> String {
        try FieldText.required(text, field: field, max: max)
    }
}

extension Order {
    var api: Components.Schemas.Order {
        Components.Schemas.Order(
            id: String(id),
            customerId: String(customerID),
            externalId: details.externalID,
            amountMinor: details.amountMinor,
            currency: details.currency,
            product: .init(name: details.productName, category: details.productCategory, sku: details.productSKU),
            destination: details.destination,
            channel: details.channel,
            orderedAt: details.orderedAt,
            travelStart: details.travelStart,
            travelEnd: details.travelEnd,
            partySize: details.partySize,
            status: Components.Schemas.OrderStatus(rawValue: details.status.rawValue) ?? .confirmed,
            cancelledAt: cancelledAt,
            createdAt: createdAt
        )
    }
}
