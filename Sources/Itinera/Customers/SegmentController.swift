import Foundation
import ItineraAPI
import Logging
import OpenAPIRuntime

/// Saved segments: rules over customers, their counts and their members.
struct SegmentController: Sendable {
    let access: AccessControl
    let logger: Logger

    func listSegments(_ input: Operations.ListSegments.Input) async throws -> Operations.ListSegments.Output {
        let page = try PageRequest(limit: input.query.limit, cursor: input.query.cursor)
        let items = try await access.inTenant { tenant, _ in
            var items: [Components.Schemas.Segment] = []
            for segment in try await SegmentStore.list(page: page, on: tenant).prefix(page.limit + 1) {
                items.append(try await Self.api(segment, on: tenant))
            }
            return items
        }
        let shown = Array(items.prefix(page.limit))
        let next = items.count > page.limit ? shown.last.map { PageRequest.cursor([$0.id]) } : nil
        return .ok(.init(body: .json(.init(items: shown, nextCursor: next))))
    }

    func createSegment(_ input: Operations.CreateSegment.Input) async throws -> Operations.CreateSegment.Output {
        guard case .json(let body) = input.body else { throw Problem.malformedBody("Expected a JSON body.") }
        let (name, description, rule) = try Self.read(body)
        let segment = try await access.inTenant { tenant, principal in
            guard
                let saved = try await SegmentStore.save(
                    id: nil, name: name, description: description, rule: rule, on: tenant)
            else { throw Problem.internalError(requestID: RequestScope.current?.requestID ?? "unknown") }
            try await AuditLog.record(
                principal.auditEvent(
                    action: "segment.create", targetType: "segment", targetID: String(saved.id), before: nil,
                    after: saved.auditJSON),
                on: tenant)
            return try await Self.api(saved, on: tenant)
        }
        return .created(.init(body: .json(segment)))
    }

    func getSegment(_ input: Operations.GetSegment.Input) async throws -> Operations.GetSegment.Output {
        let id = try Problem.pathID(input.path.id, of: "segment")
        let segment = try await access.inTenant { tenant, _ in
            guard let segment = try await SegmentStore.find(id, on: tenant) else {
                throw Problem.notFound("segment", input.path.id)
            }
            return try await Self.api(segment, on: tenant)
        }
        return .ok(.init(body: .json(segment)))
    }

    func updateSegment(_ input: Operations.UpdateSegment.Input) async throws -> Operations.UpdateSegment.Output {
        guard case .json(let body) = input.body else { throw Problem.malformedBody("Expected a JSON body.") }
        let id = try Problem.pathID(input.path.id, of: "segment")
        let (name, description, rule) = try Self.read(body)
        let segment = try await access.inTenant { tenant, principal in
            guard let before = try await SegmentStore.find(id, on: tenant),
                let after = try await SegmentStore.save(
                    id: id, name: name, description: description, rule: rule, on: tenant)
            else { throw Problem.notFound("segment", input.path.id) }
            try await AuditLog.record(
                principal.auditEvent(
                    action: "segment.update", targetType: "segment", targetID: String(id), before: before.auditJSON,
                    after: after.auditJSON),
                on: tenant)
            return try await Self.api(after, on: tenant)
        }
        return .ok(.init(body: .json(segment)))
    }

    func deleteSegment(_ input: Operations.DeleteSegment.Input) async throws -> Operations.DeleteSegment.Output {
        let id = try Problem.pathID(input.path.id, of: "segment")
        try await access.inTenant { tenant, principal in
            guard let segment = try await SegmentStore.find(id, on: tenant),
                try await SegmentStore.delete(id, on: tenant)
            else { throw Problem.notFound("segment", input.path.id) }
            try await AuditLog.record(
                principal.auditEvent(
                    action: "segment.delete", targetType: "segment", targetID: String(id),
                    before: segment.auditJSON, after: nil),
                on: tenant)
        }
        return .noContent(.init())
    }

    func listSegmentCustomers(_ input: Operations.ListSegmentCustomers.Input) async throws
        -> Operations.ListSegmentCustomers.Output
    {
        let id = try Problem.pathID(input.path.id, of: "segment")
        let page = try PageRequest(limit: input.query.limit, cursor: input.query.cursor)
        let (customers, currency) = try await access.inTenant { tenant, principal in
            var filter = CustomerStore.Filter()
            filter.rule = try await SegmentStore.rule(of: id, on: tenant)
            return (try await CustomerStore.list(filter, page: page, on: tenant), principal.tenant.currency)
        }
        let (shown, next) = page.split(customers) {
            PageRequest.cursor([String($0.createdAt.epochMicroseconds), String($0.id)])
        }
        return .ok(.init(body: .json(.init(items: try shown.map { try $0.api(currency: currency) }, nextCursor: next))))
    }

    static func read(_ body: Components.Schemas.SegmentRequest) throws -> (String, String?, String) {
        let name = try SignUpValidation.displayName(body.name, field: "name")
        let description = try body.description.map { text throws(Problem) in
            try OrderInput.trimmed(text, field: "description", max: 500)
        }
        let data = try JSONEncoder().encode(body.rule)
        guard data.count <= 16 * 1024 else {
            throw Problem.invalidField("rule", "rule must be at most 16 KiB of JSON.")
        }
        _ = try SegmentRule.parse(try JSONSerialization.jsonObject(with: data))
        return (name, description, String(decoding: data, as: UTF8.self))
    }

    static func api(_ segment: Segment, on tenant: TenantConnection) async throws -> Components.Schemas.Segment {
        let rule = try SegmentRule.parse(try JSONSerialization.jsonObject(with: Data(segment.rule.utf8)))
        return Components.Schemas.Segment(
            id: String(segment.id), name: segment.name, description: segment.description,
            rule: .init(
                additionalProperties: try JSONDecoder().decode(
                    OpenAPIObjectContainer.self, from: Data(segment.rule.utf8))),
            customers: try await CustomerStore.count(rule, on: tenant), createdAt: segment.createdAt,
            updatedAt: segment.updatedAt)
    }

}
