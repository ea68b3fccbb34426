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
    private let cycle: RedisNodeCycle
    /// The node last announced in the log (the node in use).
    private let announced = Mutex<Int?>(nil)

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
        cycle = try RedisNodeCycle(url)
    }

    /// The index of the node in use now.
    var currentIndex: Int { cycle.currentIndex }

    func connect(group: any EventLoopGroup, logger: Logger) async throws -> RedisConnection {
        let result = await cycle.attempt({ index in
            try await RedisConnection.connect(nodes[index], group: group, logger: logger)
        }, failed: { index, error in
            guard nodes.count > 1 else { return }
            self.logger.warning(
                "Redis node \(index + 1) of \(nodes.count) failed; trying the next: \(error)",
                metadata: ["redis": "\(nodes[index].maskedURL)"])
        })
        switch result {
        case .success(let c):
            let index = nodes.firstIndex { $0.peer == c.configuration.peer && $0.database == c.configuration.database } ?? 0
            let announce = announced.withLock { last -> Bool in
                defer { last = index }
                return last != index
            }
            if announce && nodes.count > 1 {
                self.logger.info(
                    "connected to Redis node \(index + 1) of \(nodes.count)",
                    metadata: ["redis": "\(nodes[index].maskedURL)", "list": "\(displayURL)"])
            }
            return c
        case .failure(let error) where nodes.count == 1:
            throw error
        case .failure(let error):
            throw RESPError(.connection, "no node of \(displayURL) accepted a connection; last error: \(error)")
        }
    }
}
