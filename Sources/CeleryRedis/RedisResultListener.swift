import Celery
import Logging
import RESP

/// One shared pub/sub connection for every ``RedisResultBackend/waitForReady(_:timeout:)``
/// of a backend (as Celery's result consumer): a key's channel is subscribed while someone
/// waits on it, and a published ready meta wakes all its waiters.
actor RedisResultListener {
    private struct Waiter {
        var ready: [UInt8]?
        var continuation: CheckedContinuation<[UInt8]?, Never>?
    }

    private let configuration: RedisConfiguration
    private let connector: any RedisConnector
    private let logger: Logger
    private var subscriber: RedisSubscriber?
    private var pump: Task<Void, Never>?
    private var waiters: [String: [UInt64: Waiter]] = [:]
    private var nextToken: UInt64 = 0

    init(configuration: RedisConfiguration, connector: any RedisConnector, logger: Logger) {
        self.configuration = configuration
        self.connector = connector
        self.logger = logger
    }

    /// Registers interest in a key's channel (subscribing on first interest, confirmed by
    /// Redis before this returns); returns a token for ``wait(key:token:)`` and ``release``.
    func register(key: String) async throws -> UInt64 {
        nextToken += 1
        let token = nextToken
        let first = waiters[key] == nil
        waiters[key, default: [:]][token] = Waiter()
        if first {
            do {
                try await connected().subscribe([key])
            } catch {
                release(key: key, token: token)
                throw error
            }
        }
        return token
    }

    /// The next ready meta published for the key since ``register(key:)``; `nil` when the
    /// calling task is cancelled.
    func wait(key: String, token: UInt64) async -> [UInt8]? {
        if let r = waiters[key]?[token]?.ready { return r }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { c in
                if Task.isCancelled || waiters[key]?[token] == nil { c.resume(returning: nil); return }
                waiters[key]![token]!.continuation = c
            }
        } onCancel: {
            Task { await self.interrupt(key: key, token: token) }
        }
    }

    private func interrupt(key: String, token: UInt64) {
        let c = waiters[key]?[token]?.continuation
        waiters[key]?[token]?.continuation = nil
        c?.resume(returning: nil)
    }

    /// Drops a waiter; the channel is unsubscribed when nobody waits on it any more.
    func release(key: String, token: UInt64) {
        let c = waiters[key]?.removeValue(forKey: token)?.continuation
        c?.resume(returning: nil)
        if waiters[key]?.isEmpty == true {
            waiters[key] = nil
            if let s = subscriber { Task { try? await s.unsubscribe([key]) } }
        }
    }

    private func deliver(channel: String, payload: [UInt8]) {
        guard let tokens = waiters[channel]?.keys else { return }
        guard let meta = try? RedisResultBackend.decode(.bulkString(payload), taskId: ""), meta.status.isReady else { return }
        for t in tokens {
            waiters[channel]![t]!.ready = payload
            if let c = waiters[channel]![t]!.continuation {
                waiters[channel]![t]!.continuation = nil
                c.resume(returning: payload)
            }
        }
    }

    private func connected() async throws -> RedisSubscriber {
        if let s = subscriber { return s }
        let s = try await RedisSubscriber(configuration: configuration, connector: connector, logger: logger)
        subscriber = s
        pump = Task { [weak self] in
            for await m in s.messages { await self?.deliver(channel: m.channel, payload: m.payload) }
        }
        return s
    }

    /// Closes the connection; waiters return `nil`.
    func close() async {
        for (key, ws) in waiters { for t in ws.keys { release(key: key, token: t) } }
        pump?.cancel()
        await subscriber?.close()
        subscriber = nil
    }
}
