import Celery
import Logging
import NIOCore
import NIOPosix
import RESP
import Synchronization

/// The connector of kombu's `sentinel://` URLs: every connection goes to the master that the
/// Redis Sentinels name for ``masterName``.
///
/// `sentinel://[:password@]host:26379[/db];sentinel://host2:26380?master_name=mymaster`
/// (the `master_name` query on any entry, kombu's `master_name` transport option; the URL's
/// password and database are the master's, `sentinel_password` the sentinels' own, kombu's
/// `sentinel_kwargs={'password': …}`).
///
/// - Each connect asks the sentinels in turn (a shared ``FailoverCycle``, so a dead sentinel
///   costs one attempt) with `SENTINEL get-master-addr-by-name`, connects there and checks
///   `ROLE` says `master` (a sentinel that has not seen a failover yet may name a replica).
/// - A background watcher subscribes to `+switch-master` on one sentinel; when the master of
///   ``masterName`` moves, every connection opened here is closed, so the pool, the consumers
///   and the subscribers reconnect (and ask the sentinels again) at once.
/// - A `READONLY` reply closes its connection too (``RedisConnection``), and a lost
///   connection reconnects through here: the three ways a failover shows all lead to the
///   new master.
final class RedisSentinel: RedisConnector {
    /// The name of the monitored master (`master_name`).
    let masterName: String
    /// The sentinels, in the order given.
    let sentinels: [RedisConfiguration]
    /// The master's settings (password, database, timeouts); host and port come from the sentinels.
    let master: RedisConfiguration
    /// The whole list with every password masked, and the master name.
    let displayURL: String
    private let logger: Logger
    private let cycle: RedisNodeCycle
    private struct State {
        var masterPeer: String?
        var opened: [RedisConnection] = []
        var watcher: Task<Void, Never>?
        var watchConnection: RedisConnection?
        var closed = false
        var switches = 0
    }
    private let state: Mutex<State>

    /// Builds the connector for a parsed `sentinel://` list; `master` holds the master's
    /// settings (from the first entry, as a `redis://` URL). Throws ``CeleryError``
    /// (`badURL`) without `master_name`.
    init(_ url: ConnectionURL, master: RedisConfiguration, logger: Logger) throws {
        guard let name = url.nodes.lazy.compactMap({ $0.queryValue("master_name") }).first, !name.isEmpty else {
            throw CeleryError(
                .badURL, "sentinel URL \(url.masked) needs the master's name: add ?master_name=<name> (kombu's master_name transport option)")
        }
        masterName = name
        self.master = master
        let sentinelPassword = url.nodes.lazy.compactMap { $0.queryValue("sentinel_password") }.first
        sentinels = try url.nodes.map { node in
            guard !node.host.isEmpty else { throw CeleryError(.badURL, "sentinel URL \(url.masked) has an entry without a host") }
            var c = RedisConfiguration(
                host: node.host, port: node.port ?? 26379, password: sentinelPassword,
                connectTimeout: min(master.connectTimeout, .seconds(2)), commandTimeout: .seconds(2))
            c.healthCheckInterval = master.healthCheckInterval
            return c
        }
        displayURL = "\(url.masked) (master \(name))"
        self.logger = logger
        cycle = try RedisNodeCycle(url)
        state = Mutex(State())
    }

    /// How many `+switch-master` announcements for this master the watcher has seen.
    var switchesSeen: Int { state.withLock { $0.switches } }

    func connect(group: any EventLoopGroup, logger: Logger) async throws -> RedisConnection {
        let (host, port) = try await discover(group: group, logger: logger)
        var config = master
        config.host = host
        config.port = port
        let c = try await RedisConnection.connect(config, group: group, logger: logger)
        let role: String?
        do { role = try await c.send(["ROLE"]).array?.first?.string } catch {
            await c.close()
            throw error
        }
        guard role == "master" else {
            await c.close()
            throw RESPError(
                .connection,
                "\(config.peer), named master of '\(masterName)' by the sentinels, is a \(role ?? "server of unknown role") (failover in progress?)")
        }
        let (announce, stale) = state.withLock { s -> (Bool, Bool) in
            if s.closed { return (false, true) }
            s.opened.removeAll { !$0.isActive }
            s.opened.append(c)
            defer { s.masterPeer = config.peer }
            return (s.masterPeer != config.peer, false)
        }
        if stale {
            await c.close()
            throw RESPError(.closed, "sentinel connector for \(displayURL) is closed")
        }
        if announce {
            self.logger.info("connected to the Redis master via Sentinel", metadata: ["redis": "\(config.maskedURL)", "sentinels": "\(displayURL)"])
        }
        startWatcher(group: group)
        return c
    }

