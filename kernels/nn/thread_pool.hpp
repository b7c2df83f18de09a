// thread_pool.hpp: intra-op parallelism for the CPU kernels of one executor instance.
//
// Each executor instance owns a pool of its own (its "intra-op threads"), so that instances
// never compete for a shared queue and the tuner can size both counts. parallel_for splits a
// range into chunks that the pool's threads and the calling thread take in turn; it returns
// when every chunk ran. Workers spin briefly before sleeping: a network runs dozens of
// parallel loops back to back, and waking a sleeping thread costs tens of microseconds.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace hogar::nn {

class thread_pool {
public:
  /// `threads` counts the calling thread: thread_pool{1} starts no thread.
  explicit thread_pool(std::size_t threads);
  ~thread_pool();
  thread_pool(const thread_pool&) = delete;
  thread_pool& operator=(const thread_pool&) = delete;

  /// Threads that run chunks, the caller's included.
  std::size_t size() const noexcept { return workers_.size() + 1; }

  /// CPU time the pool's own threads have used so far (spinning included), nanoseconds; the
  /// caller's share is the caller's to count.
  std::int64_t workers_cpu_ns() const;

  /// Runs fn(begin, end) over [0, n) in chunks of at least `grain` items. Not reentrant: one
  /// parallel_for at a time per pool (an executor instance runs one batch at a time).
  void parallel_for(std::int64_t n, std::int64_t grain,
                    const std::function<void(std::int64_t, std::int64_t)>& fn);

private:
  /// One parallel_for: lives on the caller's stack until every thread has left it.
  struct job {
    const std::function<void(std::int64_t, std::int64_t)>* fn = nullptr;
    std::int64_t n = 0;
    std::int64_t chunk = 1;
    std::atomic<std::int64_t> next{0};
    /// Chunks not finished yet.
    std::atomic<std::int64_t> pending{0};
    /// Workers inside run_chunks for this job (guarded by mutex_).
    int active = 0;
  };

  void work_loop();
  /// Takes chunks of `j` until none is left.
  void run_chunks(job& j);

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  bool stopping_ = false;
  /// Bumped for every job; workers compare it with the last one they saw.
  std::atomic<std::uint64_t> generation_{0};
  /// The running job, null between jobs (guarded by mutex_).
  job* job_ = nullptr;
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
