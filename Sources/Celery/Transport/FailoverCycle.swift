/// Which node of a broker failover list to use, and when to back off, as kombu does it.
///
/// A list (`amqp://h1//;amqp://h2//`) starts on its first node. After a connection error the
/// transport calls ``advance()`` and connects to ``current``; it sleeps its backoff only when
/// ``advance()`` reports that a whole cycle of the list failed, so a dead node costs one
/// connect attempt, not a backoff. The strategy comes from the `failover_strategy` query
/// parameter of any node (Celery's `broker_failover_strategy`): `round-robin` (the default)
/// or `shuffle` (a new random order for each cycle).
public struct FailoverCycle: Sendable {
    /// How the next node is chosen.
    public enum Strategy: String, Sendable, CaseIterable {
        /// In the order given, wrapping around (kombu's default).
        case roundRobin = "round-robin"
        /// A new random order for each full cycle.
        case shuffle
    }

    /// Every node of the list, in the order given.
    public let nodes: [ConnectionURL]
    /// The strategy in use.
    public let strategy: Strategy
    private var order: [Int]
    private var position = 0
    private var failuresThisCycle = 0

    /// A cycle over `url`'s nodes (one node for a single URL). Throws ``CeleryError``
    /// (`badURL`) for an unknown `failover_strategy`.
    public init(_ url: ConnectionURL, strategy: Strategy? = nil) throws {
        nodes = url.nodes
        if let strategy {
            self.strategy = strategy
        } else if let name = nodes.lazy.compactMap({ $0.queryValue("failover_strategy") }).first {
            guard let s = Strategy(rawValue: name) else {
                throw CeleryError(
                    .badURL,
                    "failover_strategy must be one of \(Strategy.allCases.map(\.rawValue).joined(separator: ", ")), got '\(name)'")
            }
            self.strategy = s
        } else {
            self.strategy = .roundRobin
        }
        order = Array(nodes.indices)
    }

    /// The node to connect to now.
    public var current: ConnectionURL { nodes[currentIndex] }

    /// The index in ``nodes`` of ``current``.
    public var currentIndex: Int { order[position] }

    /// Whether there is more than one node.
    public var isList: Bool { nodes.count > 1 }

    /// Moves on after `current` failed. Returns `true` when every node has now failed once
    /// since the last success (the caller sleeps its backoff before the next attempt).
    public mutating func advance() -> Bool {
        failuresThisCycle += 1
        position += 1
        if position == order.count {
            position = 0
            if strategy == .shuffle { order.shuffle() }
        }
        if failuresThisCycle >= nodes.count {
            failuresThisCycle = 0
            return true
        }
        return false
    }

    /// Records a successful connection to `current`: the next failure starts a new cycle.
    public mutating func connected() { failuresThisCycle = 0 }
}
