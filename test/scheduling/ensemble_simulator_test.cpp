// The ensemble simulator: one queue, members in parallel, simulated time; and the selections
// compared in it as bench/ensemble compares them, on a short sine.
#include <cmath>
#include <vector>

#include <doctest/doctest.h>

#include "scheduling/ensemble_simulator.hpp"

using namespace hogar::scheduling;

namespace {

constexpr std::int64_t ms = 1'000'000;

std::vector<ensemble_member_profile> two_members() {
  return {{"fast", {1, 10, 0}, 0.6}, {"slow", {1, 30, 0}, 0.7}};
}

std::unique_ptr<ensemble_policy> policy(std::string_view selection, std::vector<double> accuracy,
                                        double slo_ms, std::uint64_t seed = 1) {
  ensemble_config c;
  c.accuracy = std::move(accuracy);
  c.slo_us = static_cast<std::int64_t>(slo_ms * 1000);
  c.seed = seed;
  auto p = make_ensemble_policy(selection, c);
  REQUIRE(p);
  return std::move(*p);
}

} // namespace

TEST_CASE("the simulator refuses what it cannot simulate, naming it") {
  arrival_trace t{{0.1}};
  CHECK_FALSE(ensemble_simulator::make({}, t, {}));
  auto free = two_members();
  free[0].cost.fixed_ms = 0;
  CHECK(ensemble_simulator::make(free, t, {}).error().message.find("'fast'") !=
        std::string::npos);
  auto sure = two_members();
  sure[1].accuracy = 2;
  CHECK(ensemble_simulator::make(sure, t, {}).error().message.find("'slow'") !=
        std::string::npos);
  CHECK_FALSE(ensemble_simulator::make(two_members(), {}, {}));
  CHECK_FALSE(ensemble_simulator::make(two_members(), t, {0, 0, 1}));
  CHECK_FALSE(ensemble_simulator::make(two_members(), t, {100, 1, 1}));
  auto sim = ensemble_simulator::make(two_members(), t, {});
  REQUIRE(sim);
  auto three = policy("all", {0.6, 0.6, 0.6}, 100);
  CHECK_FALSE(sim->run(*three));
}

TEST_CASE("members run in parallel: a batch takes its slowest member's time") {
  // One request at 0.1 s, one at 1.1 s; objective 100 ms.
  auto sim = ensemble_simulator::make(two_members(), arrival_trace{{0.1, 1.0}}, {100, 0, 1});
  REQUIRE(sim);
  auto p = policy("all", {0.6, 0.7}, 100);
  auto served = sim->run(*p);
  REQUIRE(served);
  REQUIRE(served->size() == 2);
  // The first waits for a fuller batch while SLO-greedy batching (no latency known yet)
  // allows, until 90 ms, then both members run: 30 ms more.
  CHECK((*served)[0].latency_ns == 120 * ms);
  CHECK((*served)[0].members == 0b11);
  CHECK((*served)[0].accuracy == doctest::Approx(0.7));
  // The second goes at once: a full batch would now take too long to wait for.
  CHECK((*served)[1].latency_ns == 30 * ms);
  CHECK((*served)[1].arrival_ns == 1100 * ms);
}

TEST_CASE("a simulation is the same for the same seeds") {
  auto trace = diurnal_trace(100, 0.5, 4, 8, 3);
  REQUIRE(trace);
  auto sim = ensemble_simulator::make(two_members(), *trace, {100, 0.2, 3});
  REQUIRE(sim);
  auto a = policy("rafiki", {0.6, 0.7}, 100, 5);
  auto b = policy("rafiki", {0.6, 0.7}, 100, 5);
  auto first = sim->run(*a);
  auto second = sim->run(*b);
  REQUIRE(first);
  REQUIRE(second);
  REQUIRE(first->size() == second->size());
  for (std::size_t i = 0; i < first->size(); ++i) {
    CHECK((*first)[i].latency_ns == (*second)[i].latency_ns);
    CHECK((*first)[i].members == (*second)[i].members);
  }
}

TEST_CASE("under a sine load rafiki halves all's late requests at the peak and keeps its "
          "accuracy at the trough") {
  // bench/ensemble's members and load, one period of 20 s.
  std::vector<ensemble_member_profile> members{
    {"arima", {1, 1.5, 0.4}, 0.60},   {"lstm", {1, 6.0, 1.2}, 0.66},
    {"prophet", {1, 4.0, 0.8}, 0.62}, {"gbm", {1, 2.0, 0.5}, 0.64},
    {"transformer", {1, 12.0, 2.5}, 0.70}};
  const double period_s = 20, slo_ms = 120;
  auto trace = diurnal_trace(220, 0.8, period_s, period_s, 1);
  REQUIRE(trace);
  auto sim = ensemble_simulator::make(members, *trace, {slo_ms, 0.1, 1});
  REQUIRE(sim);
  struct figures {
    std::size_t peak_late = 0;
    double trough_accuracy = 0;
  };
  auto measure = [&](std::string_view selection) {
    auto p = policy(selection, {0.60, 0.66, 0.62, 0.64, 0.70}, slo_ms);
    auto served = sim->run(*p);
    REQUIRE(served);
    figures f;
    std::size_t trough = 0;
    for (auto& r : *served) {
      double phase = std::fmod(static_cast<double>(r.arrival_ns) * 1e-9 / period_s, 1.0);
      if (phase >= 0.125 && phase < 0.375 && r.latency_ns > slo_ms * ms)
        ++f.peak_late;
      if (phase >= 0.625 && phase < 0.875) {
        f.trough_accuracy += r.accuracy;
        ++trough;
      }
    }
    f.trough_accuracy /= static_cast<double>(trough);
    return f;
  };
  auto all = measure("all");
  auto rafiki = measure("rafiki");
  CHECK(all.peak_late > 1000);
  CHECK(rafiki.peak_late * 2 <= all.peak_late);
  CHECK(rafiki.trough_accuracy >= all.trough_accuracy - 0.02);
}
