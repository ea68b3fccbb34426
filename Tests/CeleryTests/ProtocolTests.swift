import Foundation
import Testing

@testable import Celery

/// The literal message from REFERENCE.md (a Python Celery 5 `add.delay(2, 4)` on Redis).
let referenceHeaders: [String: JSONValue] = [
    "lang": "py", "task": "tasks.add", "id": "cb10a681-b522-4bf5-9b7a-bbe10edb7e82",
    "shadow": nil, "eta": nil, "expires": nil, "group": nil, "group_index": nil,
    "retries": 0, "timelimit": [nil, nil], "root_id": "cb10a681-b522-4bf5-9b7a-bbe10edb7e82",
    "parent_id": nil, "argsrepr": "(2, 4)", "kwargsrepr": "{}", "origin": "gen6132@vm",
    "ignore_result": false, "replaced_task_nesting": 0, "stamped_headers": nil, "stamps": [:],
]
let referenceBodyBase64 =
    "W1syLCA0XSwge30sIHsiY2FsbGJhY2tzIjogbnVsbCwgImVycmJhY2tzIjogbnVsbCwgImNoYWluIjogbnVsbCwgImNob3JkIjogbnVsbH1d"

@Suite struct ProtocolTests {
    @Test func decodesTheReferenceMessage() throws {
        let body = Array(Data(base64Encoded: referenceBodyBase64)!)
        let bm = BrokerMessage(
            body: body, headers: referenceHeaders, correlationId: "cb10a681-b522-4bf5-9b7a-bbe10edb7e82",
            replyTo: "ad80ffdd-916b-3430-98ca-c92f288d5496", deliveryMode: 2, priority: 0)
        let m = try TaskMessage(bm)
        #expect(m.task == "tasks.add")
        #expect(m.id == "cb10a681-b522-4bf5-9b7a-bbe10edb7e82")
        #expect(m.args == [2, 4])
        #expect(m.kwargs.isEmpty)
        #expect(m.embed == Embed())
        #expect(m.retries == 0)
        #expect(m.eta == nil && m.expires == nil)
        #expect(m.hardTimeLimit == nil && m.softTimeLimit == nil)
        #expect(m.rootId == m.id)
        #expect(m.argsrepr == "(2, 4)")
        #expect(m.origin == "gen6132@vm")
        #expect(m.replyTo == "ad80ffdd-916b-3430-98ca-c92f288d5496")
        #expect(m.extraHeaders.isEmpty)
    }

    @Test func encodesLikeCeleryFieldByField() throws {
        var m = TaskMessage(task: "tasks.add", id: "cb10a681-b522-4bf5-9b7a-bbe10edb7e82", args: [2, 4])
        m.origin = "gen6132@vm"
        let bm = try m.brokerMessage()
        for (k, v) in referenceHeaders {
            #expect(bm.headers[k] == v, "header \(k)")
        }
        #expect(Set(bm.headers.keys) == Set(referenceHeaders.keys))
        let expectedBody = try JSONCoding.parse(Data(base64Encoded: referenceBodyBase64)!)
        #expect(try JSONCoding.parse(bm.body) == expectedBody)
        #expect(bm.contentType == "application/json")
        #expect(bm.contentEncoding == "utf-8")
        #expect(bm.correlationId == m.id)
        #expect(bm.deliveryMode == 2)
    }

    @Test func roundTripsEveryFieldAndUnknownHeaders() throws {
        var m = TaskMessage(task: "tasks.echo", args: ["héllo", 1.5, nil, [1, 2]], kwargs: ["k": ["a": true]])
        m.eta = Date(timeIntervalSince1970: 1_700_000_000.25)
        m.expires = Date(timeIntervalSince1970: 1_700_000_100)
        m.group = "g1"
        m.groupIndex = 3
        m.retries = 2
        m.hardTimeLimit = 10
        m.softTimeLimit = 5
        m.parentId = "p"
        m.rootId = "r"
        m.shadow = "shadowed"
        m.ignoreResult = true
        m.priority = 7
        m.replyTo = "client"
        m.extraHeaders = ["x-custom": ["nested": [1, "two"]]]
        m.embed = Embed(callbacks: [Signature(task: "tasks.echo", args: [1], options: ["queue": "q"])], chain: [Signature(task: "tasks.add", args: [1], immutable: true)])
        let decoded = try TaskMessage(try m.brokerMessage())
        #expect(decoded == m)
    }

    @Test func timelimitOrderIsHardThenSoft() throws {
        var m = TaskMessage(task: "t", args: [])
        m.hardTimeLimit = 30
        m.softTimeLimit = 10
        #expect(try m.brokerMessage().headers["timelimit"] == [30.0, 10.0])
    }

    @Test func refusesBadMessagesWithClearErrors() throws {
        var good = try TaskMessage(task: "tasks.add", args: [1, 2]).brokerMessage()
        var wrongType = good
        wrongType.contentType = "application/x-python-serialize"
        #expect(throws: CeleryError.self) { try TaskMessage(wrongType) }
        do { _ = try TaskMessage(wrongType) } catch let e as CeleryError {
            #expect(e.message.contains("content type"))
        }
        var badBody = good
        badBody.body = Array("[[1,2], {}".utf8)
        #expect(throws: CeleryError.self) { try TaskMessage(badBody) }
        var wrongShape = good
        wrongShape.body = Array("{\"args\": [1]}".utf8)
        #expect(throws: CeleryError.self) { try TaskMessage(wrongShape) }
        var noTask = good
        noTask.headers["task"] = nil
        #expect(throws: CeleryError.self) { try TaskMessage(noTask) }
        var badEta = good
        badEta.headers["eta"] = "tomorrow"
        #expect(throws: CeleryError.self) { try TaskMessage(badEta) }
        good.decodeError = "bad base64"
        #expect(throws: CeleryError.self) { try TaskMessage(good) }
    }

