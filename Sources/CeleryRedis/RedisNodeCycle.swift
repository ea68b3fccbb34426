import Celery
import Synchronization

/// A ``FailoverCycle`` shared by every connection of one transport (Redis nodes of a `;` list,
/// or the sentinels of a `sentinel://` list), with the "each node once" attempt loop.
final class RedisNodeCycle: Sendable {
    private let cycle: Mutex<FailoverCycle>
    /// How many nodes the cycle goes over.
    let count: Int

    /// The cycle over `url`'s nodes; throws ``CeleryError`` for a bad `failover_strategy`.
    init(_ url: ConnectionURL) throws {
        let c = try FailoverCycle(url)
        count = c.nodes.count
        cycle = Mutex(c)
    }

    /// The index of the node in use.
    var currentIndex: Int { cycle.withLock { $0.currentIndex } }

    /// Moves the cycle on after node `index` failed, unless a concurrent caller already did.
    func moveOn(from index: Int) {
        cycle.withLock { c in if c.currentIndex == index { _ = c.advance() } }
    }

    /// Runs `body` on the node in use; when it throws, moves the cycle on (once, however many
    /// concurrent callers failed on that node), reports the failure to `failed` and tries the
    /// next node, each node at most once. Returns the first success; after every node failed,
    /// returns the last error as `.failure`.
    func attempt<T>(
        _ body: (Int) async throws -> T, failed: (Int, any Error) -> Void
    ) async -> Result<T, any Error> {
        var lastError: (any Error)?
        for _ in 0..<count {
            let index = currentIndex
            do {
                let value = try await body(index)
                cycle.withLock { c in if c.currentIndex == index { c.connected() } }
                return .success(value)
            } catch {
                lastError = error
                moveOn(from: index)
                failed(index, error)
            }
        }
        return .failure(lastError ?? CeleryError(.connection, "no node to try"))
    }
}
