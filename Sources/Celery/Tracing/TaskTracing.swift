import Tracing

/// Trace context through swift-distributed-tracing, the way opentelemetry-instrumentation-celery
/// does it in Python:
///
/// - a `PRODUCER` span `apply_async/<task name>` per published task message; the bootstrapped
///   instrument injects its context into the message **headers** (the protocol v2 headers,
///   beside `task` and `id`: `traceparent`/`tracestate` with a W3C propagator);
/// - a `CONSUMER` span `run/<task name>` per execution, child of the context extracted from the
///   same headers; it covers the body, the result write and the follow-ups (chain steps,
///   callbacks, retries), which are published as its children.
///
/// The library only carries the context: which tracer (and exporter) runs is the
/// application's choice (`InstrumentationSystem.bootstrap`). With none bootstrapped the spans
/// are no-ops.
public enum TaskTracing {
    /// `celery.action`: `apply_async` or `run`.
    public static let actionKey = "celery.action"
    /// `celery.task_name`.
    public static let taskNameKey = "celery.task_name"
    /// `celery.state`: the final state of a run.
    public static let stateKey = "celery.state"
    /// `celery.hostname`: the worker's name.
    public static let hostnameKey = "celery.hostname"
    /// `celery.retries` (set when not zero).
    public static let retriesKey = "celery.retries"
    /// `messaging.message.id`: the task id.
    public static let messageIdKey = "messaging.message.id"
    /// `messaging.destination`: the queue or exchange.
    public static let destinationKey = "messaging.destination"

    /// The context carried by message headers, if the instrument finds one there.
    public static func extract(from headers: [String: JSONValue]) -> ServiceContext {
        var context = ServiceContext.topLevel
        InstrumentationSystem.instrument.extract(headers, into: &context, using: MessageHeadersExtractor())
        return context
    }

    /// Writes `context` into message headers (the instrument chooses the keys).
    public static func inject(_ context: ServiceContext, into headers: inout [String: JSONValue]) {
        InstrumentationSystem.instrument.inject(context, into: &headers, using: MessageHeadersInjector())
    }

    /// Runs a publish of `message` inside its `apply_async/<task>` span, with the span's
    /// context injected into the headers of the message handed to `publish`. The parent is the
    /// current context, else the one the message already carries (a retry keeps its trace).
    static func publishing<T>(
        _ message: TaskMessage, to route: Route, _ publish: (TaskMessage) async throws -> T
    ) async throws -> T {
        let parent = ServiceContext.current ?? extract(from: message.extraHeaders)
        let span = startSpan("apply_async/\(message.task)", context: parent, ofKind: .producer)
        defer { span.end() }
        var m = message
        if span.isRecording {
            span.attributes[actionKey] = "apply_async"
            span.attributes[messageIdKey] = message.id
            span.attributes[taskNameKey] = message.task
            span.attributes[destinationKey] = route.name
        }
        inject(span.context, into: &m.extraHeaders)
        do {
            return try await publish(m)
        } catch {
            span.recordError(error)
            span.setStatus(SpanStatus(code: .error, message: "\(error)"))
            throw error
        }
    }

    /// Starts the `run/<task>` span of a delivered message.
    static func startRun(_ m: TaskMessage, route: Route, hostname: String) -> any Span {
        let span = startSpan("run/\(m.task)", context: extract(from: m.extraHeaders), ofKind: .consumer)
        if span.isRecording {
            span.attributes[actionKey] = "run"
            span.attributes[messageIdKey] = m.id
            span.attributes[taskNameKey] = m.task
            span.attributes[hostnameKey] = hostname
            span.attributes[destinationKey] = route.name
            if m.retries > 0 { span.attributes[retriesKey] = m.retries }
        }
        return span
    }
}

/// Writes trace headers as string values of the message headers.
struct MessageHeadersInjector: Injector {
    func inject(_ value: String, forKey key: String, into carrier: inout [String: JSONValue]) {
        carrier[key] = .string(value)
    }
}

/// Reads trace headers from the message headers (string values only).
struct MessageHeadersExtractor: Extractor {
    func extract(key: String, from carrier: [String: JSONValue]) -> String? {
        carrier[key]?.stringValue
    }
}

/// What a run reports its end to: the task's metrics and its execution span.
struct RunReport: Sendable {
    let metrics: TaskMetrics
    let span: any Span

    /// Counts the final state and records it on the span (`celery.state`; an error status for
    /// FAILURE).
    func ended(_ state: TaskState, error: (any Error)? = nil) {
        metrics.ended(state)
        guard span.isRecording else { return }
        span.attributes[TaskTracing.stateKey] = state.rawValue
        if let error {
            span.recordError(error)
            span.setStatus(SpanStatus(code: .error, message: "\(error)"))
        }
    }
}
