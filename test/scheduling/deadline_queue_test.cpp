#include "scheduling/deadline_queue.hpp"

#include <doctest/doctest.h>

using hogar::scheduling::deadline_queue;

TEST_CASE("deadlines expire in time order, not arrival order") {
  deadline_queue q;
  q.push(300, 1);
  q.push(100, 2);
  q.push(200, 3);
  CHECK(q.next_deadline() == 100);
  CHECK(q.pop_expired(99).empty());
  CHECK(q.pop_expired(200) == std::vector<std::uint64_t>{2, 3});
  CHECK(q.next_deadline() == 300);
  CHECK(q.pop_expired(1000) == std::vector<std::uint64_t>{1});
  CHECK(q.empty());
  CHECK_FALSE(q.next_deadline().has_value());
}
