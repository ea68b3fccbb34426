import Celery
import CeleryAllTransports
import CeleryCommands
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// The crash scenario's victim on server transports: a separate `celery-demo` process that
/// consumes, reports each processed message on stdout, and after `limit` messages stops
/// acknowledging and waits — holding its prefetched messages — until it is killed (SIGKILL).
enum DemoChild {
    /// Runs in the child process: `celery-demo --child-consume queue:NAME|broadcast:NAME …`.
    static func run(broker url: String, route spec: String, prefetch: Int, limit: Int, processingMs: Int) async throws {
        AllTransports.register()
        let route: Route
        if spec.hasPrefix("broadcast:") { route = .broadcast(String(spec.dropFirst(10))) } else { route = .queue(String(spec.drop { $0 != ":" }.dropFirst())) }
        let broker = try await TransportRegistry.broker(url: url)
        let c = try await broker.consume(route, options: ConsumeOptions(prefetch: prefetch))
        print("READY")
        fflush(nil)
        var done = 0
        while let d = try await c.next() {
            guard done < limit else {
                print("HOLDING")
                fflush(nil)
                try await Task.sleep(for: .seconds(3600))  // killed here, acknowledging nothing
                continue
            }
            if processingMs > 0 { try await Task.sleep(for: .milliseconds(processingMs)) }
            if let (seq, _) = DemoMessage.decode(d.message) { print("GOT \(seq)") }
            try await d.ack()
            done += 1
            fflush(nil)
        }
    }
}

/// A child process started by the demo, read line by line.
final class DemoProcess: Sendable {
    let process: ChildProcess

    init(arguments: [String]) throws {
        process = try ChildProcess(executable: Self.selfPath, arguments: arguments, stdout: .pipe, stderr: .discard)
    }

    /// This executable's path.
    static var selfPath: String {
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buf, buf.count - 1)
        return n > 0 ? String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : CommandLine.arguments[0]
    }

    /// Reads lines until `predicate` is satisfied by the lines so far (or the process ends or
    /// `timeout` passes); returns all lines read.
    func readUntil(timeout: Duration, _ predicate: @escaping @Sendable ([String]) -> Bool) async -> [String] {
        await process.readLines(timeout: timeout, until: predicate)
    }

    /// SIGKILL: no goodbye, no acknowledgements, connections dropped by the kernel.
    func kill() async {
        process.send(SIGKILL)
        _ = await process.waitForExit()
    }
}
