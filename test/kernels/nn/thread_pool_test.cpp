// The intra-op thread pool: every index once, chunks of at least the grain, exceptions back
// to the caller, its threads' CPU time counted, and instances on two threads apart.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

#include "kernels/nn/thread_pool.hpp"

using namespace hogar::nn;

TEST_CASE("parallel_for runs every index exactly once, in chunks of at least the grain") {
  thread_pool pool{3};
  CHECK(pool.size() == 3);
  for (std::int64_t n : {1, 7, 64, 1000}) {
    std::vector<std::atomic<int>> seen(static_cast<std::size_t>(n));
    std::atomic<std::int64_t> smallest{n};
    pool.parallel_for(n, 5, [&](std::int64_t begin, std::int64_t end) {
      for (auto i = begin; i < end; ++i)
        ++seen[static_cast<std::size_t>(i)];
      if (end < n)  // the last chunk may be short
        for (auto s = smallest.load(); end - begin < s && !smallest.compare_exchange_weak(s, end - begin);)
          ;
    });
    for (auto& s : seen)
      CHECK(s == 1);
    CHECK(smallest >= std::min<std::int64_t>(5, n));
  }
}

TEST_CASE("a kernel's exception reaches the caller after the other chunks finished") {
  thread_pool pool{2};
  std::atomic<int> ran{0};
  CHECK_THROWS_AS(pool.parallel_for(100, 1,
                                    [&](std::int64_t begin, std::int64_t) {
                                      ++ran;
                                      if (begin == 0)
                                        throw std::runtime_error("boom");
                                    }),
                  std::runtime_error);
  CHECK(ran >= 1);
  // The pool still works afterwards.
  std::atomic<std::int64_t> sum{0};
  pool.parallel_for(10, 1, [&](std::int64_t b, std::int64_t e) { sum += e - b; });
  CHECK(sum == 10);
}

TEST_CASE("the pool counts the CPU time of its threads other than the caller") {
  thread_pool pool{2};
  CHECK(pool.workers_cpu_ns() == 0);
  std::atomic<std::uint64_t> sink{0};
  // Regions until the worker has run 16 chunks of 2 ms each: on a loaded machine the caller
  // may run most chunks itself, and the worker's share must stay well above what an idle
  // worker spins (and is counted for) before it sleeps, as the later pool's does below.
  const auto caller = std::this_thread::get_id();
  std::atomic<int> worker_chunks{0};
  for (int round = 0; round < 10000 && worker_chunks < 16; ++round)
    pool.parallel_for(2, 1, [&](std::int64_t, std::int64_t) {
      // Busy for 2 ms of wall time: CPU time for whichever thread runs it.
      const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(2);
      while (std::chrono::steady_clock::now() < until)
        ++sink;
      if (std::this_thread::get_id() != caller)
        ++worker_chunks;
    });
  REQUIRE(worker_chunks >= 16);
  CHECK(pool.workers_cpu_ns() > 0);
  // A pool made later on the same thread counts only what its threads use from then on.
  thread_pool later{2};
  later.parallel_for(2, 1, [](std::int64_t, std::int64_t) {});
  CHECK(later.workers_cpu_ns() < pool.workers_cpu_ns());
}

TEST_CASE("pools on two threads (two instances) run at once without sharing a team") {
  std::atomic<int> inside{0}, most{0};
  auto instance = [&] {
    thread_pool pool{2};
    for (int round = 0; round < 50; ++round)
      pool.parallel_for(8, 1, [&](std::int64_t, std::int64_t) {
        auto now = ++inside;
        for (auto m = most.load(); now > m && !most.compare_exchange_weak(m, now);)
          ;
        std::this_thread::sleep_for(std::chrono::microseconds(200));
        --inside;
      });
  };
  std::thread a{instance}, b{instance};
  a.join();
  b.join();
  CHECK(most >= 3);  // more than one team's two threads were inside at some moment
}