    /// The master's address as the first sentinel that answers gives it.
    func discover(group: any EventLoopGroup, logger: Logger) async throws -> (host: String, port: Int) {
        let result = await cycle.attempt({ index in
            try await ask(sentinels[index], group: group, logger: logger)
        }, failed: { index, error in
            if sentinels.count > 1 { self.logger.warning("sentinel \(sentinels[index].peer) failed; asking the next: \(error)") }
        })
        switch result {
        case .success(let address): return address
        case .failure(let error):
            throw RESPError(.connection, "no sentinel of \(displayURL) gave the master's address; last error: \(error)")
        }
    }

    /// `SENTINEL get-master-addr-by-name` on one sentinel.
    private func ask(_ sentinel: RedisConfiguration, group: any EventLoopGroup, logger: Logger) async throws -> (host: String, port: Int) {
        let s = try await RedisConnection.connect(sentinel, group: group, logger: logger)
        let reply: RESPValue
        do { reply = try await s.send(["SENTINEL", "get-master-addr-by-name", RESPValue(masterName)]) } catch {
            await s.close()
            throw error
        }
        await s.close()
        guard let a = reply.array, a.count == 2, let host = a[0].string, let port = a[1].string.flatMap({ Int($0) }) else {
            throw RESPError(.server, "sentinel \(sentinel.peer) does not know a master named '\(masterName)'")
        }
        return (host, port)
    }

    /// Stops the watcher; connections already opened stay open (their owners close them).
    func close() async {
        let (watcher, watch) = state.withLock { s -> (Task<Void, Never>?, RedisConnection?) in
            s.closed = true
            defer { s.watcher = nil; s.watchConnection = nil }
            return (s.watcher, s.watchConnection)
        }
        watcher?.cancel()
        await watch?.close()
        await watcher?.value
    }

    // MARK: +switch-master

    private func startWatcher(group: any EventLoopGroup) {
        state.withLock { s in
            guard s.watcher == nil, !s.closed else { return }
            s.watcher = Task { [weak self] in await self?.watch(group: group) }
        }
    }

    /// Subscribes to `+switch-master` on one sentinel after another until closed.
    private func watch(group: any EventLoopGroup) async {
        var backoff = RedisBackoff(initial: .milliseconds(100), maximum: .seconds(2))
        while !Task.isCancelled {
            let index = cycle.currentIndex
            do {
                let c = try await RedisConnection.connect(sentinels[index], group: group, logger: logger)
                let closed = state.withLock { s -> Bool in
                    if !s.closed { s.watchConnection = c }
                    return s.closed
                }
                if closed {
                    await c.close()
                    return
                }
                try await c.subscribe(["+switch-master"])
                backoff.reset()
                for await m in c.pushes where m.isMessage {
                    await switched(String(decoding: m.payload, as: UTF8.self))
                }
            } catch {
                cycle.moveOn(from: index)
            }
            if state.withLock({ $0.closed }) { return }
            try? await Task.sleep(for: backoff.nextDelay())
        }
    }

    /// `<name> <old-ip> <old-port> <new-ip> <new-port>`: closes every connection opened here
    /// that is not to the new master, so its owner reconnects there.
    func switched(_ payload: String) async {
        let parts = payload.split(separator: " ").map(String.init)
        guard parts.count == 5, parts[0] == masterName, let port = Int(parts[4]) else { return }
        let new = RedisConfiguration(host: parts[3], port: port).peer
        let stale = state.withLock { s -> [RedisConnection] in
            s.switches += 1
            let (keep, drop) = (s.opened.filter { $0.isActive && $0.configuration.peer == new },
                                s.opened.filter { $0.isActive && $0.configuration.peer != new })
            s.opened = keep
            return drop
        }
        logger.warning(
            "Sentinel: master '\(masterName)' moved from \(parts[1]):\(parts[2]) to \(new); reconnecting \(stale.count) connections",
            metadata: ["sentinels": "\(displayURL)"])
        for c in stale { await c.close() }
    }
}
