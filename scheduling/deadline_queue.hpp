// deadline_queue.hpp: request deadlines in expiry order, for one timer per ingress instead
// of one per request.
//
// Entries are never removed early: a request answered before its deadline stays queued and
// the owner ignores it when it expires (lazy deletion keeps completion O(1)).
#pragma once

#include <cstdint>
#include <optional>
#include <queue>
#include <vector>

namespace hogar::scheduling {

class deadline_queue {
public:
  /// Deadlines are nanoseconds on the owner's clock.
  void push(std::int64_t deadline_ns, std::uint64_t request_id) {
    heap_.push(entry{deadline_ns, request_id});
  }

  /// The earliest deadline still queued.
  std::optional<std::int64_t> next_deadline() const {
    if (heap_.empty())
      return std::nullopt;
    return heap_.top().deadline_ns;
  }

  /// Removes and returns every request whose deadline is at or before `now_ns`.
  std::vector<std::uint64_t> pop_expired(std::int64_t now_ns) {
    std::vector<std::uint64_t> expired;
    while (!heap_.empty() && heap_.top().deadline_ns <= now_ns) {
      expired.push_back(heap_.top().request_id);
      heap_.pop();
    }
    return expired;
  }

  std::size_t size() const noexcept { return heap_.size(); }
  bool empty() const noexcept { return heap_.empty(); }

private:
  struct entry {
    std::int64_t deadline_ns;
    std::uint64_t request_id;
    bool operator>(const entry& other) const noexcept { return deadline_ns > other.deadline_ns; }
  };
  std::priority_queue<entry, std::vector<entry>, std::greater<>> heap_;
};

} // namespace hogar::scheduling
