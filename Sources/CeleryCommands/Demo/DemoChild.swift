import Celery
import Foundation

/// The crash scenario's victim on server transports: a separate `celery-demo` process that
/// consumes, reports each processed message on stdout, and after `limit` messages stops
/// acknowledging and waits — holding its prefetched messages — until it is killed (SIGKILL).
enum DemoChild {
    /// Runs in the child process: `celery-demo --child-consume queue:NAME|broadcast:NAME …`.
    static func run(broker url: String, route spec: String, prefetch: Int, limit: Int, processingMs: Int) async throws {
        CommandSupport.registerTransports()
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
    let process: Process
    let pipe: Pipe

    init(arguments: [String]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.selfPath)
        p.arguments = arguments
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = FileHandle.nullDevice
        try p.run()
        process = p
        self.pipe = pipe
    }

    /// This executable's path.
    static var selfPath: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    /// Reads lines until `predicate` is satisfied by the lines so far (or the process ends or
    /// `timeout` passes); returns all lines read.
    func readUntil(timeout: Duration, _ predicate: @escaping @Sendable ([String]) -> Bool) async -> [String] {
        let handle = pipe.fileHandleForReading
        return await withCheckedContinuation { (c: CheckedContinuation<[String], Never>) in
            Thread.detachNewThread {
                var lines: [String] = []
                var buffer = Data()
                let deadline = Date().addingTimeInterval(timeout.seconds)
                while Date() < deadline {
                    let chunk = handle.availableData
                    if chunk.isEmpty { break }
                    buffer.append(chunk)
                    while let nl = buffer.firstIndex(of: 10) {
                        lines.append(String(decoding: buffer[buffer.startIndex..<nl], as: UTF8.self))
                        buffer.removeSubrange(buffer.startIndex...nl)
                    }
                    if predicate(lines) { break }
                }
                c.resume(returning: lines)
            }
        }
    }

    /// SIGKILL: no goodbye, no acknowledgements, connections dropped by the kernel.
    func kill() {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}
