import Celery
import Foundation
import Synchronization

/// Fans server-sent events out to every open `/events` stream. Each subscriber has a
/// bounded buffer (``bufferLimit`` messages, oldest dropped), so a slow browser never holds
/// memory or slows the others.
final class LiveUpdates: Sendable {
    static let bufferLimit = 256
    private let subscribers = Mutex<[UInt64: AsyncStream<String>.Continuation]>([:])
    private let nextId = Atomic<UInt64>(0)

    /// A new stream; it ends when the client goes away (the caller stops iterating).
    func subscribe() -> AsyncStream<String> {
        let id = nextId.wrappingAdd(1, ordering: .relaxed).newValue
        let (stream, continuation) = AsyncStream<String>.makeStream(bufferingPolicy: .bufferingNewest(Self.bufferLimit))
        continuation.onTermination = { [weak self] _ in self?.drop(id) }
        subscribers.withLock { $0[id] = continuation }
        continuation.yield("retry: 2000\n\n")
        return stream
    }

    private func drop(_ id: UInt64) { _ = subscribers.withLock { $0.removeValue(forKey: id) } }

    /// Open streams.
    var count: Int { subscribers.withLock { $0.count } }

    /// Sends an event (`event: name`, `data: json`) to every stream.
    func publish(_ event: String, _ data: JSONValue) {
        let text = "event: \(event)\ndata: \(data.description)\n\n"
        for c in subscribers.withLock({ Array($0.values) }) { c.yield(text) }
    }

    /// A comment line that keeps idle connections open through proxies.
    func keepAlive() {
        for c in subscribers.withLock({ Array($0.values) }) { c.yield(": keep-alive\n\n") }
    }

    /// Ends every stream (server shutdown).
    func finishAll() {
        for c in subscribers.withLock({ s in defer { s.removeAll() }; return Array(s.values) }) { c.finish() }
    }
}
