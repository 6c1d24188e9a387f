import Foundation
import ItineraAPI
import Logging

/// Photo contests: `/v1/events/{id}/entries`, votes and winners.
struct ContestController: Sendable {
    let access: AccessControl
    let events: DomainEvents
    let logger: Logger

    func createContestEntry(_ input: Operations.CreateContestEntry.Input) async throws
        -> Operations.CreateContestEntry.Output
    {
        let id = try Problem.pathID(input.path.id, of: "event")
        guard case .json(let body) = input.body else { throw Problem.malformedBody("Expected a JSON body.") }
        let customer = try FieldText.id(body.customerId, field: "customer_id", what: "a customer's id")
        guard body.imageUrl.count <= 2048, let url = URL(string: body.imageUrl), url.scheme?.lowercased() == "https",
            url.host != nil
        else { throw Problem.invalidField("image_url", "image_url must be an https:// link to the photo.") }
        let caption = try body.caption.map { text throws(Problem) in
            try FieldText.required(text, field: "caption", max: 500)
        }
        let entry = try await access.inTenant { tenant, principal in
            switch try await ContestStore.enter(
                id, customer: customer, imageURL: body.imageUrl, caption: caption, on: tenant)
            {
            case .success(let entry):
                let event = try await EventController.require(id, on: tenant)
                try await events.publish(
                    ContestEntered(event: event, entry: entry),
                    in: EventContext(connection: tenant, tenant: principal.tenant, events: events))
                return entry
            case .failure(let refusal): throw Self.problem(refusal, event: id, customer: body.customerId)
            }
        }
        return .created(.init(body: .json(entry.api)))
    }

    func listContestEntries(_ input: Operations.ListContestEntries.Input) async throws
        -> Operations.ListContestEntries.Output
    {
        let id = try Problem.pathID(input.path.id, of: "event")
        let page = try PageRequest(limit: input.query.limit, cursor: input.query.cursor)
        let offset = try page.afterID().map { Int($0) } ?? 0
        let found = try await access.inTenant { tenant, _ in
            _ = try await EventController.require(id, on: tenant)
            return try await ContestStore.entries(of: id, limit: page.limit + 1, offset: offset, on: tenant)
        }
        let shown = found.prefix(page.limit)
        let next = found.count > page.limit ? PageRequest.cursor([String(offset + page.limit)]) : nil
        return .ok(.init(body: .json(.init(items: shown.map(\.api), nextCursor: next))))
    }

    func voteForContestEntry(_ input: Operations.VoteForContestEntry.Input) async throws
        -> Operations.VoteForContestEntry.Output
    {
        let id = try Problem.pathID(input.path.id, of: "event")
        let entryID = try Problem.pathID(input.path.entryId, of: "entry")
        guard case .json(let body) = input.body else { throw Problem.malformedBody("Expected a JSON body.") }
        let customer = try FieldText.id(body.customerId, field: "customer_id", what: "a customer's id")
        let (entry, new) = try await access.inTenant { tenant, _ in
            switch try await ContestStore.vote(entryID, event: id, customer: customer, on: tenant) {
            case .success(let outcome): return outcome
            case .failure(.noEntry): throw Problem.notFound("entry", input.path.entryId)
            case .failure(let refusal): throw Self.problem(refusal, event: id, customer: body.customerId)
            }
        }
        return new ? .created(.init(body: .json(entry.api))) : .ok(.init(body: .json(entry.api)))
    }

    /// Winners chosen by an admin (`entry_ids`, in order) or by votes (`count`, after voting closed).
    func setContestWinners(_ input: Operations.SetContestWinners.Input) async throws
        -> Operations.SetContestWinners.Output
    {
        let id = try Problem.pathID(input.path.id, of: "event")
        guard case .json(let body) = input.body else { throw Problem.malformedBody("Expected a JSON body.") }
        let chosen = try body.entryIds.map { ids throws(Problem) in
            guard (1...100).contains(ids.count) else {
                throw Problem.invalidField("entry_ids", "entry_ids names 1–100 entries.")
            }
            return try ids.map { text throws(Problem) in
                try FieldText.id(text, field: "entry_ids", what: "an entry's id")
            }
        }
        let count = body.count ?? 3
        guard (1...100).contains(count) else { throw Problem.invalidField("count", "count must be 1–100.") }
        let winners = try await access.inTenant { tenant, principal in
            let event = try await EventController.require(id, lock: true, on: tenant)
            guard event.kind == .contest else {
                throw Problem.conflict("Event \(id) is a \(event.kind.rawValue), not a contest.")
            }
            if chosen == nil {
                guard let closes = event.votingClosesAt, closes <= Date() else {
                    throw Problem.conflict(
                        "Winners by votes are chosen once voting has closed; name entry_ids to choose them now.",
                        field: "count")
                }
            }
            guard let winners = try await ContestStore.setWinners(id, chosen: chosen, count: count, on: tenant) else {
                throw Problem.invalidField("entry_ids", "Every entry in entry_ids must be one of this contest's, once.")
            }
            let after = try? JSONSerialization.data(
                withJSONObject: [
                    "by": chosen == nil ? "votes" : "admin", "winners": winners.map { String($0.id) },
                ], options: [.sortedKeys])
            try await AuditLog.record(
                principal.auditEvent(
                    action: "contest.winners", targetType: "event", targetID: String(id), before: nil, after: after),
                on: tenant)
            try await events.publish(
                ContestWinnersChosen(event: event, winners: winners, byVotes: chosen == nil),
                in: EventContext(connection: tenant, tenant: principal.tenant, events: events))
            return winners
        }
        return .ok(.init(body: .json(.init(items: winners.map(\.api)))))
    }

    static func problem(_ refusal: ContestStore.Refusal, event: Int64, customer: String) -> Problem {
        func refused(_ detail: String, condition: String) -> Problem {
            var problem = Problem(status: .conflict, type: "contest-refused", title: "Not accepted", detail: detail)
            problem.members["condition"] = .string(condition)
            return problem
        }
        switch refusal {
        case .noEvent: return Problem.notFound("event", String(event))
        case .noEntry: return Problem.notFound("entry", "")
        case .noCustomer: return Problem.notFound("customer", customer, field: "customer_id")
        case .notAContest: return refused("Event \(event) is not a contest.", condition: "kind")
        case .notOpen(let state): return refused("Event \(event) is \(state).", condition: "state")
        case .closed(let detail): return refused(detail, condition: "window")
        case .notAMember(let community): return Gate.notAMember(community: community).problem
        case .already:
            return refused("Customer \(customer) has already entered contest \(event).", condition: "already_entered")
        case .ownEntry: return refused("A customer does not vote for their own entry.", condition: "own_entry")
        }
    }
}
