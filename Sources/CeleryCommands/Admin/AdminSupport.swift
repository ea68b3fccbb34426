import ArgumentParser
import Celery
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging

/// Flags shared by every `celery-admin` subcommand.
public struct AdminOptions: ParsableArguments, Sendable {
    @OptionGroup public var connection: ConnectionOptions

    /// Machine-readable output.
    @Flag(name: .long, help: "Print JSON instead of tables.")
    public var json = false

    public init() {}

    /// Connects to the broker and backend (logging at the chosen level, to stderr).
    func connect() async throws -> Celery {
        CommandSupport.bootstrapLogging(connection.loglevel == "info" ? .warning : connection.level)
        do {
            return try await CommandSupport.connect(
                name: "celery-admin", broker: connection.brokerURL(), backend: connection.backendURL,
                logger: Logger(label: "celery.admin"), timeout: .seconds(5))
        } catch let e as CeleryError {
            throw AdminFailure(e.message, code: e.kind == .badURL ? 64 : 1)
        }
    }

    /// Prints a JSON value (pretty) or a text block.
    func emit(json value: JSONValue, text: @autoclosure () -> String) {
        if json { print(AdminJSON.pretty(value)) } else { print(text(), terminator: "") }
    }
}

/// A one-line failure with an exit code.
struct AdminFailure: Error, CustomStringConvertible {
    var message: String
    var code: Int32
    init(_ message: String, code: Int32 = 1) {
        self.message = message
        self.code = code
    }
    var description: String { message }
}

/// Runs a subcommand body, turning failures into one line on stderr and an exit code.
func adminRun(_ body: () async throws -> Void) async throws {
    do { try await body() } catch let f as AdminFailure {
        writeStandardError("celery-admin: \(f.message)\n")
        throw ExitCode(f.code)
    } catch let e as CeleryError {
        writeStandardError("celery-admin: \(e.message)\n")
        throw ExitCode(1)
    }
}

enum AdminJSON {
    static func pretty(_ v: JSONValue) -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return (try? String(decoding: e.encode(v), as: UTF8.self)) ?? v.description
    }

    /// Parses a JSON flag value; errors name the flag and where parsing failed.
    static func parse(_ text: String, flag: String) throws -> JSONValue {
        do { return try JSONCoding.parse(Array(text.utf8)) } catch {
            throw ValidationError("\(flag): invalid JSON (\(JSONLocator.locate(text)))")
        }
    }
}

/// Finds where a JSON text goes wrong, for error messages: `at character 7 ('x')`.
enum JSONLocator {
    static func locate(_ text: String) -> String {
        let u = Array(text.utf8)
        var i = 0
        func ws() { while i < u.count, [32, 9, 10, 13].contains(u[i]) { i += 1 } }
        func fail() -> String {
            if i >= u.count { return "unexpected end of input at character \(u.count + 1)" }
            return "unexpected '\(String(decoding: [u[i]], as: UTF8.self))' at character \(i + 1)"
        }
        func value() -> String? {
            ws()
            guard i < u.count else { return fail() }
            switch u[i] {
            case UInt8(ascii: "{"):
                i += 1; ws()
                if i < u.count, u[i] == UInt8(ascii: "}") { i += 1; return nil }
                while true {
                    ws()
                    guard i < u.count, u[i] == UInt8(ascii: "\"") else { return fail() }
                    if let e = string() { return e }
                    ws()
                    guard i < u.count, u[i] == UInt8(ascii: ":") else { return fail() }
                    i += 1
                    if let e = value() { return e }
                    ws()
                    guard i < u.count else { return fail() }
                    if u[i] == UInt8(ascii: ",") { i += 1; continue }
                    if u[i] == UInt8(ascii: "}") { i += 1; return nil }
                    return fail()
                }
            case UInt8(ascii: "["):
                i += 1; ws()
                if i < u.count, u[i] == UInt8(ascii: "]") { i += 1; return nil }
                while true {
                    if let e = value() { return e }
                    ws()
                    guard i < u.count else { return fail() }
                    if u[i] == UInt8(ascii: ",") { i += 1; continue }
                    if u[i] == UInt8(ascii: "]") { i += 1; return nil }
                    return fail()
                }
            case UInt8(ascii: "\""): return string()
            default:
                let start = i
                while i < u.count, !",]} \t\r\n".utf8.contains(u[i]) { i += 1 }
                let word = String(decoding: u[start..<i], as: UTF8.self)
                if ["true", "false", "null"].contains(word) || Double(word) != nil { return nil }
                i = start
                return "invalid value '\(word)' at character \(start + 1)"
            }
        }
        func string() -> String? {
            i += 1
            while i < u.count {
                if u[i] == UInt8(ascii: "\\") { i += 2; continue }
                if u[i] == UInt8(ascii: "\"") { i += 1; return nil }
                i += 1
            }
            return "unterminated string, end of input at character \(u.count + 1)"
        }
        if let e = value() { return e }
        ws()
        return i < u.count ? "trailing '\(String(decoding: [u[i]], as: UTF8.self))' at character \(i + 1)" : "invalid JSON"
    }
}

/// Parses `--since`: an ISO-8601 date, or a duration back from now (`30s`, `10m`, `2h`, `1d`).
enum TimeSpec {
    static func parse(_ s: String, now: Date = Date()) -> Date? {
        if let d = CeleryDate.parse(s) { return d }
        guard let unit = s.last, let n = Double(s.dropLast()), n >= 0 else { return nil }
        let factor: Double
        switch unit {
        case "s": factor = 1
        case "m": factor = 60
        case "h": factor = 3600
        case "d": factor = 86400
        default: return nil
        }
        return now.addingTimeInterval(-n * factor)
    }
}
