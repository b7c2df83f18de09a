#include "scheduling/tuning_grid.hpp"

#include <algorithm>
#include <cstdint>

#include <doctest/doctest.h>

using namespace hogar;
using namespace hogar::scheduling;

TEST_CASE("a tuning grid lays each knob out as evenly spaced integers between its bounds") {
  auto g = tuning_grid::make({{"batch_size", 1, 64}, {"queue_delay_us", 0, 20000}});
  REQUIRE(g);
  CHECK(g->dims() == 2);
  CHECK(g->size() == 121);
  auto& batch = g->values_of(0);
  REQUIRE(batch.size() == 11);
  CHECK(batch.front() == 1);
  CHECK(batch.back() == 64);
  CHECK(batch[5] == 33); // 1 + 63 * 5 / 10 = 32.5, rounded away from zero
  CHECK(g->values_of(1)[1] == 2000);
  // A range narrower than the point count: one point per integer, none repeated.
  auto small = tuning_grid::make({{"instances", 1, 4}, {"intra_op_threads", 2, 2}});
  REQUIRE(small);
  CHECK(small->values_of(0) == std::vector<std::int64_t>{1, 2, 3, 4});
  CHECK(small->values_of(1) == std::vector<std::int64_t>{2});
  CHECK(small->size() == 4);
}

TEST_CASE("grid indices, coordinates and values convert both ways") {
  auto g = tuning_grid::make({{"a", 0, 10}, {"b", 0, 100}, {"c", 1, 3}});
  REQUIRE(g);
  for (std::size_t i = 0; i < g->size(); ++i)
    CHECK(g->index_of(g->coords(i)) == i);
  auto i = g->index_of({2, 7, 1});
  CHECK(g->values(i) == std::vector<std::int64_t>{2, 70, 2});
  CHECK(g->nearest({2, 68, 2}) == i);
  CHECK(g->nearest({-5, 1000, 9}) == g->index_of({0, 10, 2})); // outside: the nearest bound
}

TEST_CASE("the region within a radius is the configurations at most that far in grid steps") {
  auto g = tuning_grid::make({{"a", 0, 10}, {"b", 0, 10}});
  REQUIRE(g);
  auto center = g->index_of({5, 5});
  auto region = g->within(center, 3);
  // Lattice points in a disc of radius 3: 29.
  CHECK(region.size() == 29);
  for (auto c : region)
    CHECK(g->distance(c, center) <= 3.0);
  CHECK(std::find(region.begin(), region.end(), center) != region.end());
  // At a corner only the quarter inside the grid remains.
  CHECK(g->within(g->index_of({0, 0}), 3).size() == 11);
  CHECK(g->within(center, 0) == std::vector<std::size_t>{center});
  CHECK(g->distance(g->index_of({0, 0}), g->index_of({3, 4})) == doctest::Approx(5.0));
}

TEST_CASE("a bad grid is refused with the knob and the reason") {
  auto reversed = tuning_grid::make({{"batch_size", 64, 1}});
  REQUIRE_FALSE(reversed);
  CHECK(reversed.error().message
        == "tuning knob 'batch_size': the bounds [64, 1] are reversed (the lower bound is above "
           "the upper)");
  CHECK_FALSE(tuning_grid::make({}));
  CHECK_FALSE(tuning_grid::make({{"", 1, 2}}));
  CHECK_FALSE(tuning_grid::make({{"a", 1, 2}}, 0));
  auto huge = tuning_grid::make({{"a", 0, 1000}, {"b", 0, 1000}, {"c", 0, 1000}}, 200, 1'000'000);
  REQUIRE_FALSE(huge);
  CHECK(huge.error().message.find("tuning knob 'c'") != std::string::npos);
  // Extreme bounds do not overflow.
  auto wide = tuning_grid::make({{"a", INT64_MIN / 2, INT64_MAX / 2}});
  REQUIRE(wide);
  CHECK(wide->values_of(0).front() == INT64_MIN / 2);
  CHECK(wide->values_of(0).back() == INT64_MAX / 2);
}
