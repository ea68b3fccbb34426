import Logging

extension Worker {
    /// The one place a delivery is settled: decides with ``Settlement/action(for:acksLate:broadcast:)``,
    /// sends the ack, requeue or dead-letter, and logs a failure to do so (the message then
    /// comes back through the transport: visibility restore on Redis, requeue when the
    /// channel closes on RabbitMQ). Returns the action taken.
    @discardableResult
    func settle(_ d: Delivery, _ outcome: SettlementOutcome, acksLate: Bool, log: Logger) async -> SettlementAction {
        let action = Settlement.action(for: outcome, acksLate: acksLate, broadcast: d.route.isBroadcast || d.acknowledger == nil)
        do {
            switch action {
            case .none: break
            case .ack:
                // Batched by the transport where it can; the slot goes on at once.
                let start = ContinuousClock.now
                let ackTimer = app.transportMetrics.ack
                let sent = d.acknowledger?.ackWithoutWaiting { [outcome] error in
                    if let error {
                        log.warning("ack failed (\(outcome)): \(error); the broker will deliver the message again")
                    } else {
                        ackTimer.recordSince(start)
                    }
                }
                if sent != true {
                    try await d.ack()
                    app.transportMetrics.ack.recordSince(start)
                }
            case .requeue: try await d.requeue()
            case .deadLetter(let reason): try await d.deadLetter(reason: reason)
            }
        } catch {
            log.warning("\(Self.verb(action)) failed (\(outcome)): \(error); the broker will deliver the message again")
        }
        return action
    }

    static func verb(_ a: SettlementAction) -> String {
        switch a {
        case .none: return "settling"
        case .ack: return "ack"
        case .requeue: return "requeue"
        case .deadLetter: return "dead-lettering"
        }
    }
}
