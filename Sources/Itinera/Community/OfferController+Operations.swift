import ItineraAPI

/// The operations `OfferController` answers.
extension APIService {
    func listOffers(_ input: Operations.ListOffers.Input) async throws -> Operations.ListOffers.Output {
        try await controllers(OfferController.self).listOffers(input)
    }

    func createOffer(_ input: Operations.CreateOffer.Input) async throws -> Operations.CreateOffer.Output {
        try await controllers(OfferController.self).createOffer(input)
    }

    func getOffer(_ input: Operations.GetOffer.Input) async throws -> Operations.GetOffer.Output {
        try await controllers(OfferController.self).getOffer(input)
    }

    func issueOfferCode(_ input: Operations.IssueOfferCode.Input) async throws -> Operations.IssueOfferCode.Output {
        try await controllers(OfferController.self).issueOfferCode(input)
    }

    func redeemOffer(_ input: Operations.RedeemOffer.Input) async throws -> Operations.RedeemOffer.Output {
        try await controllers(OfferController.self).redeemOffer(input)
    }

    func listOfferRedemptions(_ input: Operations.ListOfferRedemptions.Input) async throws
        -> Operations.ListOfferRedemptions.Output
    {
        try await controllers(OfferController.self).listOfferRedemptions(input)
    }
}
