import Itinera
import Testing

@Suite struct LoginThrottleTests {
    @Test func test_failuresFromOneAddress_acrossAccounts_areThrottledPerAddress() throws {
        let throttle = LoginThrottle(limits: .init(failuresPerAccount: 100, failuresPerAddress: 3))
        for index in 0..<3 {
            try throttle.check(tenant: "acme", email: "user\(index)@acme.example", address: "203.0.113.7")
            throttle.recordFailure(tenant: "acme", email: "user\(index)@acme.example", address: "203.0.113.7")
        }
        #expect(throws: Problem.self) {
            try throttle.check(tenant: "other", email: "someone@other.example", address: "203.0.113.7")
        }
        // Another address is unaffected.
        try throttle.check(tenant: "other", email: "someone@other.example", address: "198.51.100.1")
    }

    @Test func test_successClearsTheAccountCount() throws {
        let throttle = LoginThrottle(limits: .init(failuresPerAccount: 2, failuresPerAddress: 100))
        throttle.recordFailure(tenant: "acme", email: "a@acme.example", address: nil)
        throttle.recordSuccess(tenant: "acme", email: "a@acme.example")
        throttle.recordFailure(tenant: "acme", email: "a@acme.example", address: nil)
        try throttle.check(tenant: "acme", email: "a@acme.example", address: nil)
        throttle.recordFailure(tenant: "acme", email: "a@acme.example", address: nil)
        do {
            try throttle.check(tenant: "acme", email: "a@acme.example", address: nil)
            Issue.record("the account was not throttled after two failures")
        } catch {
            #expect(error.status == .tooManyRequests)
            #expect(error.headers[.retryAfter] != nil)
        }
    }
}
