// scratch_slots.hpp: parallel loops whose tasks need private scratch memory (Conv's im2col
// columns). A kernel's workspace is sized when it is bound, before the size of the thread pool
// that will run it is known, so it holds a fixed number of equal slots and a loop never runs
// more tasks at once than there are slots: a pool larger than that leaves its extra threads
// idle in these loops (they still share every other loop).
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <thread>

#include "kernels/nn/thread_pool.hpp"

namespace hogar::nn {

/// Upper bound of scratch_slot_count(): keeps a bound kernel's workspace bounded on machines
/// with many cores.
inline constexpr std::int64_t scratch_slots_max = 32;

/// Slots a workspace holds: the machine's hardware threads, at least 1 and at most
/// scratch_slots_max (an instance rarely runs more intra-op threads than the machine has).
inline std::int64_t scratch_slot_count() noexcept {
  auto cores = static_cast<std::int64_t>(std::thread::hardware_concurrency());
  return std::clamp<std::int64_t>(cores, 1, scratch_slots_max);
}

/// Runs fn(slot, task) for every task in [0, tasks), tasks handed out one by one to whichever
/// thread is free (uneven tasks balance). At most `slots` tasks run at once and no two running
/// tasks share a slot number, which lies in [0, slots).
inline void parallel_with_slots(thread_pool* pool, std::int64_t tasks, std::int64_t slots,
                                const std::function<void(std::int64_t, std::int64_t)>& fn) {
  if (tasks <= 0)
    return;
  const auto threads = pool ? static_cast<std::int64_t>(pool->size()) : 1;
  const auto lanes = std::max<std::int64_t>(1, std::min({slots, threads, tasks}));
  if (lanes == 1) {
    for (std::int64_t t = 0; t < tasks; ++t)
      fn(0, t);
    return;
  }
  // Each lane is one chunk of the pool's loop, so one thread at a time owns its slot; within
  // a lane, tasks come from a shared counter.
  std::atomic<std::int64_t> next{0};
  parallel_for(pool, lanes, 1, [&](std::int64_t begin, std::int64_t end) {
    for (auto lane = begin; lane < end; ++lane)
      for (auto t = next.fetch_add(1); t < tasks; t = next.fetch_add(1))
        fn(lane, t);
  });
}

} // namespace hogar::nn
