import Synchronization

/// The bound on pub/sub push buffers. A subscriber's messages (and a subscribed
/// connection's pushes) wait in a buffer of at most ``RedisConfiguration/pushBufferLimit``
/// messages; when the reader falls that far behind, the **oldest** waiting message is
/// dropped (pub/sub is best-effort: Redis itself drops a too-slow subscriber). Drops are
/// counted per subscriber (``RedisSubscriber/dropped``) and for the whole process here.
public enum RedisPushBuffer {
    /// Default bound, messages (`pushBufferLimit`): 100 000.
    public static let defaultLimit = 100_000

    private static let droppedTotal = Atomic<Int>(0)

    /// Messages dropped by every push buffer of this process since it started.
    public static var dropped: Int { droppedTotal.load(ordering: .relaxed) }

    /// Records one yield; returns whether it dropped a message.
    @discardableResult
    static func record<T>(_ result: AsyncStream<T>.Continuation.YieldResult) -> Bool {
        if case .dropped = result {
            droppedTotal.add(1, ordering: .relaxed)
            return true
        }
        return false
    }

    /// The buffering policy for a limit (at least 1).
    static func policy<T>(_ limit: Int, _: T.Type = T.self) -> AsyncStream<T>.Continuation.BufferingPolicy {
        .bufferingNewest(max(1, limit))
    }
}
