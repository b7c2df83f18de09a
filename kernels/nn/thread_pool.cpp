#include "kernels/nn/thread_pool.hpp"

#include <omp.h>
#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <exception>

namespace hogar::nn {

namespace {

std::atomic<std::uint64_t> next_pool_id{1};

std::int64_t read_ns(clockid_t clock) {
  timespec ts{};
  if (clock_gettime(clock, &ts) != 0)
    return -1;
  return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

} // namespace

thread_pool::thread_pool(std::size_t threads)
  : threads_(std::max<std::size_t>(1, threads)), id_(next_pool_id.fetch_add(1)) {}

std::int64_t thread_pool::workers_cpu_ns() const {
  std::lock_guard lock{mutex_};
  std::int64_t total = 0;
  for (std::size_t i = 0; i < clocks_.size(); ++i) {
    if (auto now = read_ns(clocks_[i]); now >= 0)
      last_ns_[i] = now;
    total += last_ns_[i] - baseline_ns_[i];
  }
  return total;
}

void thread_pool::register_worker() {
  // A team thread serves every pool its master thread runs: it registers with each once.
  thread_local std::vector<std::uint64_t> registered;
  if (std::find(registered.begin(), registered.end(), id_) != registered.end())
    return;
  registered.push_back(id_);
  clockid_t clock;
  if (pthread_getcpuclockid(pthread_self(), &clock) != 0)
    return;
  // The thread may have worked for an earlier pool of the same master (one replaced when the
  // thread count changed): only what it uses from now on is this pool's.
  const auto now = std::max<std::int64_t>(0, read_ns(clock));
  std::lock_guard lock{mutex_};
  clocks_.push_back(clock);
  baseline_ns_.push_back(now);
  last_ns_.push_back(now);
}

void thread_pool::parallel_for(std::int64_t n, std::int64_t grain,
                               const std::function<void(std::int64_t, std::int64_t)>& fn) {
  if (n <= 0)
    return;
  const auto threads = static_cast<std::int64_t>(threads_);
  if (threads == 1) {
    fn(0, n);
    return;
  }
  // About four chunks per thread balances uneven chunks without much scheduling overhead.
  const auto chunk = std::max({grain, std::int64_t{1}, (n + 4 * threads - 1) / (4 * threads)});
  const auto chunks = (n + chunk - 1) / chunk;
  std::exception_ptr failure;
  std::mutex failure_mutex;
#pragma omp parallel num_threads(static_cast<int>(threads))
  {
    try {
      if (omp_get_thread_num() != 0)
        register_worker();
    } catch (...) {  // out of memory for one clock: that thread's CPU goes uncounted
    }
#pragma omp for schedule(dynamic, 1)
    for (std::int64_t c = 0; c < chunks; ++c) {
      try {
        fn(c * chunk, std::min(n, (c + 1) * chunk));
      } catch (...) {
        std::lock_guard lock{failure_mutex};
        if (!failure)
          failure = std::current_exception();
      }
    }
  }
  if (failure)
    std::rethrow_exception(failure);
}

} // namespace hogar::nn
