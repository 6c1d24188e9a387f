import Foundation

/// The messages capability's answer to a request made by a domain event under a reference (a trip
/// touchpoint, `touchpoint:<id>`; a risk alert's booking, `risk_alert:<alert id>:<order id>`): the message queued, or why none was (`no_template`,
/// `no_customer`, `no_consent`, `consent_withdrawn`, `no_address`).
struct ReferencedMessageQueued: DomainEvent {
    let reference: String
    let messageID: Int64?
    /// The channel of the message queued.
    var channel: String?
    let refusal: String?
}

extension MessageStore.Refusal {
    /// How an answer names the refusal.
    var code: String {
        switch self {
        case .noCustomer: "no_customer"
        case .noConsent(let withdrawn): withdrawn ? "consent_withdrawn" : "no_consent"
        case .noAddress: "no_address"
        }
    }
}
