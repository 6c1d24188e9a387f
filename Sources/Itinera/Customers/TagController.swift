import Foundation
import ItineraAPI
import Logging

/// Tags: the tenant's list, tag rules, and tags on one customer.
struct TagController: Sendable {
    let access: AccessControl
    let logger: Logger

    func listTags(_ input: Operations.ListTags.Input) async throws -> Operations.ListTags.Output {
        let page = try PageRequest(limit: input.query.limit, cursor: input.query.cursor)
        let tags = try await access.inTenant { tenant, _ in try await TagStore.list(page: page, on: tenant) }
        let (shown, next) = page.split(tags) { PageRequest.cursor([$0.name]) }
        return .ok(.init(body: .json(.init(items: shown.map(\.api), nextCursor: next))))
    }

    func createTag(_ input: Operations.CreateTag.Input) async throws -> Operations.CreateTag.Output {
        guard case .json(let body) = input.body else { throw Problem.malformedBody("Expected a JSON body.") }
        let name = try Tag.name(body.name, field: "name")
        let description = try body.description.map { text throws(Problem) in
            try OrderInput.trimmed(text, field: "description", max: 500)
        }
        let rule = try body.rule.map { rule throws(Problem) in
            Tag.Rule(
                productCategory: try OrderInput.trimmed(rule.productCategory, field: "rule.product_category", max: 100)
                    .lowercased(),
                destination: try rule.destination.map { text throws(Problem) in
                    try OrderInput.trimmed(text, field: "rule.destination", max: 200)
                })
        }
        let tag = try await access.inTenant { tenant, principal in
            guard try await TagStore.create(name: name, description: description, rule: rule, on: tenant),
                let tag = try await TagStore.find(name, on: tenant)
            else { throw Problem.conflict("The tag '\(name)' exists already.", field: "name") }
            try await AuditLog.record(
                principal.auditEvent(
                    action: "tag.create", targetType: "tag", targetID: name, before: nil,
                    after: try JSONEncoder().encode(tag.api)),
                on: tenant)
            return tag
        }
        return .created(.init(body: .json(tag.api)))
    }

    func getTag(_ input: Operations.GetTag.Input) async throws -> Operations.GetTag.Output {
        let tag = try await access.inTenant { tenant, _ in try await TagStore.find(input.path.name, on: tenant) }
        guard let tag else { throw Problem.notFound("tag", input.path.name) }
        return .ok(.init(body: .json(tag.api)))
    }

    func deleteTag(_ input: Operations.DeleteTag.Input) async throws -> Operations.DeleteTag.Output {
        try await access.inTenant { tenant, principal in
            guard let tag = try await TagStore.find(input.path.name, on: tenant),
                try await TagStore.delete(tag.name, on: tenant)
            else { throw Problem.notFound("tag", input.path.name) }
            try await AuditLog.record(
                principal.auditEvent(
                    action: "tag.delete", targetType: "tag", targetID: tag.name,
                    before: try JSONEncoder().encode(tag.api), after: nil),
                on: tenant)
        }
        return .noContent(.init())
    }

    func listCustomerTags(_ input: Operations.ListCustomerTags.Input) async throws
        -> Operations.ListCustomerTags.Output
    {
        let id = try Problem.pathID(input.path.id, of: "customer")
        let tags = try await access.inTenant { tenant, _ in
            try await CustomerStore.requireLive(id, locking: false, on: tenant)
            return try await TagStore.tags(of: id, on: tenant)
        }
        return .ok(.init(body: .json(.init(items: tags.map(\.api)))))
    }

    func tagCustomer(_ input: Operations.TagCustomer.Input) async throws -> Operations.TagCustomer.Output {
        guard case .json(let body) = input.body else { throw Problem.malformedBody("Expected a JSON body.") }
        let id = try Problem.pathID(input.path.id, of: "customer")
        let name = try Tag.name(body.tag, field: "tag")
        let (tag, created) = try await access.inTenant { tenant, _ in
            try await CustomerStore.requireLive(id, on: tenant)
            return try await TagStore.tag(id, with: name, on: tenant)
        }
        return created ? .created(.init(body: .json(tag.api))) : .ok(.init(body: .json(tag.api)))
    }

    func untagCustomer(_ input: Operations.UntagCustomer.Input) async throws -> Operations.UntagCustomer.Output {
        let id = try Problem.pathID(input.path.id, of: "customer")
        try await access.inTenant { tenant, _ in
            try await CustomerStore.requireLive(id, on: tenant)
            guard try await TagStore.untag(id, input.path.tag, on: tenant) else {
                throw Problem.notFound("tag on customer \(id)", input.path.tag)
            }
        }
        return .noContent(.init())
    }
}

extension Tag {
    var api: Components.Schemas.Tag {
        Components.Schemas.Tag(
            name: name, description: description,
            rule: rule.map { .init(productCategory: $0.productCategory, destination: $0.destination) },
            customers: customers, createdAt: createdAt)
    }
}

extension CustomerTag {
    var api: Components.Schemas.CustomerTag {
        Components.Schemas.CustomerTag(
            tag: tag, source: source == .manual ? .manual : .rule, addedAt: addedAt)
    }
}