    @Test func toleratesMissingOptionalHeaders() throws {
        let bm = BrokerMessage(body: Array("[[1], {}, null]".utf8), headers: ["task": "tasks.echo", "id": "abc"])
        let m = try TaskMessage(bm)
        #expect(m.args == [1])
        #expect(m.retries == 0)
        #expect(m.embed == Embed())
    }

    @Test(arguments: [
        ("2026-11-27T23:35:38.123456+00:00", 1_795_822_538.123456),
        ("2026-11-27T23:35:38Z", 1_795_822_538.0),
        ("2026-11-28T07:35:38+08:00", 1_795_822_538.0),
        ("2026-11-27T23:35:38", 1_795_822_538.0),
        ("2026-11-27T18:35:38.5-0500", 1_795_822_538.5),
    ])
    func parsesCeleryDates(text: String, epoch: Double) throws {
        let d = try #require(CeleryDate.parse(text))
        #expect(abs(d.timeIntervalSince1970 - epoch) < 0.000_01)
    }

    @Test func formatsDatesAsPythonIsoformat() {
        #expect(CeleryDate.format(Date(timeIntervalSince1970: 1_795_822_538.123456)) == "2026-11-27T23:35:38.123456+00:00")
        #expect(CeleryDate.parse("not a date") == nil)
        #expect(CeleryDate.parse("2026-13-01T00:00:00") == nil)
    }

    @Test func pythonReprMatchesCelery() {
        #expect(PythonRepr.args([2, 4]) == "(2, 4)")
        #expect(PythonRepr.args(["tick"]) == "('tick',)")
        #expect(PythonRepr.args([]) == "()")
        #expect(PythonRepr.kwargs(["job": "warm", "n": nil, "b": true]) == "{'b': True, 'job': 'warm', 'n': None}")
        #expect(PythonRepr.repr(2.0) == "2.0")
        #expect(PythonRepr.repr("it's") == "\"it's\"")
        #expect(PythonRepr.args([.string(String(repeating: "x", count: 2000))]).count == PythonRepr.maxLength)
    }

    @Test func connectionURLsParseAndMask() throws {
        let u = try ConnectionURL("redis://user:s%40cret@127.0.0.1:6380/2?visibility_timeout=30")
        #expect(u.scheme == "redis")
        #expect(u.user == "user" && u.password == "s@cret")
        #expect(u.host == "127.0.0.1" && u.port == 6380)
        #expect(u.path == "2")
        #expect(u.queryValue("visibility_timeout") == "30")
        #expect(u.masked == "redis://user:***@127.0.0.1:6380/2?visibility_timeout=30")
        #expect(ConnectionURL.mask("redis://:pw@h:1/0") == "redis://:***@h:1/0")
        let m = try ConnectionURL("mongodb://a:1,b:2/celery?replicaSet=rs0")
        #expect(m.hosts.map(\.host) == ["a", "b"])
        #expect(throws: CeleryError.self) { try ConnectionURL("redis://host:99999/0") }
        #expect(throws: CeleryError.self) { try ConnectionURL("not a url") }
        #expect(throws: CeleryError.self) { try ConnectionURL("redis://:pw@/0") }
    }

    @Test func unknownSchemeIsAClearError() async throws {
        await #expect(throws: CeleryError.self) { _ = try await TransportRegistry.broker(url: "kafka://:secret@h:1") }
        do { _ = try await TransportRegistry.broker(url: "kafka://:secret@h:1") } catch let e as CeleryError {
            #expect(e.kind == .badURL)
            #expect(!e.message.contains("secret"))
        }
    }

    @Test func taskMetaRoundTripsThroughCeleryJSON() throws {
        var meta = TaskMeta(taskId: "id1", status: .failure, result: TaskError(type: "ValueError", message: "bad", module: "builtins").exceptionInfo)
        meta.traceback = "Traceback"
        meta.dateDone = Date(timeIntervalSince1970: 1_795_822_538.5)
        meta.dateStarted = Date(timeIntervalSince1970: 1_795_822_537.5)
        meta.runtime = 1.0
        meta.name = "tasks.fail"
        meta.args = ["x"]
        meta.kwargs = [:]
        meta.worker = "celery@h"
        meta.retries = 1
        meta.queue = "celery"
        let back = try TaskMeta(celeryJSON: meta.celeryJSON(), taskId: "id1")
        #expect(back == meta)
        #expect(back.error?.type == "ValueError")
        #expect(back.error?.message == "bad")
        #expect(throws: CeleryError.self) { try TaskMeta(celeryJSON: ["result": 1], taskId: "x") }
    }

    @Test func readyStatesAreNeverReplacedByStaleOnes() {
        #expect(TaskMeta.mayReplace(nil, with: .started))
        #expect(TaskMeta.mayReplace(.started, with: .progress))
        #expect(TaskMeta.mayReplace(.progress, with: .success))
        #expect(!TaskMeta.mayReplace(.success, with: .started))
        #expect(!TaskMeta.mayReplace(.failure, with: .progress))
        #expect(!TaskMeta.mayReplace(.revoked, with: .retry))
        #expect(TaskMeta.mayReplace(.success, with: .success))
    }
}
