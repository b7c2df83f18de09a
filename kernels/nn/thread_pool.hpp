// thread_pool.hpp: intra-op parallelism for the CPU kernels of one executor instance.
//
// Each executor instance owns a pool of its own (its "intra-op threads"), so that the tuner
// can size instances and threads apart. The threads are OpenMP's (libgomp): oneDNN, which
// runs the convolutions, is built on OpenMP, and two thread teams taking turns on the same
// cores (one for oneDNN's loops, one for hogar's) cost a tenth of ResNet-18's throughput at
// batch 1 on two cores, each team spinning while the other works. libgomp gives every thread
// that opens a parallel region a team of its own, so instances on different threads never
// share one. parallel_for splits a range into chunks that the team's threads take in turn; it
// returns when every chunk ran.
#pragma once

#include <cstdint>
#include <ctime>
#include <functional>
#include <mutex>
#include <vector>

namespace hogar::nn {

class thread_pool {
public:
  /// `threads` counts the calling thread: thread_pool{1} runs everything on the caller.
  explicit thread_pool(std::size_t threads);
  thread_pool(const thread_pool&) = delete;
  thread_pool& operator=(const thread_pool&) = delete;

  /// Threads that run chunks, the caller's included.
  std::size_t size() const noexcept { return threads_; }

  /// CPU time the team's threads other than the caller have used so far (spinning between
  /// regions included), nanoseconds; the caller's share is the caller's to count.
  std::int64_t workers_cpu_ns() const;

  /// Runs fn(begin, end) over [0, n) in chunks of at least `grain` items. Not reentrant: one
  /// parallel_for at a time per pool (an executor instance runs one batch at a time). An
  /// exception thrown by fn reaches the caller once every chunk has finished.
  void parallel_for(std::int64_t n, std::int64_t grain,
                    const std::function<void(std::int64_t, std::int64_t)>& fn);

private:
  /// Notes the CPU clock of the team thread running this, the first time it works for us.
  void register_worker();

  std::size_t threads_;
  /// Told apart from any pool that lived at the same address before.
  std::uint64_t id_;
  mutable std::mutex mutex_;
  /// The team threads' CPU clocks, what each read when it joined this pool, and what it read
  /// last (a thread that ended keeps its last reading).
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
