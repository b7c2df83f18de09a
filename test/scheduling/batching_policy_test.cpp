// The batching policies, stepped with a fake clock (plain numbers): no threads, no actors.
#include <vector>

#include <doctest/doctest.h>

#include "scheduling/batching_policy.hpp"

using namespace hogar::scheduling;

namespace {

constexpr std::int64_t us = 1000;
constexpr std::int64_t ms = 1000 * us;

std::unique_ptr<batching_policy> policy(std::string name, std::int64_t max_batch,
                                        std::int64_t delay_us, std::int64_t slo_us = 0) {
  auto p = make_batching_policy({std::move(name), max_batch, delay_us, slo_us});
  REQUIRE(p);
  return std::move(*p);
}

/// `count` requests of one item arriving at `first_ns`, `gap_ns` apart.
std::vector<queued_request> arrivals(std::size_t count, std::int64_t first_ns = 0,
                                     std::int64_t gap_ns = 0) {
  std::vector<queued_request> q;
  for (std::size_t i = 0; i < count; ++i)
    q.push_back({first_ns + static_cast<std::int64_t>(i) * gap_ns, 1});
  return q;
}

} // namespace

TEST_CASE("static batching dispatches a full batch at once") {
  auto p = policy("static", 4, 500);
  auto q = arrivals(6);
  auto d = p->decide(q, 0);
  CHECK(d.take == 4);
  CHECK_FALSE(d.wake_at_ns);
}

TEST_CASE("static batching waits for the queue delay, then sends what it has") {
  auto p = policy("static", 8, 500);
  auto q = arrivals(3, 1 * ms, 10 * us);
  auto waiting = p->decide(q, 1 * ms + 100 * us);
  CHECK(waiting.take == 0);
  REQUIRE(waiting.wake_at_ns);
  CHECK(*waiting.wake_at_ns == 1 * ms + 500 * us);
  auto due = p->decide(q, *waiting.wake_at_ns);
  CHECK(due.take == 3);
}

TEST_CASE("static batching with no queue delay sends every request as soon as it can") {
  auto p = policy("static", 8, 0);
  auto q = arrivals(1, 5 * ms);
  CHECK(p->decide(q, 5 * ms).take == 1);
}

TEST_CASE("a batch counts items, and a request that brings its own batch is not split") {
  auto p = policy("static", 8, 1000);
  std::vector<queued_request> q = {{0, 3}, {0, 4}, {0, 2}};
  // 3 + 4 fit in 8; adding 2 would not: the batch is as full as it gets.
  CHECK(p->decide(q, 0).take == 2);
  CHECK(requests_within(q, 2) == 1); // an oversized head request still goes, alone
}

TEST_CASE("slo_greedy waits while the oldest request can still meet the objective") {
  auto p = policy("slo_greedy", 8, 0, 10'000); // SLO 10 ms
  p->observe(8, 4 * ms);                        // a batch of 8 takes 4 ms
  auto q = arrivals(2, 0);
  auto d = p->decide(q, 1 * ms);
  CHECK(d.take == 0);
  REQUIRE(d.wake_at_ns);
  // 10 ms - 4 ms for the batch - 1 ms margin: dispatch at 5 ms at the latest.
  CHECK(*d.wake_at_ns == 5 * ms);
  CHECK(p->decide(q, 5 * ms).take == 2);
}

TEST_CASE("slo_greedy estimates unseen batch sizes from the ones it has seen") {
  auto p = policy("slo_greedy", 16, 0, 20'000);
  p->observe(2, 2 * ms);
  p->observe(4, 4 * ms);
  // The largest batch (16) was never seen: proportional to the largest seen, 16 ms; so the
  // oldest may wait 20 - 16 - 2 = 2 ms.
  auto d = p->decide(arrivals(1, 0), 0);
  REQUIRE(d.wake_at_ns);
  CHECK(*d.wake_at_ns == 2 * ms);
}

TEST_CASE("aimd grows the batch limit by 2 under 90 percent of the objective, holds below it and cuts by a tenth above") {
  auto p = policy("aimd", 64, 0, 10'000);
  CHECK(p->batch_size_limit() == 1);
  p->observe(1, 1 * ms);
  CHECK(p->batch_size_limit() == 3);
  p->observe(2, 1 * ms);             // a batch below the limit says nothing about it
  CHECK(p->batch_size_limit() == 3);
  p->observe(3, 9'500'000);          // 95% of the objective: hold
  CHECK(p->batch_size_limit() == 3);
  p->observe(3, 8'900'000);          // 89%: grow
  CHECK(p->batch_size_limit() == 5);
  p->observe(5, 20 * ms);            // over the objective: 5 * 0.9 = 4.5
  CHECK(p->batch_size_limit() == 4);
  for (int i = 0; i < 40; ++i)
    p->observe(p->batch_size_limit(), 1 * ms);
  CHECK(p->batch_size_limit() == 64);
  // A tuner lowers the ceiling: the limit follows at once, and never grows past it.
  p->set_limits(16, 500);
  CHECK(p->batch_size_limit() == 16);
  CHECK(p->queue_delay_limit_us() == 500);
  p->observe(16, 1 * ms);
  CHECK(p->batch_size_limit() == 16);
}

TEST_CASE("new limits take effect at the next decision, on requests already queued") {
  auto p = policy("static", 8, 1000, 0);
  std::vector<queued_request> queue(4, queued_request{0, 1});
  CHECK(p->decide(queue, 0).take == 0);  // 4 of 8: wait
  p->set_limits(4, 1000);
  CHECK(p->decide(queue, 0).take == 4);  // now full
  p->set_limits(2, 0);
  CHECK(p->decide(queue, 0).take == 2);
  CHECK(p->batch_size_limit() == 2);
  CHECK(p->queue_delay_limit_us() == 0);
}

TEST_CASE("an unknown batching policy is refused with its name") {
  auto p = make_batching_policy({"fifo", 4, 0, 0});
  REQUIRE_FALSE(p);
  CHECK(p.error().message.find("'fifo'") != std::string::npos);
}
