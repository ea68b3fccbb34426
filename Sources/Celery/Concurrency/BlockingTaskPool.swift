#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import DequeModule
import Synchronization

/// A task executor with threads of its own, for task bodies that block (synchronous file or
/// database calls, `sleep`, CPU-heavy work): they occupy one of these threads instead of a
/// thread of Swift's cooperative pool or an I/O event loop, which must never block.
///
/// A task opts in with ``TaskOptions/blocking``; the worker then runs its body under
/// `withTaskExecutorPreference(BlockingTaskPool.shared)`. Threads start on first use.
public final class BlockingTaskPool: TaskExecutor, Sendable {
    /// The pool the worker uses: 8 threads (or 2 × the CPU count if larger).
    public static let shared = BlockingTaskPool(threads: max(8, 2 * Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))))

    private struct State {
        var jobs: Deque<UnownedJob> = []
        var started = false
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
        let start = state.withLock { s -> Bool in
            s.jobs.append(unowned)
            defer { s.started = true }
            return !s.started
        }
        if start {
            for _ in 0..<threads { startThread() }
        }
        wakeup.signal()
    }

    private func startThread() {
        let box = Unmanaged.passRetained(self)
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { arg in
            let pool = Unmanaged<BlockingTaskPool>.fromOpaque(arg!).takeRetainedValue()
            pool.work()
            return nil
        }, box.toOpaque())
        if rc == 0 { pthread_detach(thread) } else { box.release() }
    }

    private func work() {
        while true {
            wakeup.wait()
            guard let job = state.withLock({ $0.jobs.popFirst() }) else { continue }
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
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
