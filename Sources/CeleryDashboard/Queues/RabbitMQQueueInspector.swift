import Celery
import CeleryRabbitMQ
import Foundation
import Synchronization

/// Queues on RabbitMQ. With the management API (``RabbitMQManagementAPI``): every queue of
/// the virtual host (also those no one consumes) with ready, unacknowledged, consumers and
/// message rates; latency from a peek at each queue's head; browsing and dead-letter lists
/// by peeking (`ack_requeue_true`: the messages stay, in order, marked redelivered).
///
/// Without it (not enabled, unreachable, refused): a passive `queue.declare` per queue the
/// app and its workers declare gives the ready count, and the page says why that is all.
/// The API is tried again 15 s after a failure. Dead letters are requeued and deleted
/// through AMQP either way (``RabbitMQDeadLetterMover``).
final class RabbitMQQueueInspector: QueueInspector {
    let broker: RabbitMQBroker
    let api: RabbitMQManagementAPI?
    let mover: RabbitMQDeadLetterMover
    private let ages = MessageAgeTracker()
    /// Why the API is not used now (`nil` = it answered last time), and when to try again.
    private let failure = Mutex<(reason: String?, retryAt: Double)>((nil, 0))
    /// Most queues peeked per listing for their latency (the rest show none).
    static let peekLimit = 100
    /// Seconds before a failed API is tried again.
    static let retryInterval = 15.0

    /// `api` nil = management off (a bad URL is reported as the reason).
    init(broker: RabbitMQBroker, brokerURL: String, managementURL: String?) {
        self.broker = broker
        mover = RabbitMQDeadLetterMover(brokerURL: brokerURL)
        do {
            api = try RabbitMQManagementAPI.derive(brokerURL: brokerURL, managementURL: managementURL)
        } catch {
            api = nil
            failure.withLock { $0 = ("\(error)", .infinity) }
        }
    }

    var note: String {
        let reason = failure.withLock { $0.reason }
        guard let api, reason == nil else {
            let why = reason.map { "the management API is not available (\($0))" } ?? "the management API is not configured"
            return "RabbitMQ counts only: \(why). The queues listed are those the app and its workers declare, counted by passive queue.declare; browsing, unacknowledged counts and latency need the management API (--rabbitmq-management URL, plugin rabbitmq_management)."
        }
        return "RabbitMQ management API at \(api.http.maskedURL): every queue of virtual host \(api.vhost), also those no worker consumes. Latency and browsing peek at waiting messages (taken and put back at once: they stay in order but are marked redelivered). The API's numbers lag the queues by up to its statistics interval (5 s by default)."
    }

    /// Runs a management call; on failure records the reason (the page shows it) and returns `nil`.
    private func managed<T>(_ body: (RabbitMQManagementAPI) async throws -> T) async -> T? {
        guard let api else { return nil }
        let now = Date().timeIntervalSince1970
        if failure.withLock({ $0.reason != nil && now < $0.retryAt }) { return nil }
        do {
            let r = try await body(api)
            failure.withLock { $0 = (nil, 0) }
            return r
        } catch {
            failure.withLock { $0 = ("\(error)", now + Self.retryInterval) }
            return nil
        }
    }

    static func isTaskQueue(_ q: String) -> Bool {
        !q.hasSuffix(".pidbox") && !q.hasPrefix("celeryev") && !q.hasPrefix("amq.") && !q.hasPrefix("bcast.") && !q.hasSuffix(".dead_letter")
    }

    func queues(extra: Set<String>) async throws -> [QueueInfo] {
        if let listed = await managed({ try await $0.queues() }) {
            return await managedInfos(listed, extra: extra)
        }
        var out: [QueueInfo] = []
        for q in extra.sorted() where Self.isTaskQueue(q) {
            let n = try await broker.queueLength(q)
            var info = QueueInfo(name: q, messages: n, byPriority: [:], consumedBy: [])
            info.deadLetters = try? await broker.deadLetterCount(queue: q)
            out.append(info)
        }
        return out
    }

    private func managedInfos(_ listed: [RabbitMQManagementAPI.Queue], extra: Set<String>) async -> [QueueInfo] {
        let byName = Dictionary(listed.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let names = Set(listed.map(\.name)).union(extra).filter(Self.isTaskQueue).sorted()
        let now = Date().timeIntervalSince1970
        var seen = Set<String>()
        var peeked = 0
        var out: [QueueInfo] = []
        for name in names {
            var info = QueueInfo(name: name, messages: 0, byPriority: [:], consumedBy: [])
            let q = byName[name]
            info.messages = q?.ready ?? 0
            info.unacked = q?.unacked ?? 0
            info.consumers = q?.consumers ?? 0
            info.publishRate = q?.publishRate
            info.deliverRate = q?.deliverRate
            info.deadLetters = byName[RabbitMQDeadLetterMover.deadLetterQueue(name)]?.ready ?? 0
            if info.messages == 0 {
                info.oldestAge = 0
            } else if peeked < Self.peekLimit {
                peeked += 1
                if let head = await managed({ try await $0.peek(name, count: 1) })?.first {
                    let tag = head.headers["id"]?.stringValue ?? "\(name)#head"
                    info.oldestAge = ages.age(headers: head.headers, timestamp: head.timestamp, tag: tag, now: now, seen: &seen)
                } else {
                    // Consumed between the listing and the peek: nothing waits now.
                    info.oldestAge = failure.withLock { $0.reason } == nil ? 0 : nil
                }
            }
            out.append(info)
        }
        ages.forget(except: seen)
        return out
    }

    func browse(_ queue: String, offset: Int, limit: Int) async throws -> [WaitingMessage]? {
        let skip = max(0, offset)
        guard skip + limit <= RabbitMQManagementAPI.maxPeek else {
            throw DashboardError.badRequest("on RabbitMQ the first \(RabbitMQManagementAPI.maxPeek) waiting messages can be browsed")
        }
        guard let msgs = await managed({ try await $0.peek(queue, count: skip + limit) }) else { return nil }
        return msgs.enumerated().dropFirst(skip).map { $0.element.waiting(position: $0.offset) }
    }

    func deadLetters(_ queue: String, limit: Int) async throws -> [DeadLetter]? {
        guard let msgs = await managed({ try await $0.peek(RabbitMQDeadLetterMover.deadLetterQueue(queue), count: limit) }) else { return nil }
        return msgs.enumerated().map { $0.element.deadLetter(index: $0.offset) }
    }

    func requeueDeadLetters(_ queue: String, index: Int?) async throws -> Int {
        try await mover.requeue(queue: queue, index: index)
    }

    func deleteDeadLetters(_ queue: String, index: Int?) async throws -> Int {
        try await mover.delete(queue: queue, index: index)
    }

    func close() async {}
}
