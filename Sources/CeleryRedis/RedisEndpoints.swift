import Celery
import Logging
import NIOCore
import RESP
import Synchronization

/// The connector of a `;`-separated list of `redis://` / `rediss://` URLs
/// (`redis://h1:6379/0;redis://h2:6379/0`, Celery's broker failover list).
///
/// One instance is shared by every connection of a broker or result backend (the pool, the
/// queue consumers' blocking connections, the pub/sub subscribers), so they all use the same
/// node. A connect tries the node in use; when it fails, the shared ``FailoverCycle`` moves
/// on (round-robin or shuffle, the `failover_strategy` query) and the next node is tried, each
/// node at most once per call, before the last error reaches the caller (whose reconnect
/// backoff then runs once per full cycle). Nodes are not assumed to be replicas: what a dead
/// node held is not on the next one.
final class RedisEndpoints: RedisConnector {
    /// Every node's configuration, in the order given.
    let nodes: [RedisConfiguration]
    /// The whole list with every password masked.
    let displayURL: String
    private let logger: Logger
    private struct State {
        var cycle: FailoverCycle
        /// The node last announced in the log (the node in use).
        var announced: Int?
    }
    private let state: Mutex<State>

    /// Parses every node of `url` (each with its own credentials, database and query);
    /// throws ``CeleryError`` (`badURL`) naming the bad entry, with every password masked.
    init(_ url: ConnectionURL, logger: Logger) throws {
        nodes = try url.nodes.map { node in
            do { return try RedisConfiguration(url: node.raw) } catch {
                throw CeleryError.redis(error, "parsing a node of the failover list", at: url.masked)
            }
        }
        displayURL = url.masked
        self.logger = logger
        state = Mutex(State(cycle: try FailoverCycle(url)))
    }

    /// The index of the node in use now.
    var currentIndex: Int { state.withLock { $0.cycle.currentIndex } }

    func connect(group: any EventLoopGroup, logger: Logger) async throws -> RedisConnection {
        var lastError: (any Error)?
        for _ in nodes.indices {
            let index = state.withLock { $0.cycle.currentIndex }
            let node = nodes[index]
            do {
                let c = try await RedisConnection.connect(node, group: group, logger: logger)
                let announce = state.withLock { s -> Bool in
                    if s.cycle.currentIndex == index { s.cycle.connected() }
                    defer { s.announced = index }
                    return s.announced != index
                }
                if announce && nodes.count > 1 {
                    self.logger.info(
                        "connected to Redis node \(index + 1) of \(nodes.count)",
                        metadata: ["redis": "\(node.maskedURL)", "list": "\(displayURL)"])
                }
                return c
            } catch {
                lastError = error
                guard nodes.count > 1 else { break }
                // Concurrent connects that fail on the same node move the cycle on once.
                state.withLock { s in if s.cycle.currentIndex == index { _ = s.cycle.advance() } }
                self.logger.warning(
                    "Redis node \(index + 1) of \(nodes.count) failed; trying the next: \(error)",
                    metadata: ["redis": "\(node.maskedURL)"])
            }
        }
        if nodes.count == 1, let lastError { throw lastError }
        throw RESPError(
            .connection, "no node of \(displayURL) accepted a connection; last error: \(lastError.map { "\($0)" } ?? "none")")
    }
}
