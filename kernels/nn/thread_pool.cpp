#include "kernels/nn/thread_pool.hpp"

#include <omp.h>
#include <pthread.h>

#include <algorithm>
#include <chrono>

namespace hogar::nn {

namespace {

std::atomic<std::uint64_t> next_pool_id{1};

/// How long a worker spins for the next job before it sleeps. The regions of one model run
/// come microseconds apart, but one thread may finish its chunks long before the other, and
/// waking a sleeping worker costs 50 to 100 us on these virtual machines: with 50 us of spin
/// BERT's 128-token batch of one ran on two threads barely faster than on one (2.6 ms against
/// 2.9), with 1 ms in 1.6 ms. CNNs, whose convolutions run on oneDNN's OpenMP team between
/// hogar's regions, measured the same either way (ResNet-18, MobileNetV2 on two threads).
constexpr auto worker_spin = std::chrono::microseconds(1000);
/// How long the caller spins on chunks other threads run before it yields its core between
/// checks (the thread running the chunk may be waiting for this core).
constexpr auto caller_spin = std::chrono::microseconds(200);

constexpr std::uint64_t remaining_mask = 0xffffffffu;

/// The pool whose chunk this thread is running, if any: a parallel_for from inside a chunk
/// runs inline.
thread_local const thread_pool* running_for = nullptr;

inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

std::int64_t read_ns(clockid_t clock) {
  timespec ts{};
  if (clock_gettime(clock, &ts) != 0)
    return -1;
  return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

/// Sets running_for for a scope.
class running_scope {
public:
  explicit running_scope(const thread_pool* pool) : saved_(running_for) { running_for = pool; }
  ~running_scope() { running_for = saved_; }
  running_scope(const running_scope&) = delete;
  running_scope& operator=(const running_scope&) = delete;

private:
  const thread_pool* saved_;
};

} // namespace

thread_pool::thread_pool(std::size_t threads)
  : threads_(std::max<std::size_t>(1, threads)), id_(next_pool_id.fetch_add(1)) {}

thread_pool::~thread_pool() {
  stop_.store(true);
  wake_.fetch_add(1);
  wake_.notify_all();
  for (auto& w : workers_)
    w.join();
}

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

void thread_pool::register_thread() {
  // An OpenMP team thread serves every pool its master thread runs: it registers with each
  // once.
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

void thread_pool::register_omp_team() {
  thread_local std::vector<std::uint64_t> teams;
  if (std::find(teams.begin(), teams.end(), id_) != teams.end())
    return;
  teams.push_back(id_);
#pragma omp parallel num_threads(static_cast<int>(threads_))
  {
    try {
      if (omp_get_thread_num() != 0)
        register_thread();
    } catch (...) {  // out of memory for one clock: that thread's CPU goes uncounted
    }
  }
}

void thread_pool::start_workers() {
  workers_.reserve(threads_ - 1);
  for (std::size_t i = 1; i < threads_; ++i)
    workers_.emplace_back([this] { worker_loop(); });
}

void thread_pool::worker_loop() {
  try {
    register_thread();
  } catch (...) {  // out of memory for one clock: this thread's CPU goes uncounted
  }
  std::uint32_t seen = 0;
  for (;;) {
    if (wake_.load(std::memory_order_acquire) == seen) {
      const auto until = std::chrono::steady_clock::now() + worker_spin;
      const auto resting = rest_.load(std::memory_order_relaxed);
      for (int spins = 0; wake_.load(std::memory_order_acquire) == seen; ++spins) {
        cpu_relax();
        if (rest_.load(std::memory_order_relaxed) != resting ||
            (spins % 64 == 63 && std::chrono::steady_clock::now() > until)) {
          wake_.wait(seen, std::memory_order_acquire);
          break;
        }
      }
    }
    seen = wake_.load(std::memory_order_acquire);
    if (stop_.load())
      return;
    run_chunks();
  }
}

void thread_pool::run_chunks() {
  running_scope scope{this};
  for (;;) {
    auto v = next_.load(std::memory_order_acquire);
    const auto remaining = v & remaining_mask;
    if (remaining == 0)
      return;
    // The generation in the high bits makes a claim on a job that ended meanwhile fail.
    if (!next_.compare_exchange_weak(v, v - 1, std::memory_order_acq_rel))
      continue;
    // Claimed: the job's fields stay as they are until this chunk is counted done.
    const auto begin = static_cast<std::int64_t>(remaining - 1) * chunk_;
    const auto end = std::min(n_, begin + chunk_);
    try {
      (*fn_)(begin, end);
    } catch (...) {
      std::lock_guard lock{failure_mutex_};
      if (!failure_)
        failure_ = std::current_exception();
    }
    done_.fetch_add(1, std::memory_order_acq_rel);
  }
}

void thread_pool::rest() noexcept {
  rest_.fetch_add(1, std::memory_order_relaxed);
}

void thread_pool::parallel_for(std::int64_t n, std::int64_t grain,
                               const std::function<void(std::int64_t, std::int64_t)>& fn) {
  if (n <= 0)
    return;
  const auto threads = static_cast<std::int64_t>(threads_);
  if (threads == 1 || running_for) {
    fn(0, n);
    return;
  }
  // About four chunks per thread balances uneven chunks without much scheduling overhead.
  const auto chunk = std::max({grain, std::int64_t{1}, (n + 4 * threads - 1) / (4 * threads)});
  const auto chunks = (n + chunk - 1) / chunk;
  if (chunks == 1) {
    fn(0, n);
    return;
  }
  register_omp_team();
  if (workers_.empty())
    start_workers();
  fn_ = &fn;
  n_ = n;
  chunk_ = chunk;
  failure_ = nullptr;
  done_.store(0, std::memory_order_relaxed);
  const std::uint64_t generation = (next_.load(std::memory_order_relaxed) >> 32) + 1;
  next_.store((generation << 32) | static_cast<std::uint64_t>(chunks), std::memory_order_release);
  wake_.fetch_add(1, std::memory_order_release);
  wake_.notify_all();
  run_chunks();
  // Wait only for chunks other threads claimed and are running: a worker that comes late
  // finds nothing left.
  const auto until = std::chrono::steady_clock::now() + caller_spin;
  bool yielding = false;
  for (int spins = 0; done_.load(std::memory_order_acquire) < chunks; ++spins) {
    if (yielding) {
      std::this_thread::yield();
      continue;
    }
    cpu_relax();
    if (spins % 64 == 63 && std::chrono::steady_clock::now() > until)
      yielding = true;
  }
  fn_ = nullptr;
  if (failure_) {
    auto failure = failure_;
    failure_ = nullptr;
    std::rethrow_exception(failure);
  }
}

} // namespace hogar::nn
