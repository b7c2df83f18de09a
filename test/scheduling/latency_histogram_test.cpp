#include "scheduling/latency_histogram.hpp"

#include <doctest/doctest.h>

using namespace hogar::scheduling;

TEST_CASE("latencies land in the bucket of their upper bound") {
  latency_histogram h;
  h.record(40'000);    // <= 50 us
  h.record(50'000);    // <= 50 us (bounds are inclusive)
  h.record(70'000);    // <= 100 us
  h.record(20'000'000'000); // above every bound
  auto c = h.counts();
  CHECK(c[0] == 2);
  CHECK(c[1] == 1);
  CHECK(c[latency_histogram::bucket_count - 1] == 1);
  CHECK(h.count() == 4);
  CHECK(h.sum_ns() == 40'000 + 50'000 + 70'000 + 20'000'000'000);
}

TEST_CASE("percentiles interpolate inside a bucket") {
  latency_histogram h;
  for (int i = 0; i < 100; ++i)
    h.record(75'000); // all in (50 us, 100 us]
  CHECK(latency_histogram::percentile_us(h.counts(), 50) == doctest::Approx(75));
  CHECK(latency_histogram::percentile_us(h.counts(), 100) == doctest::Approx(100));
  latency_histogram empty;
  CHECK(latency_histogram::percentile_us(empty.counts(), 99) == 0);
}

TEST_CASE("the rate window counts whole seconds and forgets old ones") {
  rate_window w;
  constexpr std::int64_t s = 1'000'000'000;
  for (int i = 0; i < 50; ++i)
    w.record(10 * s + i);
  for (int i = 0; i < 30; ++i)
    w.record(11 * s + i);
  CHECK(w.per_second(12 * s) == doctest::Approx(40));
  // Twenty quiet seconds later the window holds only zeros.
  CHECK(w.per_second(32 * s) == doctest::Approx(0));
}
