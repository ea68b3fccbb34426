import Celery
import Foundation
import Logging
import Synchronization

/// A UTC instant from ISO text (test helper; crashes the test on a typo).
func utc(_ s: String) -> Date {
    guard let d = CeleryDate.parse(s) else { fatalError("bad date literal \(s)") }
    return d
}

func zone(_ id: String) -> TimeZone {
    guard let z = TimeZone(identifier: id) else { fatalError("no zone \(id)") }
    return z
}

/// A broker that records every publish (optionally failing on demand).
final class RecordingBroker: Broker {
    struct Sent: Sendable {
        var message: BrokerMessage
        var route: Route
        var tick: String { message.headers["beat-tick"]?.stringValue ?? "" }
        var id: String { message.taskId ?? "" }
    }

    private let state = Mutex<(sent: [Sent], failing: Bool)>(([], false))
    var displayURL: String { "recording://" }
    var sent: [Sent] { state.withLock { $0.sent } }
    var ticks: [String] { sent.map(\.tick) }
    func setFailing(_ f: Bool) { state.withLock { $0.failing = f } }

    func publish(_ message: BrokerMessage, to route: Route) async throws -> PublishReceipt {
        try state.withLock {
            if $0.failing { throw CeleryError(.server, "recording broker told to fail") }
            $0.sent.append(Sent(message: message, route: route))
        }
        return PublishReceipt()
    }
    func consume(_ route: Route, options: ConsumeOptions) async throws -> any MessageConsumer {
        throw CeleryError(.invalidState, "not supported")
    }
    func purge(queue: String) async throws -> Int { 0 }
    func queueLength(_ queue: String) async throws -> Int { 0 }
    func close() async throws {}
}

/// An app over a recording broker; publish retries off so failures surface at once.
func recordingApp() -> (Celery, RecordingBroker) {
    let b = RecordingBroker()
    return (Celery(name: "beat-test", broker: b), b)
}

/// Drives a scheduler on a manual clock until the wall clock reaches `end` (or `maxWakes`).
func drive(_ s: BeatScheduler, _ clock: ManualBeatClock, until end: Date, maxWakes: Int = 1_000_000) async {
    var wakes = 0
    while wakes < maxWakes {
        let p = await s.wake()
        wakes += 1
        let next = clock.now().addingTimeInterval(p.seconds)
        if next > end {
            let rest = end.timeIntervalSince(clock.now())
            if rest > 0 { clock.advance(by: .seconds(double: rest)) }
            _ = await s.wake()
            return
        }
        clock.advance(by: p)
    }
}

/// A lease wrapper for tests: `kill()` makes the holder vanish (renewals fail, no release),
/// as a crashed process would.
final class KillableLease: BeatLease {
    let inner: any BeatLease
    private let dead = Mutex(false)
    init(_ inner: any BeatLease) { self.inner = inner }
    var displayName: String { "killable(\(inner.displayName))" }
    func kill() { dead.withLock { $0 = true } }
    func check() throws { if dead.withLock({ $0 }) { throw CeleryError(.connection, "process killed") } }
    func acquire(holder: String, ttl: Duration) async throws -> Bool { try check(); return try await inner.acquire(holder: holder, ttl: ttl) }
    func renew(holder: String, ttl: Duration) async throws -> Bool { try check(); return try await inner.renew(holder: holder, ttl: ttl) }
    func release(holder: String) async throws { try check(); try await inner.release(holder: holder) }
}

/// Whether tests that need a server must fail instead of returning early.
var inCI: Bool { ProcessInfo.processInfo.environment["CI"].map { !$0.isEmpty } ?? false }

/// A logger that drops everything (tests send thousands of ticks).
let quiet = Logger(label: "beat-test", factory: { _ in SwiftLogNoOpLogHandler() })
