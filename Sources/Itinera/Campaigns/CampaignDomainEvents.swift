import Foundation

/// A treated recipient of a running campaign is due their message. The community issues them their
/// code of the campaign's offer (when it has one per recipient), and then the messages capability
/// renders the campaign's template for them, with their last trip and the return gift, and queues it
/// under the campaign's reference (`campaign:<id>`); a customer whose consent or address is missing
/// by then is passed over.
struct CampaignMessageDue: DomainEvent {
    let campaign: Campaign
    let customerID: Int64
    /// The customer's latest order that counts (their last trip).
    let lastOrderID: Int64?

    /// The reference the campaign's messages and offer codes carry.
    var reference: String { "campaign:\(campaign.id)" }
}

/// A campaign was launched, paused, resumed, completed or cancelled (`action`), or ran again for
/// newly lapsed customers (`rerun`, with how many entered).
struct CampaignChanged: DomainEvent {
    let campaign: Campaign
    let action: String
    var treated = 0
    var holdout = 0
}
