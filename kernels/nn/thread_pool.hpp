// thread_pool.hpp: intra-op parallelism for the CPU kernels of one executor instance.
//
// Each executor instance owns a pool of its own (its "intra-op threads"), so that the tuner
// can size instances and threads apart. parallel_for splits a range into chunks; the calling
// thread and the pool's worker threads claim chunks from one counter, and parallel_for returns
// when every chunk ran.
//
// The caller never waits for a worker that has not started: a worker that wakes after the
// chunks are all claimed finds none and goes back to sleep. That is why the workers are the
// pool's own threads and not an OpenMP team: an OpenMP region ends at a barrier every thread
// of the team must reach, and on a busy machine (two cores, a build running next to the
// server) a team thread the kernel has put aside makes every region wait a scheduler slice
// for it: BERT at batch 1 took 260 ms instead of 7 ms on two threads, each of its hundred
// regions waiting 10 to 40 ms. Workers spin up to a millisecond after a chunk (the next region
// of a model comes within microseconds; a futex wake-up costs tens of them) and then sleep,
// so that an idle instance leaves the cores to others.
#pragma once

#include <atomic>
#include <cstdint>
#include <ctime>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace hogar::nn {

class thread_pool {
public:
  /// `threads` counts the calling thread: thread_pool{1} runs everything on the caller. The
  /// workers start on the first parallel_for.
  explicit thread_pool(std::size_t threads);
  ~thread_pool();
  thread_pool(const thread_pool&) = delete;
  thread_pool& operator=(const thread_pool&) = delete;

  /// Threads that run chunks, the caller's included.
  std::size_t size() const noexcept { return threads_; }

  /// CPU time the pool's workers and the OpenMP team oneDNN's kernels run on for the callers
  /// of this pool have used so far (spinning between regions included), nanoseconds; the
  /// caller's share is the caller's to count.
  std::int64_t workers_cpu_ns() const;

  /// Runs fn(begin, end) over [0, n) in chunks of at least `grain` items. One parallel_for at
  /// a time per pool (an executor instance runs one batch at a time); one called from inside
  /// a chunk runs inline on that thread. An exception thrown by fn reaches the caller once
  /// every chunk has finished.
  void parallel_for(std::int64_t n, std::int64_t grain,
                    const std::function<void(std::int64_t, std::int64_t)>& fn);

  /// Workers still spinning for the next job go to sleep now: the caller is about to run a
  /// kernel on oneDNN's OpenMP team, whose threads need the cores (a spinning worker would
  /// take one from them, and the team's closing barrier waits for the slowest thread).
  void rest() noexcept;

private:
  /// Notes the CPU clock of the calling thread, the first time it works for this pool.
  void register_thread();
  /// Registers the OpenMP team of the calling thread (oneDNN runs on it), once per thread.
  void register_omp_team();
  void start_workers();
  void worker_loop();
  /// Claims and runs chunks of the current job until none is left.
  void run_chunks();

  std::size_t threads_;
  /// Told apart from any pool that lived at the same address before.
  std::uint64_t id_;

  // The job being run. The caller writes fn_, n_ and chunk_ before it publishes the job in
  // next_ and leaves them alone until every chunk is done; a thread reads them only after it
  // claimed a chunk of that job.
  const std::function<void(std::int64_t, std::int64_t)>* fn_ = nullptr;
  std::int64_t n_ = 0, chunk_ = 0;
  /// The job's generation (high 32 bits) and the next chunk to claim (low 32 bits).
  std::atomic<std::uint64_t> next_{0};
  /// Chunks of the current job that have finished.
  std::atomic<std::int64_t> done_{0};
  /// The generation workers wait on (futex): bumped for every job and for the stop.
  std::atomic<std::uint32_t> wake_{0};
  /// Bumped by rest(): a worker that sees it change stops spinning.
  std::atomic<std::uint32_t> rest_{0};
  std::atomic<bool> stop_{false};
  std::mutex failure_mutex_;
  std::exception_ptr failure_;
  std::vector<std::thread> workers_;

  mutable std::mutex mutex_;
  /// The CPU clocks of the threads counted, what each read when it joined this pool, and what
  /// it read last (a thread that ended keeps its last reading).
  std::vector<clockid_t> clocks_;
  std::vector<std::int64_t> baseline_ns_;
  mutable std::vector<std::int64_t> last_ns_;
};

/// fn(begin, end) over [0, n): on the pool when there is one, else on this thread.
inline void parallel_for(thread_pool* pool, std::int64_t n, std::int64_t grain,
                         const std::function<void(std::int64_t, std::int64_t)>& fn) {
  if (n <= 0)
    return;
  if (!pool || pool->size() == 1 || n <= grain) {
    fn(0, n);
    return;
  }
  pool->parallel_for(n, grain, fn);
}

} // namespace hogar::nn
