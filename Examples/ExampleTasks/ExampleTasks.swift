import Celery
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A JSON number that keeps integers integral: `2 + 4` is `6`, `2.5 + 1` is `3.5`.
public enum Number: Codable, Sendable, Hashable, JSONValueDecodable, JSONValueEncodable {
    case int(Int64)
    case double(Double)

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let i = try? c.decode(Int64.self) { self = .int(i); return }
        if let d = try? c.decode(Double.self) { self = .double(d); return }
        throw DecodingError.typeMismatch(Number.self, .init(codingPath: decoder.codingPath, debugDescription: "expected a number"))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .int(let i): try c.encode(i)
        case .double(let d): try c.encode(d)
        }
    }

    /// Reads an integer or a double (what `init(from:)` accepts) without `JSONDecoder`.
    public init(jsonValue: JSONValue) throws {
        switch jsonValue {
        case .int(let i): self = .int(i)
        case .double(let d): self = .double(d)
        default:
            throw DecodingError.typeMismatch(Number.self, .init(codingPath: [], debugDescription: "expected a number, got \(jsonValue)"))
        }
    }

    /// The number as JSON.
    public var jsonValue: JSONValue {
        switch self {
        case .int(let i): return .int(i)
        case .double(let d): return .double(d)
        }
    }

    /// The value as a double.
    public var double: Double {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        }
    }

    static func combine(_ a: Number, _ b: Number, _ i: (Int64, Int64) -> (Int64, Bool), _ d: (Double, Double) -> Double) -> Number {
        if case .int(let x) = a, case .int(let y) = b {
            let (r, overflow) = i(x, y)
            if !overflow { return .int(r) }
        }
        return .double(d(a.double, b.double))
    }

    public static func + (a: Number, b: Number) -> Number { combine(a, b, { $0.addingReportingOverflow($1) }, +) }
    public static func * (a: Number, b: Number) -> Number { combine(a, b, { $0.multipliedReportingOverflow(by: $1) }, *) }
}

/// The bundled example tasks (names are part of the command-line contract).
public enum ExampleTasks {
    /// Registers `tasks.add`, `tasks.mul`, `tasks.xsum`, `tasks.echo`, `tasks.sleep`,
    /// `tasks.fail`, `tasks.progress` and `tasks.flaky` on an app.
    public static func register(on app: Celery) {
        app.task("tasks.add", options: TaskOptions(parameterNames: ["x", "y"])) { (_, x: Number, y: Number) in x + y }
        app.task("tasks.mul", options: TaskOptions(parameterNames: ["x", "y"])) { (_, x: Number, y: Number) in x * y }
        app.task("tasks.xsum", options: TaskOptions(parameterNames: ["numbers"])) { (_, numbers: [Number]) in
            numbers.reduce(Number.int(0), +)
        }
        app.task("tasks.echo", options: TaskOptions(parameterNames: ["value"])) { (_, value: JSONValue) in value }
        app.task("tasks.sleep", options: TaskOptions(parameterNames: ["seconds"])) { (_, seconds: Number) in
            try await Task.sleep(for: .seconds(double: max(0, seconds.double)))
            return seconds
        }
        app.task("tasks.fail", options: TaskOptions(parameterNames: ["message"])) { (_, message: String) -> JSONValue in
            throw TaskFailure(type: "RuntimeError", module: "builtins", message: message)
        }
        app.task("tasks.progress", options: TaskOptions(parameterNames: ["steps", "delay"])) { (ctx, steps: Int, delay: Double?) in
            for i in 1...max(1, steps) {
                try await ctx.progress(current: i, total: steps)
                try await Task.sleep(for: .seconds(double: delay ?? 0.05))
            }
            return steps
        }
        // Fails `failures` times, then succeeds: retries with exponential backoff and jitter.
        app.task(
            "tasks.flaky",
            options: TaskOptions(
                retryPolicy: RetryPolicy(maxRetries: 10, initialDelay: .milliseconds(100), multiplier: 2, maxDelay: .seconds(5)),
                parameterNames: ["failures"])
        ) { (ctx, failures: Int) -> String in
            if ctx.retries < failures {
                throw TaskFailure(type: "ConnectionError", module: "builtins", message: "flaky failure \(ctx.retries + 1) of \(failures)")
            }
            return "ok"
        }
    }
}
