import Foundation
import Itinera
import Logging

extension ItineraBench {
    /// Community: registrations for one popular event under contention. Each round opens a new event
    /// of 1,000 seats with an unlimited waiting list and registers a different customer with every
    /// request (`POST /v1/events/{id}/registrations`) over 64 connections and over one; every
    /// registration must succeed (wrk fails the run on any other status), and afterwards the event's
    /// counts must be exactly 1,000 registered and the rest waiting, each customer once.
    func measureCommunity(client: PQPool, migrations: MigrationSet, embedded: EmbeddedPostgres, logger: Logger)
        async throws
    {
        var lines: [String] = [] {
            didSet { Self.emit(lines.last ?? "") }
        }
        lines.append("")
        lines.append("## Community")
        let provisioner = TenantProvisioner(
            client: client, migrations: migrations, sessionLifetime: .seconds(86_400), logger: logger)
        let tenant = try await provisioner.provision(Self.signUp(slug: "community"), ownerPasswordHash: "x")
        let token = tenant.session.value
        // Enough customers that no round runs out: each request registers a new one.
        let customers = 50_000 * 2 * rounds
        let first = try await TenantTransaction.run(client, tenant: tenant.tenant.identity, logger: logger) {
            connection in
            try await connection.query(
                """
                INSERT INTO customers (name) SELECT 'Guest ' || n FROM generate_series(1, \(customers)) n
                RETURNING id
                """
            ).collect().map { try $0[0].decode(Int64.self) }.min() ?? 1
        }
        try await settle(embedded)
        lines.append("")
        lines.append(
            "| round | connections | registrations | per second | p50 | p99 | registered / waitlisted after, each customer once |"
        )
        lines.append("| ---: | ---: | ---: | ---: | ---: | ---: | --- |")
        var run: Int64 = 0
        for round in 1...rounds {
            for connections in [64, 1] {
                // Each run registers customers from its own range of 50,000 ids.
                let next = first + run * 50_000
                run += 1
                let created = try await Curl.json(
                    method: "POST", port: port, path: "/v1/events",
                    body:
                        #"{"kind":"livestream","title":"Bench round \#(round)","starts_at":"2030-01-01T00:00:00Z","ends_at":"2030-01-01T02:00:00Z","capacity":1000,"state":"open"}"#,
                    token: token)
                guard created.status == 201, let event = Self.field("id", in: created.body) else {
                    throw BenchError("creating the event answered \(created.status): \(created.body)")
                }
                let result = try await Wrk.script(
                    Self.registrationScript(event: event, first: next, token: token), port: port, token: nil,
                    seconds: duration, connections: connections)
                let check = try await TenantTransaction.run(client, tenant: tenant.tenant.identity, logger: logger) {
                    connection in
                    try await connection.query(
                        """
                        SELECT e.registered_count, e.waitlisted_count,
                               (SELECT count(*) FROM event_registrations r WHERE r.event_id = e.id)::int,
                               (SELECT count(DISTINCT customer_id) FROM event_registrations r WHERE r.event_id = e.id)::int,
                               (SELECT count(*) FROM event_registrations r
                                WHERE r.event_id = e.id AND r.state = 'registered')::int
                        FROM community_events e WHERE e.id = \(Int64(event) ?? 0)
                        """
                    ).first!.decode((Int, Int, Int, Int, Int).self)
                }
                let (registered, waitlisted, rows, distinct, seated) = check
                // wrk counts the requests answered within the run; up to one per connection was still in
                // flight when it ended, and those registered too.
                let total = result.requests
                guard registered == min(1_000, rows), seated == registered, registered + waitlisted == rows,
                    distinct == rows, (total...(total + connections)).contains(rows)
                else {
                    throw BenchError(
                        "round \(round): \(total) requests left registered \(registered) (rows \(seated)), waitlisted \(waitlisted), \(rows) rows, \(distinct) customers"
                    )
                }
                lines.append(
                    "| \(round) | \(connections) | \(rows) | \(Int(result.requestsPerSecond)) | \(Self.ms(result.p50)) ms | \(Self.ms(result.p99)) ms | \(registered) / \(waitlisted) |"
                )
            }
        }
    }

    /// Each request registers the next customer of its thread (two threads, even and odd ids from
    /// `first`).
    static func registrationScript(event: String, first: Int64, token: String) -> String {
        """
        local counter = 0
        local next_thread = 0
        setup = function(thread)
          next_thread = next_thread + 1
          thread:set("thread_id", next_thread)
        end
        request = function()
          local id = \(first) + counter * 2 + (thread_id - 1)
          counter = counter + 1
          local body = string.format('{"customer_id":"%d"}', id)
          return wrk.format("POST", "/v1/events/\(event)/registrations", {["Authorization"] = "Bearer \(token)", ["Content-Type"] = "application/json"}, body)
        end
        """
    }
}
