#include "kernels/nn/thread_pool.hpp"

#include <algorithm>

#include <pthread.h>
#include <time.h>

namespace hogar::nn {

namespace {

/// Checks of the job counter a worker makes before it sleeps (about 50 us on these machines).
constexpr int spin_checks = 4000;

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

} // namespace

thread_pool::thread_pool(std::size_t threads) {
  for (std::size_t i = 1; i < threads; ++i)
    workers_.emplace_back([this] { work_loop(); });
}

thread_pool::~thread_pool() {
  {
    std::lock_guard lock{mutex_};
    stopping_ = true;
    generation_.fetch_add(1);
  }
  wake_.notify_all();
  for (auto& t : workers_)
    t.join();
}

std::int64_t thread_pool::workers_cpu_ns() const {
  std::int64_t total = 0;
  for (auto& t : workers_) {
    clockid_t clock;
    timespec ts{};
    // std::thread is pthread-based on Linux; a thread that just ended reads as 0.
    if (pthread_getcpuclockid(const_cast<std::thread&>(t).native_handle(), &clock) == 0 &&
        clock_gettime(clock, &ts) == 0)
      total += std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
  }
  return total;
}

void thread_pool::run_chunks(job& j) {
  for (;;) {
    auto begin = j.next.fetch_add(j.chunk);
    if (begin >= j.n)
      return;
    (*j.fn)(begin, std::min(j.n, begin + j.chunk));
    if (j.pending.fetch_sub(1) == 1) {
      std::lock_guard lock{mutex_};
      done_.notify_all();
    }
  }
}

void thread_pool::work_loop() {
  std::uint64_t seen = 0;
  for (;;) {
    int spins = 0;
    while (generation_.load(std::memory_order_acquire) == seen && spins < spin_checks) {
      cpu_relax();
      ++spins;
    }
    job* j = nullptr;
    {
      std::unique_lock lock{mutex_};
      wake_.wait(lock, [&] { return generation_.load() != seen; });
      if (stopping_)
        return;
      seen = generation_.load();
      j = job_;
      if (!j)
        continue;
      ++j->active;
    }
    run_chunks(*j);
    std::lock_guard lock{mutex_};
    if (--j->active == 0 && j->pending.load() == 0)
      done_.notify_all();
  }
}

void thread_pool::parallel_for(std::int64_t n, std::int64_t grain,
                               const std::function<void(std::int64_t, std::int64_t)>& fn) {
  if (n <= 0)
    return;
  // About four chunks per thread balances uneven chunks without much scheduling overhead.
  auto threads = static_cast<std::int64_t>(size());
  job j;
  j.fn = &fn;
  j.n = n;
  j.chunk = std::max({grain, std::int64_t{1}, (n + 4 * threads - 1) / (4 * threads)});
  j.pending.store((n + j.chunk - 1) / j.chunk);
  {
    std::lock_guard lock{mutex_};
    job_ = &j;
    generation_.fetch_add(1, std::memory_order_release);
  }
  wake_.notify_all();
  run_chunks(j);
  std::unique_lock lock{mutex_};
  done_.wait(lock, [&] { return j.pending.load() == 0 && j.active == 0; });
  job_ = nullptr;
}

} // namespace hogar::nn
