import Foundation
import Testing

@testable import Celery
import ExampleTasks
import CeleryTestSupport

/// The canvas on the embedded transport: what is sent (frozen ids, reversed chains, group
/// headers) and what a worker does with it (children, chain failure, errbacks, chord_unlock).
@Suite struct CanvasTests {
    let h = Harness()
    var add: TaskHandle<Int, Int, Int> { TaskHandle(name: "tasks.add", app: h.app) }
    var mul: TaskHandle<Int, Int, Int> { TaskHandle(name: "tasks.mul", app: h.app) }
    var xsum: TaskHandle<[Int], Int> { TaskHandle(name: "tasks.xsum", app: h.app) }
    var echo: TaskHandle<JSONValue, JSONValue> { TaskHandle(name: "tasks.echo", app: h.app) }

    /// The first message of a chain carries the rest reversed, each step with its frozen id.
    @Test func chainMessageCarriesTheRestReversedWithFrozenIds() async throws {
        var p = CanvasPublisher(app: h.app)
        let c = try add.s(2, 2) | mul.partial(4) | add.partial(1)
        let r = try await p.apply(c)
        let d = try #require(try await h.broker.consume(.queue("celery"), options: ConsumeOptions(prefetch: 1)).next())
        let m = try TaskMessage(d.message)
        #expect(m.task == "tasks.add")
        #expect(m.args == [2, 2])
        let rest = try #require(m.embed.chain)
        #expect(rest.map(\.task) == ["tasks.add", "tasks.mul"])
        #expect(rest[0].taskId == r.id, "the chain's result is its last step, the first element of the reversed rest")
        #expect(r.parent?.id == rest[1].taskId)
        #expect(r.parent?.parent?.id == m.id)
    }

    @Test func chainRunsWithParentsRootAndChildren() async throws {
        let (w, t) = await h.startWorker()
        let r = try await h.app.apply(try add.s(2, 2) | mul.partial(4) | add.partial(1))
        #expect(try await r.get(as: Int.self, timeout: .seconds(10)) == 17)
        let first = try #require(r.parent?.parent)
        #expect(try await first.get(as: Int.self) == 4)
        let kids = try await first.children()
        #expect(kids.map(\.id) == [try #require(r.parent).id], "the next step's id is in the first step's children")
        let last = try #require(try await h.backend.meta(for: r.id))
        #expect(last.parentId == r.parent?.id)
        w.shutdown()
        try await t.value
    }

    @Test func groupKeepsOrderAndGroupIds() async throws {
        let (w, t) = await h.startWorker()
        let r = try await h.app.apply(Signature.group(try (0..<6).map { try add.s($0, $0) }))
        let g = try #require(r.group)
        #expect(try await g.get(timeout: .seconds(10)) == [0, 2, 4, 6, 8, 10])
        #expect(try await g.completedCount() == 6)
        #expect(try await g.ready())
        #expect(try await !g.failed())
        for (i, id) in g.taskIds.enumerated() {
            let meta = try #require(try await h.backend.meta(for: id))
            #expect(meta.groupId == g.id, "member \(i) stored with its group id")
        }
        try await g.save()
        let restored = try #require(try await GroupResult.restore(id: g.id, app: h.app))
        #expect(restored.taskIds == g.taskIds)
        w.shutdown()
        try await t.value
    }

    /// A backend without a native join gets `celery.chord_unlock`, which waits for the header.
    @Test func chordThroughChordUnlock() async throws {
        let (w, t) = await h.startWorker(WorkerOptions(concurrency: 4, hostname: "w1@test"))
        let header = try (1...4).map { try add.s($0, $0) }
        let r = try await h.app.apply(Signature.chord(header, xsum.partial()))
        #expect(try await r.get(as: Int.self, timeout: .seconds(15)) == 20)
        #expect(r.parent?.group?.taskIds.count == 4, "the chord's result knows its header")
        w.shutdown()
        try await t.value
    }

