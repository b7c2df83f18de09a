#include "scheduling/latency_summary.hpp"

#include <doctest/doctest.h>

using namespace hogar::scheduling;

TEST_CASE("percentiles use the nearest rank") {
  std::vector<std::int64_t> samples;
  for (int i = 100; i >= 1; --i)
    samples.push_back(i * 1000);
  auto s = summarize_latencies(samples);
  CHECK(s.count == 100);
  CHECK(s.p50_us == doctest::Approx(50));
  CHECK(s.p90_us == doctest::Approx(90));
  CHECK(s.p99_us == doctest::Approx(99));
  CHECK(s.max_us == doctest::Approx(100));
  CHECK(s.min_us == doctest::Approx(1));
  CHECK(s.mean_us == doctest::Approx(50.5));
}

TEST_CASE("an empty sample set summarizes to zeros") {
  std::vector<std::int64_t> none;
  auto s = summarize_latencies(none);
  CHECK(s.count == 0);
  CHECK(s.p99_us == 0);
}

TEST_CASE("durations are printed with a unit that fits") {
  CHECK(format_duration_us(850) == "850.0 us");
  CHECK(format_duration_us(12500) == "12.50 ms");
  CHECK(format_duration_us(2.5e6) == "2.50 s");
}
