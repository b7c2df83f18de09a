#include "scheduling/region_values.hpp"

#include <array>
#include <doctest/doctest.h>

using namespace hogar;
using namespace hogar::scheduling;

TEST_CASE("a measurement sets its configuration, and the region update moves only its neighbours") {
  auto g = tuning_grid::make({{"batch_size", 0, 10}, {"threads", 0, 10}});
  REQUIRE(g);
  region_values q{*g, 100.0};
  auto tried = g->index_of({5, 5});
  q.observe(tried, 40.0);
  CHECK(q.value(tried) == 40.0);
  CHECK(q.visits(tried) == 1);
  // The estimate says 50 everywhere: neighbours within 3 move 30% of the way there.
  q.spread(tried, 3.0, 0.7, [](std::size_t) { return 50.0; });
  CHECK(q.value(tried) == 40.0);
  CHECK(q.value(g->index_of({5, 8})) == doctest::Approx(85.0));
  CHECK(q.value(g->index_of({7, 7})) == doctest::Approx(85.0)); // distance 2.83
  CHECK(q.value(g->index_of({5, 9})) == 100.0);                 // distance 4: untouched
  CHECK(q.value(g->index_of({8, 8})) == 100.0);                 // distance 4.24
  CHECK(q.best() == tried);
}

TEST_CASE("the best configuration is the lowest value, ties to the most visited") {
  auto g = tuning_grid::make({{"a", 0, 3}});
  REQUIRE(g);
  region_values q{*g, 10.0};
  q.observe(2, 5.0);
  q.observe(1, 5.0);
  q.observe(1, 5.0);
  CHECK(q.best() == 1);
  q.observe(3, 4.0);
  CHECK(q.best() == 3);
}

TEST_CASE("Boltzmann sampling is deterministic for a seed and favours low latency") {
  std::array<double, 4> latency{10.0, 20.0, 40.0, 80.0};
  boltzmann_sampler a{42}, b{42};
  for (int i = 0; i < 100; ++i)
    CHECK(a.pick(latency, 0.1) == b.pick(latency, 0.1));
  boltzmann_sampler s{7};
  std::array<int, 4> counts{};
  for (int i = 0; i < 10'000; ++i)
    ++counts[s.pick(latency, 0.2)];
  // Preferences 1, 0.5, 0.25, 0.125: weights exp(0), exp(-2.5), exp(-3.75), exp(-4.375).
  CHECK(counts[0] > counts[1]);
  CHECK(counts[1] > counts[2]);
  CHECK(counts[2] > counts[3]);
  CHECK(counts[0] == doctest::Approx(10'000 * 1.0 / (1 + 0.0821 + 0.0235 + 0.0126)).epsilon(0.03));
  // Cold: nearly always the best; hot: nearly uniform.
  boltzmann_sampler cold{1}, hot{1};
  int best = 0, first = 0;
  for (int i = 0; i < 1000; ++i) {
    best += cold.pick(latency, 0.001) == 0;
    first += hot.pick(latency, 1000.0) == 0;
  }
  CHECK(best == 1000);
  CHECK(first == doctest::Approx(250).epsilon(0.2));
}

TEST_CASE("the sampler's uniform numbers lie between 0 (included) and 1 (excluded) and are spread") {
  boltzmann_sampler s{123};
  double sum = 0;
  for (int i = 0; i < 10'000; ++i) {
    auto u = s.uniform();
    CHECK(u >= 0.0);
    CHECK(u < 1.0);
    sum += u;
  }
  CHECK(sum / 10'000 == doctest::Approx(0.5).epsilon(0.02));
}
