import Foundation
import Testing

@testable import Celery
import ExampleTasks
import CeleryTestSupport

/// Every kind of bad input is rejected with a reason, dead-lettered, stored as FAILURE when
/// it has an id, and the next message still runs.
@Suite struct BadInputTests {
    func taskMessage(_ task: String, args: [JSONValue], id: String = UUID().uuidString.lowercased()) throws -> BrokerMessage {
        try TaskMessage(task: task, id: id, args: args).brokerMessage()
    }

    /// Sends `bad`, then a good task; checks the good one runs, the bad one is dead-lettered
    /// with a reason containing `reason`, and (when it has an id) is stored as FAILURE of `type`.
    func check(_ bad: BrokerMessage, reason: String, type: String?, options: WorkerOptions? = nil) async throws {
        let h = Harness()
        let (w, t) = await h.startWorker(options ?? WorkerOptions(concurrency: 1, hostname: "w@t"))
        try await h.publishRaw(bad)
        let good = try await h.app.send(task: "tasks.add", args: [1, 2])
        #expect(try await good.get(timeout: .seconds(5)) == 3)
        let dead = h.broker.deadLetters(queue: "celery")
        #expect(dead.count == 1)
        #expect(dead.first?.reason.contains(reason) == true, "reason: \(dead.first?.reason ?? "none")")
        if let type, let id = bad.taskId {
            let meta = try await h.backend.meta(for: id)
            #expect(meta?.status == .failure)
            #expect(meta?.error?.type == type)
        }
        #expect(w.stats.rejected == 1)
        w.shutdown()
        try await t.value
    }

    @Test func undecodableEnvelope() async throws {
        try await check(.undecodable(raw: Array("{not json".utf8), reason: "envelope is not JSON"), reason: "envelope is not JSON", type: nil)
    }

    @Test func bodyIsNotJSON() async throws {
        var m = try taskMessage("tasks.add", args: [1, 2])
        m.body = Array("[[1, 2], {}, {\"callbacks\": nul".utf8)
        try await check(m, reason: "not valid JSON", type: "ContentDisallowed")
    }

    @Test func wrongContentType() async throws {
        var m = try taskMessage("tasks.add", args: [1, 2])
        m.contentType = "application/x-python-serialize"
        try await check(m, reason: "content type", type: "ContentDisallowed")
    }

    @Test func unknownTaskName() async throws {
        try await check(try taskMessage("tasks.nope", args: []), reason: "unknown task 'tasks.nope'", type: "NotRegistered")
    }

    @Test func oversizedPayload() async throws {
        let m = try taskMessage("tasks.echo", args: [.string(String(repeating: "x", count: 5000))])
        try await check(m, reason: "exceeds the limit", type: "ContentDisallowed", options: WorkerOptions(concurrency: 1, hostname: "w@t", maxMessageBytes: 1000))
    }

    @Test func poisonMessageIsDeadLetteredAfterMaxDeliveries() async throws {
        let h = Harness()
        let m = try taskMessage("tasks.add", args: [1, 2])
        try await h.publishRaw(m)
        // Three consumers each take the message and die without acking.
        for _ in 0..<3 {
            let c = try await h.broker.consume(.queue("celery"), options: ConsumeOptions(prefetch: 1))
            _ = try await c.next()
            await c.cancel()
        }
        let (w, t) = await h.startWorker(WorkerOptions(concurrency: 1, maxDeliveries: 3, hostname: "w@t"))
        #expect(try await eventually { h.broker.deadLetters(queue: "celery").count == 1 })
        #expect(h.broker.deadLetters(queue: "celery").first?.reason.contains("poison") == true)
        #expect(try await h.backend.meta(for: m.taskId!)?.error?.type == "PoisonMessage")
        w.shutdown()
        try await t.value
    }

    @Test(arguments: [
        ([JSONValue.string("a"), 2], "argument 'x': expected Number"),
        ([1], "missing required argument 'y'"),
        ([1, 2, 3], "takes 2 positional arguments but 3 were given"),
    ])
    func wrongArguments(args: [JSONValue], reason: String) async throws {
        let h = Harness()
        let (w, t) = await h.startWorker(WorkerOptions(concurrency: 1, hostname: "w@t"))
        let r = try await h.app.send(task: "tasks.add", args: args)
        let meta = try await r.wait(timeout: .seconds(5))
        #expect(meta.status == .failure)
        #expect(meta.error?.type == "TypeError")
        #expect(meta.error?.message.contains(reason) == true, "\(meta.error?.message ?? "")")
        #expect(try await h.app.send(task: "tasks.add", args: [1, 2]).get(timeout: .seconds(5)) == 3)
        w.shutdown()
        try await t.value
    }

    @Test func unexpectedKeywordArgument() async throws {
        let h = Harness()
        let (w, t) = await h.startWorker(WorkerOptions(concurrency: 1, hostname: "w@t"))
        let r = try await h.app.send(task: "tasks.add", args: [1], kwargs: ["z": 2])
        let meta = try await r.wait(timeout: .seconds(5))
        #expect(meta.error?.message.contains("unexpected keyword argument 'z'") == true)
        w.shutdown()
        try await t.value
    }

    @Test func malformedControlMessageIsIgnored() async throws {
        let h = Harness()
        let (w, t) = await h.startWorker(WorkerOptions(concurrency: 1, hostname: "w@t"))
        _ = try await h.broker.publish(BrokerMessage(body: Array("garbage".utf8)), to: .broadcast(ControlMessage.exchange))
        #expect(try await h.app.send(task: "tasks.add", args: [1, 2]).get(timeout: .seconds(5)) == 3)
        w.shutdown()
        try await t.value
    }
}
