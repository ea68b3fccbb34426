/// A task as the worker sees it: a name, options and a body over JSON arguments.
public struct RegisteredTask: Sendable {
    /// The task name (`tasks.add`).
    public let name: String
    /// Registration options.
    public let options: TaskOptions
    /// Runs the task: decodes arguments, calls the body, encodes the result.
    public let run: @Sendable (TaskContext, [JSONValue], [String: JSONValue]) async throws -> JSONValue

    public init(
        name: String, options: TaskOptions = TaskOptions(),
        run: @escaping @Sendable (TaskContext, [JSONValue], [String: JSONValue]) async throws -> JSONValue
    ) {
        self.name = name
        self.options = options
        self.run = run
    }
}

/// Decodes positional (and, with parameter names, keyword) arguments into typed values.
struct ArgumentReader {
    let task: String
    let args: [JSONValue]
    let kwargs: [String: JSONValue]
    let names: [String]?
    let count: Int
    var index = 0

    init(task: String, args: [JSONValue], kwargs: [String: JSONValue], names: [String]?, count: Int) throws {
        self.task = task
        self.args = args
        self.kwargs = kwargs
        self.names = names
        self.count = count
        if args.count > count {
            throw CeleryError(
                .badArguments, "\(task)() takes \(count) positional argument\(count == 1 ? "" : "s") but \(args.count) were given")
        }
        let known = Set(names ?? [])
        if let bad = kwargs.keys.sorted().first(where: { !known.contains($0) }) {
            throw CeleryError(.badArguments, "\(task)() got an unexpected keyword argument '\(bad)'")
        }
        if let names {
            for (i, n) in names.enumerated() where i < args.count && kwargs[n] != nil {
                throw CeleryError(.badArguments, "\(task)() got multiple values for argument '\(n)'")
            }
        }
    }

    mutating func next<T: Decodable>(_ type: T.Type) throws -> T {
        defer { index += 1 }
        let name = names.flatMap { index < $0.count ? $0[index] : nil }
        let value: JSONValue
        if index < args.count {
            value = args[index]
        } else if let name, let v = kwargs[name] {
            value = v
        } else if let opt = type as? any OptionalDecodable.Type {
            return opt.noneValue as! T
        } else {
            let label = name.map { "'\($0)'" } ?? "\(index + 1)"
            throw CeleryError(.badArguments, "\(task)() missing required argument \(label)")
        }
        do {
            return try JSONCoding.convert(value, to: T.self)
        } catch {
            let label = name.map { "'\($0)'" } ?? "\(index + 1)"
            throw CeleryError(.badArguments, "\(task)() argument \(label): expected \(T.self), got \(PythonRepr.repr(value))")
        }
    }
}

/// Lets missing trailing arguments decode as `nil` for optional parameters.
protocol OptionalDecodable { static var noneValue: Self { get } }
extension Optional: OptionalDecodable { static var noneValue: Self { .none } }
