// ensemble_fixture.hpp: the four members the ensemble selection tests share, and teaching a
// policy their latencies.
#pragma once

#include <cstdint>
#include <vector>

#include <doctest/doctest.h>

#include "scheduling/ensemble_policy.hpp"

namespace hogar::scheduling::test {

inline constexpr std::int64_t ms = 1'000'000;

/// Members 0, 1, 2 fast (5 ms whatever the batch; taught below), 3 slow (40 ms); objective
/// 100 ms. Without member 3 the best subset is 0, 1 and 2 together (a majority of three).
inline ensemble_config four_members(std::uint64_t seed = 1) {
  ensemble_config c;
  c.accuracy = {0.65, 0.70, 0.70, 0.80};
  c.slo_us = 100'000;
  c.batch_sizes = {1, 2, 4, 8};
  c.seed = seed;
  return c;
}

/// Teaches a policy its members' latencies: member m takes latency_ms[m] at every size.
inline void teach(ensemble_policy& p, const std::vector<double>& latency_ms) {
  ensemble_outcome o;
  o.members = p.everyone();
  for (std::int64_t items : {1, 8}) {
    o.requests = static_cast<std::size_t>(items);
    o.member_latency_ns.clear();
    for (auto l : latency_ms)
      o.member_latency_ns.push_back(static_cast<std::int64_t>(l * ms));
    p.observe(o);
  }
}

} // namespace hogar::scheduling::test
