import Foundation
import ItineraAPI
import OpenAPIRuntime
import Synchronization

extension CampaignController {
    /// Recipients streamed as CSV in pages of `exportPage` customers, each page read in a
    /// transaction of its own in the caller's tenant (checked before the first line is written).
    func exportCampaignRecipients(_ input: Operations.ExportCampaignRecipients.Input) async throws
        -> Operations.ExportCampaignRecipients.Output
    {
        let id = try Problem.pathID(input.path.id, of: "campaign")
        let (campaign, tenant) = try await access.inTenant { tenant, principal in
            (try await Self.require(id, on: tenant), principal.tenant.identity)
        }
        let (client, logger) = (access.client, logger)
        let cursor = Mutex<Int64?>(0)
        let header = Mutex(true)
        let pages = AsyncThrowingStream<ArraySlice<UInt8>, any Error> {
            if header.withLock({ first in
                defer { first = false }; return first
            }) {
                return ArraySlice(CampaignStore.csvHeader.utf8)
            }
            guard let after = cursor.withLock({ $0 }) else { return nil }
            let page = try await TenantTransaction.run(client, tenant: tenant, logger: logger) { connection in
                try await CampaignStore.csvPage(campaign, after: after, limit: Self.exportPage, on: connection)
            }
            cursor.withLock { $0 = page.last }
            return page.last == nil ? nil : ArraySlice(page.lines.utf8)
        }
        return .ok(.init(body: .csv(HTTPBody(pages, length: .unknown, iterationBehavior: .single))))
    }

    /// Recipients per page of the CSV export.
    static let exportPage = 5_000
}
