import NIOCore

extension EventLoopFuture where Value: Sendable {
    /// The future's value, awaited on the caller's executor.
    ///
    /// NIO's `get()` is a plain `nonisolated async` function: awaited from an actor that runs on
    /// an event loop it first hops to Swift's global executor, and the reply hops back — two
    /// thread wake-ups per command. This one stays where its caller is (`nonisolated(nonsending)`),
    /// so a command sent and answered on the connection's own loop never leaves that thread.
    nonisolated(nonsending) func reply() async throws -> Value {
        try await withUnsafeThrowingContinuation { (c: UnsafeContinuation<Value, any Error>) in
            self.whenComplete { c.resume(with: $0) }
        }
    }
}
