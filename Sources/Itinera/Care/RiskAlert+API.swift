import Foundation
import ItineraAPI

extension RiskAlert {
    func api(report: RiskAlertReport) -> Components.Schemas.RiskAlert {
        Components.Schemas.RiskAlert(
            id: String(id), destination: destination, startsAt: startsAt, endsAt: endsAt,
            severity: .init(rawValue: severity) ?? .advisory, message: message, offerId: offerID.map(String.init),
            templates: templates, state: .init(rawValue: state.rawValue) ?? .notifying, bookings: bookings,
            report: report.api, createdBy: createdBy, createdAt: createdAt, finishedAt: finishedAt)
    }

    var auditJSON: Data? {
        try? JSONSerialization.data(
            withJSONObject: [
                "destination": destination, "starts_at": startsAt.formatted(.iso8601),
                "ends_at": endsAt.formatted(.iso8601), "severity": severity, "message": message,
                "offer_id": offerID.map(String.init) as Any, "templates": templates, "bookings": bookings,
            ], options: [.sortedKeys])
    }
}

extension RiskAlertReport {
    var api: Components.Schemas.RiskAlertReport {
        Components.Schemas.RiskAlertReport(
            pending: pending, reached: reached, reached48h: reachedInTime, reachedLate: reached - reachedInTime,
            unreachable: .init(additionalProperties: unreachable))
    }
}

extension RiskAlertBooking {
    var api: Components.Schemas.RiskAlertBooking {
        Components.Schemas.RiskAlertBooking(
            orderId: String(orderID), customerId: String(customerID), travelStart: travelStart,
            state: .init(rawValue: state.rawValue) ?? .pending, reason: reason, channel: channel,
            messageId: messageID.map(String.init), notifiedAt: notifiedAt, hoursBefore: hoursBefore)
    }
}

/// Checks of the risk alerts agents issue.
enum RiskAlertInput {
    struct Draft {
        var destination: String
        var startsAt: Date
        var endsAt: Date
        var severity: String
        var message: String
        var offer: Int64?
        var templates: [String]
    }

    static func draft(_ body: Components.Schemas.RiskAlertRequest) throws(Problem) -> Draft {
        guard body.endsAt >= body.startsAt else {
            throw .invalidField("ends_at", "ends_at must not be before starts_at.")
        }
        guard body.endsAt.timeIntervalSince(body.startsAt) <= 366 * 86_400 else {
            throw .invalidField("ends_at", "An alert covers at most 366 days.")
        }
        guard (1...3).contains(body.templates.count) else {
            throw .invalidField("templates", "templates must name 1–3 message templates.")
        }
        for (index, name) in body.templates.enumerated() where name.wholeMatch(of: /[a-z0-9][a-z0-9_-]{0,59}/) == nil {
            throw .invalidField("templates[\(index)]", "templates[\(index)] must name a message template.")
        }
        return Draft(
            destination: try FieldText.required(body.destination, field: "destination", max: 200),
            startsAt: body.startsAt, endsAt: body.endsAt, severity: body.severity.rawValue,
            message: try FieldText.required(body.message, field: "message", max: 5000),
            offer: try body.offerId.map { text throws(Problem) in
                try FieldText.id(text, field: "offer_id", what: "an offer's id")
            }, templates: body.templates)
    }
}
