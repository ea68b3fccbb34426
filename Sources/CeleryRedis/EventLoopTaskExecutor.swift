import NIOCore

/// A Swift `TaskExecutor` that runs jobs on one SwiftNIO event loop.
///
/// NIO's event loops are `SerialExecutor`s (an actor can live on one), but a task can only
/// *prefer* a `TaskExecutor`. The worker runs its reader and execution slots with this
/// executor preference, so a delivery read by the loop is decoded, run and acknowledged on
/// that loop's thread: a reply resumes the waiting task with an enqueue on the same thread
/// instead of a wake-up of a thread of Swift's cooperative pool (a futex call and a task
/// switch per hop on this path).
///
/// A job enqueued from the loop's own thread runs later in the same loop tick; from another
/// thread it wakes the loop. A task body that blocks must not run here (it would stall the
/// loop's I/O): such tasks declare `TaskOptions(blocking: true)` and run on
/// `ThreadPoolTaskExecutor.blocking`.
public final class EventLoopTaskExecutor: TaskExecutor, @unchecked Sendable {
    // @unchecked: `loop` is immutable and `EventLoop` is Sendable.
    /// The loop the jobs run on.
    public let loop: any EventLoop

    /// An executor for `loop`.
    public init(_ loop: any EventLoop) { self.loop = loop }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
