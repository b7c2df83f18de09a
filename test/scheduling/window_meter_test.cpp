#include "scheduling/window_meter.hpp"

#include <doctest/doctest.h>

using namespace hogar::scheduling;

namespace {
constexpr std::int64_t ms = 1'000'000;
}

TEST_CASE("a window closes after its answers or its time, and reports what happened in it") {
  window_meter m{{4, 1000 * ms}, 10.0, 0};
  CHECK_FALSE(m.due(5000 * ms));  // nothing answered: nothing to learn from
  for (int i = 0; i < 5; ++i)
    m.arrival();
  m.answered(2 * ms);
  m.answered(4 * ms);
  m.answered(12 * ms);  // over the 10 ms objective
  m.batch(2, 3 * ms);
  m.batch(1, 1 * ms);
  CHECK_FALSE(m.due(100 * ms));
  m.answered(6 * ms);
  CHECK(m.due(100 * ms));
  auto w = m.close(500 * ms, {8, 2000});
  CHECK(w.config == std::vector<std::int64_t>{8, 2000});
  CHECK(w.requests == 4);
  CHECK(w.seconds == doctest::Approx(0.5));
  CHECK(w.arrival_rate == doctest::Approx(10.0));
  CHECK(w.mean_latency_ms == doctest::Approx(6.0));
  CHECK(w.p99_latency_ms == doctest::Approx(12.0));
  CHECK(w.slo_violation_fraction == doctest::Approx(0.25));
  CHECK(w.mean_batch_size == doctest::Approx(1.5));
  CHECK(w.cpu_cores == doctest::Approx(0.008));
  // The next window starts empty at the close.
  CHECK(m.answers() == 0);
  m.answered(1 * ms);
  CHECK_FALSE(m.due(600 * ms));
  CHECK(m.due(1500 * ms));  // its time is up
  auto next = m.close(1500 * ms, {1, 0});
  CHECK(next.seconds == doctest::Approx(1.0));
  CHECK(next.arrival_rate == 0.0);
  CHECK(next.slo_violation_fraction == 0.0);
}

TEST_CASE("the p99 of a hundred answers is the 99th slowest") {
  window_meter m{{100, 0}, 0.0, 0};
  for (int i = 100; i >= 1; --i)
    m.answered(i * ms);
  auto w = m.close(1000 * ms, {});
  CHECK(w.p99_latency_ms == doctest::Approx(99.0));
  CHECK(w.slo_violation_fraction == 0.0);  // no objective
}
