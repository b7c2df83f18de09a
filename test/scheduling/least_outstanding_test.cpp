#include "scheduling/least_outstanding.hpp"

#include <array>
#include <vector>

#include <doctest/doctest.h>

using hogar::scheduling::least_outstanding;

TEST_CASE("the replica with the fewest outstanding requests is picked") {
  least_outstanding policy;
  std::array<int, 3> counts{4, 1, 3};
  for (int i = 0; i < 5; ++i)
    CHECK(policy.pick(std::span<const int>{counts}) == 1);
}

TEST_CASE("equally loaded replicas take turns") {
  least_outstanding policy;
  std::array<int, 3> counts{0, 0, 0};
  std::vector<int> picked(3, 0);
  for (int i = 0; i < 30; ++i)
    ++picked[policy.pick(std::span<const int>{counts})];
  CHECK(picked == std::vector<int>{10, 10, 10});
}

TEST_CASE("a single replica is always chosen") {
  least_outstanding policy;
  std::array<int, 1> counts{100};
  CHECK(policy.pick(std::span<const int>{counts}) == 0);
}
