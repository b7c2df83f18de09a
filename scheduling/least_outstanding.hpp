// least_outstanding.hpp: chooses the replica with the fewest outstanding requests.
//
// Ties rotate, so equally idle replicas share the load instead of the first one taking all.
// The caller owns the outstanding counts (atomics shared by the senders in one process).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace hogar::scheduling {

class least_outstanding {
public:
  /// Index of the smallest count; among equals, the first at or after the rotating start.
  /// `outstanding` must not be empty.
  template <class Count>
  std::size_t pick(std::span<const Count> outstanding) noexcept {
    auto n = outstanding.size();
    if (n == 1)
      return 0;
    auto start = next_start_++ % n;
    auto best = start;
    auto best_count = static_cast<std::int64_t>(outstanding[start]);
    for (std::size_t k = 1; k < n; ++k) {
      auto i = (start + k) % n;
      auto count = static_cast<std::int64_t>(outstanding[i]);
      if (count < best_count) {
        best = i;
        best_count = count;
      }
    }
    return best;
  }

private:
  std::size_t next_start_ = 0;
};

} // namespace hogar::scheduling
