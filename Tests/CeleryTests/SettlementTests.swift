import Foundation
import Testing

@testable import Celery

/// The worker's settlement rules, without a broker.
@Suite struct SettlementTests {
    typealias O = SettlementOutcome

    @Test func lateAcksWaitForTheStoredResultOrThePublishedRetry() {
        #expect(Settlement.action(for: .starting, acksLate: true, broadcast: false) == .none)
        #expect(Settlement.action(for: .finished(resultStored: true), acksLate: true, broadcast: false) == .ack)
        #expect(Settlement.action(for: .finished(resultStored: false), acksLate: true, broadcast: false) == .requeue)
        #expect(Settlement.action(for: .retried(published: true), acksLate: true, broadcast: false) == .ack)
        #expect(Settlement.action(for: .retried(published: false), acksLate: true, broadcast: false) == .requeue)
        #expect(Settlement.action(for: .cancelledByShutdown, acksLate: true, broadcast: false) == .requeue)
    }

    @Test func earlyAcksHappenOnceAsTheRunStarts() {
        #expect(Settlement.action(for: .starting, acksLate: false, broadcast: false) == .ack)
        for o: O in [.finished(resultStored: true), .finished(resultStored: false), .retried(published: true),
            .retried(published: false), .cancelledByShutdown]
        {
            #expect(Settlement.action(for: o, acksLate: false, broadcast: false) == .none, "\(o)")
        }
    }

    @Test func outcomesBeforeTheRunDoNotDependOnTheAckMode() {
        for late in [true, false] {
            #expect(Settlement.action(for: .rejected(reason: "bad"), acksLate: late, broadcast: false) == .deadLetter(reason: "bad"))
            #expect(Settlement.action(for: .revoked, acksLate: late, broadcast: false) == .ack)
            #expect(Settlement.action(for: .notStarted, acksLate: late, broadcast: false) == .requeue)
        }
    }

    @Test func broadcastDeliveriesAreNeverSettled() {
        let all: [O] = [.rejected(reason: "x"), .revoked, .starting, .finished(resultStored: true), .finished(resultStored: false),
            .retried(published: true), .retried(published: false), .cancelledByShutdown, .notStarted]
        for o in all {
            for late in [true, false] { #expect(Settlement.action(for: o, acksLate: late, broadcast: true) == .none, "\(o)") }
        }
    }

    struct Boom: Error {}
    struct Other: Error {}

    @Test func explicitRetryUsesItsDelayOrTheDefault() {
        let d = Settlement.retryDelay(after: RetryRequest(delay: .seconds(2)), policy: nil, retries: 7, defaultDelay: .seconds(180))
        #expect(d == .seconds(2))
        let dflt = Settlement.retryDelay(after: RetryRequest(delay: nil), policy: nil, retries: 0, defaultDelay: .seconds(180))
        #expect(dflt == .seconds(180))
    }

    @Test func policyRetriesOnlyAcceptedErrorsBelowTheLimit() {
        let policy = RetryPolicy(maxRetries: 2, initialDelay: .seconds(1), jitter: false, retryIf: { $0 is Boom })
        #expect(Settlement.retryDelay(after: Boom(), policy: policy, retries: 0, defaultDelay: .zero) == .seconds(1))
        #expect(Settlement.retryDelay(after: Boom(), policy: policy, retries: 1, defaultDelay: .zero) == .seconds(2))
        #expect(Settlement.retryDelay(after: Boom(), policy: policy, retries: 2, defaultDelay: .zero) == nil)
        #expect(Settlement.retryDelay(after: Other(), policy: policy, retries: 0, defaultDelay: .zero) == nil)
        #expect(Settlement.retryDelay(after: Boom(), policy: nil, retries: 0, defaultDelay: .zero) == nil)
        #expect(Settlement.retryDelay(after: CancellationError(), policy: RetryPolicy(), retries: 0, defaultDelay: .zero) == nil)
        let max = MaxRetriesExceeded(task: "t", id: "i", retries: 3)
        #expect(Settlement.retryDelay(after: max, policy: RetryPolicy(), retries: 0, defaultDelay: .zero) == nil)
    }
}
