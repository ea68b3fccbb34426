import NIOCore
import NIOPosix
import Testing

@testable import CeleryRedis

/// Why the Redis consumer stalled when its own tasks preferred the loop's task executor, shown
/// without timing luck: a task that prefers ``EventLoopTaskExecutor`` and runs on an actor
/// whose serial executor is the same loop *suspends* at `await withCheckedContinuation`
/// before the body runs (the runtime switches to the preferred task executor first), so a
/// wake-up queued on the loop just before the `await` runs before the continuation exists.
/// A wait that stores the continuation unconditionally loses that wake-up for good; the
/// consumer's waits register only while they still wait (``RedisQueueConsumer``).
@Suite struct LoopWakeupTests {
    /// An actor on one NIO loop that waits the way the consumer's fetch loop does.
    actor LoopWaiter {
        let loop: any EventLoop
        nonisolated var unownedExecutor: UnownedSerialExecutor { loop.executor.asUnownedSerialExecutor() }
        private var waiting = false
        private var waiter: CheckedContinuation<Void, Never>?
        /// Whether the wake-up came before the continuation was registered.
        private(set) var wokenBeforeRegistered = false

        init(loop: any EventLoop) { self.loop = loop }

        func wake() {
            waiting = false
            waiter.take()?.resume()
        }

        /// Decides to wait, queues a wake-up on the loop (as a batch timer or a reply does),
        /// then waits, registering the continuation only if still waiting.
        func waitWithWakeQueued() async {
            waiting = true
            loop.execute { self.assumeIsolated { $0.wake() } }
            await withCheckedContinuation { c in
                if waiting { waiter = c } else {
                    wokenBeforeRegistered = true
                    c.resume()
                }
            }
        }
    }

    @Test func aTaskPreferringTheLoopSuspendsBeforeTheContinuationBody() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let w = LoopWaiter(loop: loop)
        // Completes only because the wait registers conditionally: the wake came first.
        await Task(executorPreference: EventLoopTaskExecutor(loop)) { await w.waitWithWakeQueued() }.value
        #expect(await w.wokenBeforeRegistered)
        try await group.shutdownGracefully()
    }

    @Test func withoutThePreferenceTheBodyRunsAtOnce() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let w = LoopWaiter(loop: group.next())
        await Task { await w.waitWithWakeQueued() }.value
        #expect(await !w.wokenBeforeRegistered)
        try await group.shutdownGracefully()
    }
}
