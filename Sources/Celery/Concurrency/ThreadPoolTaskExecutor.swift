#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import DequeModule
import Synchronization

/// A task executor with threads of its own.
///
/// - ``blocking`` is for task bodies that block (synchronous file or database calls, `sleep`,
///   CPU-heavy work): they occupy one of its threads instead of a thread of Swift's
///   cooperative pool or an I/O event loop, which must never block. A task opts in with
///   ``TaskOptions/blocking``; the worker then runs its body under
///   `withTaskExecutorPreference(ThreadPoolTaskExecutor.blocking)`.
/// - With one thread it is a serial executor for tasks that should share a thread: a
///   producer and a consumer in one process then hand messages over with an enqueue, not a
///   thread wake-up.
///
/// Threads start on the first job and end after ``shutdown()``.
public final class ThreadPoolTaskExecutor: TaskExecutor, Sendable {
    /// The pool for blocking task bodies: 8 threads (or 2 × the CPU count if larger).
    public static let blocking = ThreadPoolTaskExecutor(threads: WorkerOptions.defaultConcurrency)

    private struct State {
        var jobs: Deque<UnownedJob> = []
        var started = false
        var stopping = false
    }
    private let state = Mutex(State())
    private let wakeup = Semaphore()
    /// Number of threads.
    public let threads: Int

    /// A pool of `threads` threads (at least 1), started on the first job.
    public init(threads: Int) {
        self.threads = max(1, threads)
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        let start = state.withLock { s -> Bool? in
            if s.stopping { return nil }
            s.jobs.append(unowned)
            defer { s.started = true }
            return !s.started
        }
        guard let start else {
            // After shutdown(): the job (a task resuming) runs on a thread of its own.
            startThread { unowned.runSynchronously(on: self.asUnownedTaskExecutor()) }
            return
        }
        if start {
            for _ in 0..<threads { startThread(nil) }
        }
        wakeup.signal()
    }

    /// Lets the threads end once the jobs queued so far have run; a job enqueued later runs
    /// on a thread started for it alone. ``blocking`` lives as long as the process.
    public func shutdown() {
        let running = state.withLock { s -> Bool in
            s.stopping = true
            return s.started
        }
        if running {
            for _ in 0..<threads { wakeup.signal() }
        }
    }

    private func startThread(_ body: (@Sendable () -> Void)?) {
        let box = Unmanaged.passRetained(ThreadStart(pool: self, body: body))
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { arg in
            let start = Unmanaged<ThreadStart>.fromOpaque(arg!).takeRetainedValue()
            if let body = start.body { body() } else { start.pool.work() }
            return nil
        }, box.toOpaque())
        if rc == 0 { pthread_detach(thread) } else { box.release() }
    }

    fileprivate func work() {
        while true {
            wakeup.wait()
            let (job, stop) = state.withLock { s in (s.jobs.popFirst(), s.stopping) }
            if let job {
                job.runSynchronously(on: asUnownedTaskExecutor())
            } else if stop {
                return
            }
        }
    }
}

/// What a new thread runs: the pool's loop, or one job.
private final class ThreadStart: Sendable {
    let pool: ThreadPoolTaskExecutor
    let body: (@Sendable () -> Void)?
    init(pool: ThreadPoolTaskExecutor, body: (@Sendable () -> Void)?) {
        self.pool = pool
        self.body = body
    }
}

/// A counting semaphore over a pthread mutex and condition variable (heap-allocated, so
/// their addresses never move).
private final class Semaphore: @unchecked Sendable {
    // @unchecked: `count` and the condition are only touched with `mutex` held.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let cond = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var count = 0

    init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(cond, nil)
    }

    deinit {
        pthread_cond_destroy(cond)
        pthread_mutex_destroy(mutex)
        cond.deallocate()
        mutex.deallocate()
    }

    func signal() {
        pthread_mutex_lock(mutex)
        count += 1
        pthread_cond_signal(cond)
        pthread_mutex_unlock(mutex)
    }

    func wait() {
        pthread_mutex_lock(mutex)
        while count == 0 { pthread_cond_wait(cond, mutex) }
        count -= 1
        pthread_mutex_unlock(mutex)
    }
}
