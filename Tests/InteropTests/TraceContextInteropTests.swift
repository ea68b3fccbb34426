import CeleryTestSupport
import Celery
import CeleryRedis
import ExampleTasks
import Foundation
import Testing
import Tracing

/// W3C trace context across Python and Swift: opentelemetry-instrumentation-celery on the Python
/// side (spans exported by the SDK), our `TaskTracing` with a recording tracer on ours.
@Suite(.serialized) struct TraceContextInteropTests {
    var redis: String? { Interop.env["CELERY_TEST_REDIS_URL"] }

    init() { RedisTransport.register() }

    /// An instrumented Python producer sends tasks.add; our worker's `run/tasks.add` span is a
    /// child of Python's `apply_async/tasks.add` span (same trace id, parent = its span id).
    @Test func pythonProducerTraceContinuesInOurWorker() async throws {
        guard Interop.available, let redis else { return }
        let tracer = TestTracing.tracer
        let q = Interop.unique("otel-py2swift")
        let app = try await Celery(name: "otel", broker: redis, backend: redis)
        defer { Task { try? await app.close() } }
        ExampleTasks.register(on: app)
        let worker = Worker(app: app, options: WorkerOptions(concurrency: 1, queues: [q], hostname: q + "@test", sendEvents: false))
        let run = Task { try await worker.run() }
        defer { run.cancel() }
        await worker.waitUntilStarted()

        let (status, out) = try await runCommand(
            Interop.python, [Interop.interopDir + "/otel_tasks.py", "send", q, "2", "3"],
            env: ["CELERY_BROKER_URL": redis, "CELERY_RESULT_BACKEND": redis], cwd: Interop.interopDir)
        let line = out.split(separator: "\n").last { $0.hasPrefix("{") }.map(String.init) ?? ""
        let sent = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] ?? [:]
        let (taskId, traceId, spanId) = (sent["task_id"] as? String ?? "", sent["trace_id"] as? String ?? "", sent["span_id"] as? String ?? "")
        try #require(status == 0 && !taskId.isEmpty && traceId.count == 32 && spanId.count == 16, "python producer: \(out)")

        #expect(try await app.result(id: taskId).get(timeout: .seconds(20)) == 5)
        var span: FinishedSpan?
        _ = await Observe.eventually {
            span = tracer.spans.first { $0.name == "run/tasks.add" && $0.attributes["messaging.message.id"] == taskId }
            return span != nil
        }
        let s = try #require(span, "no run/tasks.add span for \(taskId): \(tracer.spans.map(\.name))")
        #expect(s.context.traceId == traceId, "the worker's span continues Python's trace")
        #expect(s.parentSpanId == spanId, "its parent is Python's apply_async span")
        #expect(s.kind == .consumer)
        #expect(s.attributes["celery.action"] == "run")
        #expect(s.attributes["celery.task_name"] == "tasks.add")
        #expect(s.attributes["celery.state"] == "SUCCESS")

        worker.shutdown()
        try await run.value
    }

    /// Our client publishes inside a span; an instrumented Python worker's exported
    /// `run/tasks.add` span carries our trace id and has our `apply_async/tasks.add` span as
    /// parent.
    @Test func ourTraceContinuesInAPythonWorker() async throws {
        guard Interop.available, let redis else { return }
        let tracer = TestTracing.tracer
        let q = Interop.unique("otel-swift2py")
        let spansFile = NSTemporaryDirectory() + "otel-spans-\(UUID().uuidString.prefix(8)).jsonl"
        defer { try? FileManager.default.removeItem(atPath: spansFile) }
        let py = try Child(
            Interop.celery,
            ["-A", "otel_tasks", "worker", "-Q", q, "--pool", "solo", "-n", Interop.unique("otel") + "@%h", "-l", "info", "--without-gossip",
             "--without-mingle", "--without-heartbeat"],
            env: ["CELERY_BROKER_URL": redis, "CELERY_RESULT_BACKEND": redis, "OTEL_SPANS_FILE": spansFile], cwd: Interop.interopDir,
            name: "otel-pyworker")
        defer { py.killNow() }
        #expect(await py.waitFor(" ready."), "python worker did not start:\n\(py.output)")

        let app = try await Celery(name: "otel", broker: redis, backend: redis)
        defer { Task { try? await app.close() } }
        let (result, root) = try await withSpan("interop-request", context: .topLevel, ofKind: .server) { span in
            (try await app.send(task: "tasks.add", args: [20, 22], options: CallOptions(route: .queue(q))), span.context)
        }
        #expect(try await result.get(timeout: .seconds(30)) == 42, "\(py.output)")
        let rootContext = try #require(root[W3CSpanContextKey.self])
        let publish = try #require(tracer.spans.first { $0.name == "apply_async/tasks.add" && $0.attributes["messaging.message.id"] == result.id })
        #expect(publish.context.traceId == rootContext.traceId && publish.parentSpanId == rootContext.spanId)
        #expect(publish.kind == .producer)
        #expect(publish.attributes["celery.action"] == "apply_async")

        var exported: [String: Any]?
        _ = await Observe.eventually {
            let lines = ((try? String(contentsOfFile: spansFile, encoding: .utf8)) ?? "").split(separator: "\n")
            exported = lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }.first {
                $0["name"] as? String == "run/tasks.add" && ($0["attributes"] as? [String: Any])?["messaging.message.id"] as? String == result.id
            }
            return exported != nil
        }
        let e = try #require(exported, "python exported no run/tasks.add span:\n\(py.output)")
        #expect(e["trace_id"] as? String == rootContext.traceId, "Python's span continues our trace: \(e)")
        #expect(e["parent_span_id"] as? String == publish.context.spanId, "its parent is our apply_async span: \(e)")
        #expect(e["kind"] as? String == "CONSUMER")
    }
}
