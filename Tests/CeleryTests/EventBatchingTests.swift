import Foundation
import Testing

@testable import Celery

/// Task events batched as Celery's worker batches them (`task.multi`, a JSON list of up to 24
/// events), worker events single, order kept; and receivers that unpack both forms.
struct EventBatchingTests {
    func write(_ type: String, _ n: Int) -> (inout [UInt8]) -> Void {
        { out in out.append(contentsOf: #"{"type":"\#(type)","n":\#(n)}"#.utf8) }
    }

    func decode(_ m: EventBatcher.Outgoing) throws -> [[String: JSONValue]] {
        EventDispatcher.events(in: BrokerMessage(body: m.body))
    }

    @Test func taskEventsGoOutAsOneListPerLimit() throws {
        var b = EventBatcher(limit: 3, bufferLimit: 100)
        for i in 0..<7 { #expect(b.add("task-started", write: write("task-started", i)) == 0) }
        // Two batches are full and sealed; the seventh event waits in the open batch.
        #expect(b.sealed.count == 2 && b.openCount == 1 && b.waiting == 7)
        let out = b.take(max: 10)
        #expect(out.map(\.routingKey) == ["task.multi", "task.multi", "task.multi"])
        #expect(out.map(\.events) == [3, 3, 1])
        #expect(try out.flatMap(decode).map { $0["n"]?.intValue } == (0..<7).map { Int64($0) })
        // A list even for one event, as Celery's flush sends it.
        #expect(out[2].body.first == UInt8(ascii: "[") && out[2].body.last == UInt8(ascii: "]"))
        #expect(b.isEmpty && b.take(max: 10).isEmpty)
    }

    @Test func workerEventsStaySingleAndCloseTheOpenBatchFirst() throws {
        var b = EventBatcher(limit: 24, bufferLimit: 100)
        _ = b.add("task-received", write: write("task-received", 0))
        _ = b.add("task-started", write: write("task-started", 1))
        _ = b.add("worker-heartbeat", write: write("worker-heartbeat", 2))
        _ = b.add("task-succeeded", write: write("task-succeeded", 3))
        let out = b.take(max: 10)
        #expect(out.map(\.routingKey) == ["task.multi", "worker.heartbeat", "task.multi"])
        #expect(out[1].body.first == UInt8(ascii: "{"))
        #expect(try out.flatMap(decode).map { $0["n"]?.intValue } == [0, 1, 2, 3])
    }

    @Test func limitOneSendsEveryEventAlone() throws {
        var b = EventBatcher(limit: 1, bufferLimit: 100)
        _ = b.add("task-received", write: write("task-received", 0))
        _ = b.add("task-succeeded", write: write("task-succeeded", 1))
        let out = b.take(max: 10)
        #expect(out.map(\.routingKey) == ["task.received", "task.succeeded"])
        #expect(out.allSatisfy { $0.body.first == UInt8(ascii: "{") && $0.events == 1 })
    }

    @Test func takeHandsOutAtMostMaxOldestFirst() throws {
        var b = EventBatcher(limit: 2, bufferLimit: 100)
        for i in 0..<9 { _ = b.add("task-started", write: write("task-started", i)) }
        let first = b.take(max: 2)
        #expect(first.map(\.events) == [2, 2] && b.waiting == 5)
        #expect(try first.flatMap(decode).map { $0["n"]?.intValue } == [0, 1, 2, 3])
        #expect(b.take(max: 10).map(\.events) == [2, 2, 1])
    }

    @Test func beyondTheBufferLimitTheOldestAreDroppedAndCounted() throws {
        var b = EventBatcher(limit: 4, bufferLimit: 10)
        var dropped = 0
        for i in 0..<30 { dropped += b.add("task-started", write: write("task-started", i)) }
        #expect(b.waiting <= 10 && dropped == b.dropped && dropped == 30 - b.waiting)
        let kept = try b.take(max: 100).flatMap(decode).compactMap { $0["n"]?.intValue }
        #expect(kept == Array(Int64(30 - kept.count)..<30), "the newest are kept, in order")
    }

    @Test func standardKeysAreRecognisedExactly() {
        for k in ["type", "hostname", "timestamp", "utcoffset", "pid", "clock"] { #expect(EventDispatcher.isStandardKey(k), "\(k)") }
        for k in ["uuid", "types", "Type", "tyPe", "traceback", "utcoffsex", "pia", "clocks", "host", "", "timestamP", "parent_id"] {
            #expect(!EventDispatcher.isStandardKey(k), "\(k)")
        }
    }

    @Test func receiversUnpackObjectsAndLists() {
        let one = BrokerMessage(body: Array(#"{"type":"worker-online","hostname":"w"}"#.utf8))
        #expect(EventDispatcher.events(in: one).map { $0["type"] } == ["worker-online"])
        let many = BrokerMessage(body: Array(#"[{"type":"task-received","uuid":"a"},7,{"no":"type"},{"type":"task-started","uuid":"a"}]"#.utf8))
        #expect(EventDispatcher.events(in: many).map { $0["type"] } == ["task-received", "task-started"])
        #expect(EventDispatcher.events(in: BrokerMessage(body: Array("[".utf8))).isEmpty)
        #expect(EventDispatcher.events(in: BrokerMessage(body: Array(#"{"uuid":"a"}"#.utf8))).isEmpty)
        #expect(EventDispatcher.events(in: BrokerMessage(body: Array("[]".utf8))).isEmpty)
    }

    /// Collects event messages from `celeryev` until `done` says enough or 5 s pass.
    func collect(_ sub: any MessageConsumer, until done: ([[String: JSONValue]]) -> Bool) async throws -> [(key: String, events: [[String: JSONValue]])] {
        var got: [(key: String, events: [[String: JSONValue]])] = []
        let deadline = ContinuousClock.now + .seconds(5)
        while !done(got.flatMap(\.events)), ContinuousClock.now < deadline {
            guard let d = try await sub.next(within: .milliseconds(200)) else { continue }
            got.append((d.message.extraProperties["routing_key"]?.stringValue ?? "", EventDispatcher.events(in: d.message)))
        }
        return got
    }

    @Test(arguments: [EventDispatcher.defaultBatchSize, 1])
    func workerSendsEachTasksEventsInOrder(batch: Int) async throws {
        let h = Harness()
        let sub = try await h.broker.consume(.broadcast(EventDispatcher.channel), options: ConsumeOptions())
        var o = WorkerOptions(concurrency: 4, hostname: "ev@test")
        o.eventsBatchSize = batch
        let (w, t) = await h.startWorker(o)
        let n = 60
        let results = try await withThrowingTaskGroup(of: AsyncResult<JSONValue>.self) { g in
            for i in 0..<n { g.addTask { try await h.app.send(task: "tasks.add", args: [.int(Int64(i)), 1]) } }
            return try await g.reduce(into: [AsyncResult<JSONValue>]()) { $0.append($1) }
        }
        for r in results { _ = try await r.get(timeout: .seconds(5)) }
        let got = try await collect(sub) { $0.filter { $0["type"] == "task-succeeded" }.count >= n }
        let events = got.flatMap(\.events)
        // Every task: received, started, succeeded, in that order, each once.
        var byTask: [String: [String]] = [:]
        for e in events where e["type"]?.stringValue?.hasPrefix("task-") == true {
            byTask[e["uuid"]?.stringValue ?? "?", default: []].append(e["type"]!.stringValue!)
        }
        #expect(byTask.count == n)
        #expect(byTask.values.allSatisfy { $0 == ["task-received", "task-started", "task-succeeded"] }, "\(byTask)")
        // The wire order is the clock order.
        let clocks = events.compactMap { $0["clock"]?.intValue }
        #expect(clocks.count == events.count && clocks == clocks.sorted() && Set(clocks).count == clocks.count)
        #expect(events.allSatisfy { $0["hostname"] == "ev@test" })
        let taskMessages = got.filter { $0.events.contains { $0["type"]?.stringValue?.hasPrefix("task-") == true } }
        if batch > 1 {
            #expect(taskMessages.allSatisfy { $0.key == "task.multi" && $0.events.count <= batch })
            #expect(taskMessages.count < 3 * n, "batched: fewer messages than events (\(taskMessages.count))")
            #expect(got.filter { $0.key.hasPrefix("worker.") }.allSatisfy { $0.events.count == 1 })
        } else {
            #expect(taskMessages.count == 3 * n && taskMessages.allSatisfy { $0.events.count == 1 && $0.key.hasPrefix("task.") && $0.key != "task.multi" })
        }
        let counts = try #require(w.events?.published)
        #expect(counts.events >= 3 * n && (batch == 1 ? counts.messages == counts.events : counts.messages < counts.events))
        w.shutdown()
        try await t.value
        await sub.cancel()
    }

    /// One task on an idle worker: its events leave without waiting for a full batch.
    @Test func anIdleWorkersEventsAreNotHeldBack() async throws {
        let h = Harness()
        let sub = try await h.broker.consume(.broadcast(EventDispatcher.channel), options: ConsumeOptions())
        let (w, t) = await h.startWorker()
        _ = try await h.app.send(task: "tasks.add", args: [1, 2]).get(timeout: .seconds(5))
        let got = try await collect(sub) { $0.contains { $0["type"] == "task-succeeded" } }
        #expect(got.flatMap(\.events).contains { $0["type"] == "task-succeeded" })
        w.shutdown()
        try await t.value
        await sub.cancel()
    }
}