    @Test func failedChordMemberGivesChordError() async throws {
        let (w, t) = await h.startWorker(WorkerOptions(concurrency: 4, hostname: "w1@test"))
        let fail = Signature(task: "tasks.fail", args: ["boom"], immutable: true)
        let r = try await h.app.apply(Signature.chord([try add.s(1, 1), fail], xsum.partial()))
        do {
            _ = try await r.get(timeout: .seconds(15))
            Issue.record("expected the member's failure")
        } catch let e as TaskError {
            #expect(e.type == "RuntimeError", "get() follows the parents, as Celery's does")
        }
        do {
            _ = try await h.app.result(id: r.id).get(timeout: .seconds(5))
            Issue.record("expected ChordError")
        } catch let e as TaskError {
            #expect(e.type == "ChordError")
            #expect(e.module == "celery.exceptions")
            #expect(e.message == "RuntimeError('boom')", "chord_unlock's message, as Celery's: \(e.message)")
        }
        w.shutdown()
        try await t.value
    }

    @Test func failedStepFailsTheRestAndSendsErrbacks() async throws {
        let (w, t) = await h.startWorker()
        let errbackId = UUID().uuidString.lowercased()
        let fail = Signature(task: "tasks.fail", args: ["boom"], immutable: true)
        let c = (try add.s(1, 1) | fail | add.partial(1)).linkError(echo.partial().with(id: errbackId))
        let r = try await h.app.apply(c)
        let last = try await r.task().wait(timeout: .seconds(10))
        #expect(last.status == .failure, "the step after the failed one is FAILURE too")
        #expect(last.error?.type == "RuntimeError")
        let failedId = try #require(r.parent?.id)
        let eb = try await h.app.result(id: errbackId).get(timeout: .seconds(10))
        #expect(eb == .string(failedId), "errbacks get the failed task's id first")
        w.shutdown()
        try await t.value
    }

    @Test func linkCallbackIsAChild() async throws {
        let (w, t) = await h.startWorker()
        let cbId = UUID().uuidString.lowercased()
        let r = try await h.app.apply(try add.s(2, 2).link(mul.partial(10).with(id: cbId)))
        #expect(try await h.app.result(id: cbId, as: Int.self).get(timeout: .seconds(10)) == 40)
        // As in Celery, callbacks are sent before the parent's result (with its children) is
        // stored, so the callback may finish first: wait for the parent's record.
        #expect(try await eventually(.seconds(5)) { try await r.children().map(\.id) == [cbId] })
        w.shutdown()
        try await t.value
    }

    @Test func mapStarmapChunksAndAccumulate() async throws {
        let (w, t) = await h.startWorker()
        let sm = try await h.app.apply(add.starmap([[2, 2], [4, 4]]))
        #expect(try await sm.get(timeout: .seconds(10)) == [4, 8])
        let mp = try await h.app.apply(xsum.map([[1, 2], [3, 4, 5]]))
        #expect(try await mp.get(timeout: .seconds(10)) == [3, 12])
        let ch = try await h.app.apply(add.chunks((0..<7).map { [.int(Int64($0)), .int(Int64($0))] }, 3))
        #expect(try await ch.get(timeout: .seconds(10)) == [[0, 2, 4], [6, 8, 10], [12]])
        let acc = try await h.app.send(task: "celery.accumulate", args: [1, 2, 3], kwargs: ["index": 1])
        #expect(try await acc.get(timeout: .seconds(10)) == 2)
        w.shutdown()
        try await t.value
    }

    @Test func kombuTypesDecodeAndEncode() throws {
        let d = try JSONCoding.convert(["__type__": "datetime", "__value__": "2026-01-02T03:04:05+00:00"], to: Date.self)
        #expect(d == Date(timeIntervalSince1970: 1_767_323_045))
        #expect(try JSONCoding.value(of: d) == ["__type__": "datetime", "__value__": "2026-01-02T03:04:05.000000+00:00"])
        let u = try JSONCoding.convert(["__type__": "uuid", "__value__": ["hex": "12345678123456781234567812345678"]], to: UUID.self)
        #expect(u.uuidString.lowercased() == "12345678-1234-5678-1234-567812345678")
        #expect(try JSONCoding.value(of: u) == ["__type__": "uuid", "__value__": ["hex": "12345678123456781234567812345678"]])
        let dec = try JSONCoding.convert(["__type__": "decimal", "__value__": "1.25"], to: Decimal.self)
        #expect(dec == Decimal(string: "1.25"))
        let b = try JSONCoding.convert(["__type__": "bytes", "__value__": "hi"], to: Data.self)
        #expect(b == Data("hi".utf8))
        #expect(try JSONCoding.value(of: Data([0xff])) == ["__type__": "base64", "__value__": "/w=="])
        #expect(throws: (any Error).self) { try JSONCoding.convert(["__type__": "uuid", "__value__": "nope"], to: UUID.self) }
    }
}
