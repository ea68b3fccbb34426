import Foundation
import Synchronization
import Tracing

/// A W3C trace context: 16-byte trace id and 8-byte span id, as lower-case hex.
struct W3CSpanContext: Sendable, Equatable {
    var traceId: String
    var spanId: String

    /// Parses `00-<trace id>-<span id>-<flags>` (any version and flags; ids not all zero).
    init?(traceparent: String) {
        let parts = traceparent.lowercased().split(separator: "-")
        guard parts.count >= 4, parts[1].count == 32, parts[2].count == 16,
            parts[1].allSatisfy(\.isHexDigit), parts[2].allSatisfy(\.isHexDigit),
            parts[1].contains(where: { $0 != "0" }), parts[2].contains(where: { $0 != "0" })
        else { return nil }
        traceId = String(parts[1])
        spanId = String(parts[2])
    }

    init(traceId: String, spanId: String) {
        self.traceId = traceId
        self.spanId = spanId
    }

    var traceparent: String { "00-\(traceId)-\(spanId)-01" }

    static func randomHex(bytes: Int) -> String {
        (0..<bytes).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
    }
}

/// The span context a `ServiceContext` carries in these tests.
enum W3CSpanContextKey: ServiceContextKey {
    typealias Value = W3CSpanContext
}

/// A finished span as the recording tracer keeps it.
struct FinishedSpan: Sendable {
    var name: String
    var kind: SpanKind
    var context: W3CSpanContext
    var parentSpanId: String?
    var attributes: [String: String]
}

/// A small tracer of our own for the tests: W3C `traceparent`/`tracestate` propagation and
/// every finished span kept in memory. No exporter.
final class RecordingTracer: Tracer, Sendable {
    private let finished = Mutex<[FinishedSpan]>([])

    /// Spans ended so far.
    var spans: [FinishedSpan] { finished.withLock { $0 } }

    func record(_ s: FinishedSpan) { finished.withLock { $0.append(s) } }

    func startSpan<Instant: TracerInstant>(
        _ operationName: String, context: @autoclosure () -> ServiceContext, ofKind kind: SpanKind,
        at instant: @autoclosure () -> Instant, function: String, file fileID: String, line: UInt
    ) -> RecordedSpan {
        var ctx = context()
        let parent = ctx[W3CSpanContextKey.self]
        let own = W3CSpanContext(traceId: parent?.traceId ?? W3CSpanContext.randomHex(bytes: 16), spanId: W3CSpanContext.randomHex(bytes: 8))
        ctx[W3CSpanContextKey.self] = own
        return RecordedSpan(name: operationName, kind: kind, context: ctx, own: own, parentSpanId: parent?.spanId, tracer: self)
    }

    func activeSpan(identifiedBy context: ServiceContext) -> RecordedSpan? { nil }

    func forceFlush() {}

    func extract<Carrier, Extract>(_ carrier: Carrier, into context: inout ServiceContext, using extractor: Extract)
    where Extract: Extractor, Extract.Carrier == Carrier {
        if let tp = extractor.extract(key: "traceparent", from: carrier), let c = W3CSpanContext(traceparent: tp) {
            context[W3CSpanContextKey.self] = c
        }
    }

    func inject<Carrier, Inject>(_ context: ServiceContext, into carrier: inout Carrier, using injector: Inject)
    where Inject: Injector, Inject.Carrier == Carrier {
        guard let c = context[W3CSpanContextKey.self] else { return }
        injector.inject(c.traceparent, forKey: "traceparent", into: &carrier)
    }
}

/// A span of the recording tracer; reported to it when ended.
final class RecordedSpan: Span, Sendable {
    let context: ServiceContext
    private let own: W3CSpanContext
    private let kind: SpanKind
    private let parentSpanId: String?
    private let tracer: RecordingTracer
    private let state: Mutex<(name: String, attributes: SpanAttributes, ended: Bool)>

    init(name: String, kind: SpanKind, context: ServiceContext, own: W3CSpanContext, parentSpanId: String?, tracer: RecordingTracer) {
        self.context = context
        self.own = own
        self.kind = kind
        self.parentSpanId = parentSpanId
        self.tracer = tracer
        state = Mutex((name, [:], false))
    }

    var operationName: String {
        get { state.withLock { $0.name } }
        set { state.withLock { $0.name = newValue } }
    }

    var attributes: SpanAttributes {
        get { state.withLock { $0.attributes } }
        set { state.withLock { $0.attributes = newValue } }
    }

    var isRecording: Bool { state.withLock { !$0.ended } }

    func setStatus(_ status: SpanStatus) {}
    func addEvent(_ event: SpanEvent) {}
    func recordError<Instant: TracerInstant>(_ error: any Error, attributes: SpanAttributes, at instant: @autoclosure () -> Instant) {}
    func addLink(_ link: SpanLink) {}

    func end<Instant: TracerInstant>(at instant: @autoclosure () -> Instant) {
        let snapshot = state.withLock { s -> (String, SpanAttributes)? in
            if s.ended { return nil }
            s.ended = true
            return (s.name, s.attributes)
        }
        guard let (name, attrs) = snapshot else { return }
        var flat: [String: String] = [:]
        attrs.forEach { k, v in
            switch v {
            case .string(let s): flat[k] = s
            case .int64(let i): flat[k] = String(i)
            case .bool(let b): flat[k] = String(b)
            default: flat[k] = "\(v)"
            }
        }
        tracer.record(FinishedSpan(name: name, kind: kind, context: own, parentSpanId: parentSpanId, attributes: flat))
    }
}

/// The tracer bootstrapped once for the test process.
enum TestTracing {
    static let tracer: RecordingTracer = {
        let t = RecordingTracer()
        InstrumentationSystem.bootstrap(t)
        return t
    }()
}
