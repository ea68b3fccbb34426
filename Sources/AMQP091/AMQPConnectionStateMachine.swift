/// The connection-level (channel 0) protocol as a pure value: the handshake
/// (start/start-ok with PLAIN, tune/tune-ok, open/open-ok), blocking notifications and
/// closing in both directions. Returns ``Action``s; the handler performs them.
public struct AMQPConnectionStateMachine: Sendable {
    /// Limits agreed during `connection.tune`.
    public struct Tuning: Sendable, Hashable {
        /// Largest frame in bytes (0 = unlimited).
        public var frameMax: Int
        /// Highest channel number.
        public var channelMax: UInt16
        /// Heartbeat interval in seconds (0 = disabled).
        public var heartbeatSeconds: UInt16
    }

    /// What the handler must do.
    public enum Action: Sendable, Hashable {
        /// Write this method on channel 0.
        case send(AMQPMethod)
        /// The connection is open with these limits.
        case opened(Tuning)
        /// The server blocked publishing (`connection.blocked`, e.g. a memory alarm).
        case blocked(String)
        /// Publishing may resume.
        case unblocked
        /// Close the socket; the connection failed with this error (`nil` = clean close).
        case closeSocket(AMQPError?)
    }

    enum State: Sendable, Hashable { case awaitingStart, awaitingTune, awaitingOpenOk, open, closing, closed }

    var state: State = .awaitingStart
    let user: String
    let password: String
    let virtualHost: String
    let proposal: Tuning
    let clientProperties: AMQPTable
    /// What the server was told; for error messages (`host:port`).
    let endpoint: String
    var tuning: Tuning?

    /// Creates the state machine for a connection attempt.
    public init(user: String, password: String, virtualHost: String, proposal: Tuning, clientProperties: AMQPTable, endpoint: String) {
        self.user = user
        self.password = password
        self.virtualHost = virtualHost
        self.proposal = proposal
        self.clientProperties = clientProperties
        self.endpoint = endpoint
    }

    /// Whether the handshake finished and no close has started.
    public var isOpen: Bool { state == .open }

    /// Handles a method received on channel 0.
    public mutating func receive(_ method: AMQPMethod) -> [Action] {
        switch (state, method) {
        case (.awaitingStart, .connectionStart(let major, let minor, _, let mechanisms, _)):
            guard major == 0, minor == 9 else {
                return fail(AMQPError(.protocolViolation, "\(endpoint) offered AMQP \(major)-\(minor), not 0-9"))
            }
            guard mechanisms.split(separator: " ").contains("PLAIN") else {
                return fail(AMQPError(.accessRefused, "\(endpoint) does not offer PLAIN authentication (offers: \(mechanisms))"))
            }
            state = .awaitingTune
            let response = [0] + Array(user.utf8) + [0] + Array(password.utf8)
            return [.send(.connectionStartOk(clientProperties: clientProperties, mechanism: "PLAIN", response: response, locale: "en_US"))]
        case (.awaitingTune, .connectionTune(let channelMax, let frameMax, let heartbeat)):
            func smaller<T: BinaryInteger>(_ a: T, _ b: T) -> T { a == 0 ? b : (b == 0 ? a : min(a, b)) }
            let agreed = Tuning(
                frameMax: smaller(Int(frameMax), proposal.frameMax),
                channelMax: smaller(channelMax, proposal.channelMax),
                heartbeatSeconds: proposal.heartbeatSeconds == 0 ? 0 : smaller(heartbeat, proposal.heartbeatSeconds))
            tuning = agreed
            state = .awaitingOpenOk
            return [
                .send(.connectionTuneOk(channelMax: agreed.channelMax, frameMax: UInt32(agreed.frameMax), heartbeat: agreed.heartbeatSeconds)),
                .send(.connectionOpen(virtualHost: virtualHost)),
            ]
        case (.awaitingOpenOk, .connectionOpenOk):
            state = .open
            return [.opened(tuning!)]
        case (_, .connectionClose(let close)):
            let wasClosing = state == .closing
            state = .closed
            if wasClosing { return [.send(.connectionCloseOk), .closeSocket(nil)] }
            var error = AMQPError.closed(by: close, connection: true, context: endpoint)
            if close.replyCode == 530 || close.replyCode == 403 {
                error.message += close.replyCode == 530 ? " (virtual host '\(virtualHost)')" : " (user '\(user)')"
            }
            return [.send(.connectionCloseOk), .closeSocket(error)]
        case (.closing, .connectionCloseOk):
            state = .closed
            return [.closeSocket(nil)]
        case (.open, .connectionBlocked(let reason)):
            return [.blocked(reason)]
        case (.open, .connectionUnblocked):
            return [.unblocked]
        case (.closing, _), (.closed, _):
            return []
        default:
            return fail(AMQPError(.protocolViolation, "\(endpoint) sent unexpected \(method.name) on channel 0"))
        }
    }

    /// Starts a clean close (`connection.close` 200).
    public mutating func close() -> [Action] {
        switch state {
        case .open, .awaitingOpenOk:
            state = .closing
            return [.send(.connectionClose(.init(replyCode: 200, replyText: "Goodbye")))]
        case .awaitingStart, .awaitingTune:
            state = .closed
            return [.closeSocket(nil)]
        case .closing, .closed:
            return []
        }
    }

    private mutating func fail(_ error: AMQPError) -> [Action] {
        state = .closed
        return [.send(.connectionClose(.init(replyCode: 503, replyText: "COMMAND_INVALID"))), .closeSocket(error)]
    }
}
