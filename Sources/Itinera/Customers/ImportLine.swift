import Foundation
import ItineraAPI

/// What an import carries: one customer or one order per line.
public enum ImportKind: String, Sendable, CaseIterable {
    case customers, orders
}

/// A line an import refused: where, which field, and why.
public struct ImportLineError: Error, Sendable, Equatable, Codable {
    public var line: Int
    public var field: String?
    public var message: String
}

/// One line of an import, checked by the same rules as `POST /v1/customers` or `POST /v1/orders`.
struct ImportLine: Sendable {
    var number: Int
    /// The identity that groups lines naming one new customer: the first of phone, e-mail, member
    /// card and external id.
    var key: String
    var identities: [CustomerIdentity]
    var customerID: Int64?
    var profile: CustomerProfile
    var order: OrderDetails?

    /// Reads line `number`; the error names the field as the API would.
    static func read(
        _ bytes: ArraySlice<UInt8>,
        number: Int,
        kind: ImportKind,
        region: PhoneRegion,
        currency: String,
        now: Date
    ) -> Result<ImportLine, ImportLineError> {
        func failure(_ problem: Problem) -> Result<ImportLine, ImportLineError> {
            let message = problem.status == .badRequest ? "The line is not valid JSON." : problem.detail
            return .failure(ImportLineError(line: number, field: problem.field, message: message))
        }
        guard bytes.count <= ImportLines.maxLineBytes else {
            return .failure(
                ImportLineError(
                    line: number, field: nil, message: "The line is longer than \(ImportLines.maxLineBytes) bytes."))
        }
        do {
            let data = Data(bytes)
            switch kind {
            case .orders:
                let body = try decoder.decode(Components.Schemas.OrderRequest.self, from: data)
                let reference = try CustomerInput.reference(body.customer, region: region)
                let order = try OrderInput.details(body, tenantCurrency: currency, now: now)
                guard order.externalID != nil else {
                    throw Problem.invalidField(
                        "external_id", "external_id is required in an import, so that importing again changes nothing.")
                }
                return .success(
                    ImportLine(
                        number: number, key: key(reference.identities.map(\.identity), id: reference.id),
                        identities: reference.identities.map(\.identity), customerID: reference.id,
                        profile: reference.profile, order: order))
            case .customers:
                let body = try decoder.decode(Components.Schemas.CustomerRequest.self, from: data)
                let identities = try CustomerInput.identities(body.value1, region: region)
                guard !identities.isEmpty else {
                    throw Problem.invalidField(
                        "phone", "A customer needs at least one of phone, email, member_card or external_ids.")
                }
                guard body.value2.consents == nil else {
                    throw Problem.invalidField(
                        "consents", "consents are not imported; record them with PATCH /v1/customers/{id}.")
                }
                return .success(
                    ImportLine(
                        number: number, key: key(identities.map(\.identity), id: nil),
                        identities: identities.map(\.identity), customerID: nil,
                        profile: try CustomerInput.profile(body.value2), order: nil))
            }
        } catch let problem as Problem {
            return failure(problem)
        } catch let decoding as DecodingError {
            return failure(ProblemMiddleware<ItineraRequestContext>.problem(for: decoding))
        } catch {
            return .failure(ImportLineError(line: number, field: nil, message: "The line is not valid JSON."))
        }
    }

    static func key(_ identities: [CustomerIdentity], id: Int64?) -> String {
        let order: [CustomerIdentity.Kind] = [.phone, .email, .memberCard, .external]
        let first = identities.min { order.firstIndex(of: $0.kind)! < order.firstIndex(of: $1.kind)! }
        return first.map { "\($0.kind.rawValue)\u{1F}\($0.source)\u{1F}\($0.value)" } ?? "id\u{1F}\(id ?? 0)"
    }

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        let transcoder = RFC3339DateTranscoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            do { return try transcoder.decode(text) } catch {
                throw DecodingError.dataCorrupted(
                    .init(codingPath: decoder.codingPath, debugDescription: "'\(text)' is not an RFC 3339 time."))
            }
        }
        return decoder
    }()
}
