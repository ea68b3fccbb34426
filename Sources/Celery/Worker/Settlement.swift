/// What became of a delivery, as far as its settlement goes.
enum SettlementOutcome: Equatable, Sendable {
    /// Bad input or a poison message: never run.
    case rejected(reason: String)
    /// Revoked or expired before it ran; REVOKED was stored.
    case revoked
    /// The body is about to run (the moment an early ack, `acksLate` off, is sent).
    case starting
    /// The run ended (SUCCESS, FAILURE, time limit, terminated); `resultStored` is false
    /// when the final state could not be stored (the backend stayed down through shutdown).
    case finished(resultStored: Bool)
    /// The task asked for a retry (or its retry policy did); `published` says whether the
    /// retry message reached the broker.
    case retried(published: Bool)
    /// Cancelled by a cold shutdown while running.
    case cancelledByShutdown
    /// Received but never started (warm shutdown, or the worker stopped taking work).
    case notStarted
}

/// What the worker does with a delivery.
enum SettlementAction: Equatable, Sendable {
    /// Acknowledge: the broker forgets the message.
    case ack
    /// Return the message to its queue (delivered again, marked redelivered).
    case requeue
    /// Move the message to the transport's dead-letter place.
    case deadLetter(reason: String)
    /// Nothing to send (broadcast, or already acknowledged before the run).
    case none
}

/// The worker's settlement rules, as pure functions (no I/O; unit-tested on their own).
/// ``Worker/settle(_:_:acksLate:log:)`` is the one place that carries the action out.
enum Settlement {
    /// The action for an outcome.
    ///
    /// - Broadcast deliveries have no acknowledgements: always ``SettlementAction/none``.
    /// - Late acks (the default): acknowledged only once the final state is stored or the
    ///   retry is published; otherwise requeued, so a crash or an outage means redelivery.
    /// - Early acks (`acksLate` false): acknowledged as the run starts; later outcomes send
    ///   nothing.
    static func action(for outcome: SettlementOutcome, acksLate: Bool, broadcast: Bool) -> SettlementAction {
        if broadcast { return .none }
        switch outcome {
        case .rejected(let reason): return .deadLetter(reason: reason)
        case .revoked: return .ack
        case .starting: return acksLate ? .none : .ack
        case .notStarted: return .requeue
        case .finished(let stored): return acksLate ? (stored ? .ack : .requeue) : .none
        case .retried(let published): return acksLate ? (published ? .ack : .requeue) : .none
        case .cancelledByShutdown: return acksLate ? .requeue : .none
        }
    }

    /// The delay before retrying a failed run, or `nil` when the failure is final.
    ///
    /// An explicit ``RetryRequest`` retries after its own delay (else `defaultDelay`). Other
    /// errors retry only under the task's policy, while `retries` is below its limit and
    /// the policy accepts the error; cancellation and ``MaxRetriesExceeded`` never retry.
    static func retryDelay(
        after error: any Error, policy: RetryPolicy?, retries: Int, defaultDelay: Duration
    ) -> Duration? {
        if let r = error as? RetryRequest { return r.delay ?? defaultDelay }
        guard let policy, !(error is CancellationError), !(error is MaxRetriesExceeded), retries < policy.maxRetries,
            policy.retryIf(error)
        else { return nil }
        return policy.delay(afterRetries: retries)
    }
}
