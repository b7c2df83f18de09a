#include "scheduling/rrl_policy.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include <doctest/doctest.h>
#include <fmt/format.h>

using namespace hogar;
using namespace hogar::scheduling;

namespace {

// Two knobs of 11 points each: batch_size 1, 11, ..., 101 and queue_delay_us 0, 1000, ...
tuning_policy_config two_knobs(std::uint64_t seed) {
  tuning_policy_config c;
  c.policy = "rrl";
  c.knobs = {{"batch_size", 1, 101}, {"queue_delay_us", 0, 10'000}};
  c.initial = {1, 0};
  c.seed = seed;
  return c;
}

// Mean latency over a bowl in grid coordinates, lowest (10 ms) at `bottom`, 2 ms more per
// squared step, with +-5% of seeded noise.
struct bowl {
  std::vector<std::size_t> bottom;
  boltzmann_sampler noise{1000};

  double operator()(const tuning_grid& g, const std::vector<std::int64_t>& config) {
    auto at = g.coords(g.nearest(config));
    double squared = 0;
    for (std::size_t k = 0; k < at.size(); ++k) {
      auto d = static_cast<double>(at[k]) - static_cast<double>(bottom[k]);
      squared += d * d;
    }
    return (10 + 2 * squared) * (1 + 0.1 * (noise.uniform() - 0.5));
  }
};

window_observation window(std::vector<std::int64_t> config, double rate, double latency_ms) {
  window_observation w;
  w.config = std::move(config);
  w.requests = 100;
  w.seconds = 100 / rate;
  w.arrival_rate = rate;
  w.mean_latency_ms = latency_ms;
  return w;
}

// Runs `windows` windows at `rate` from `decision`; returns the last decision.
tuning_decision run(tuning_policy& p, bowl& cost, tuning_decision decision, double rate,
                    int windows) {
  for (int i = 0; i < windows; ++i)
    decision = p.next(window(decision.config, rate, cost(p.grid(), decision.config)));
  return decision;
}

std::unique_ptr<rrl_policy> make_rrl(const tuning_policy_config& c) {
  auto p = make_tuning_policy(c);
  REQUIRE(p);
  auto* rrl = dynamic_cast<rrl_policy*>(p->get());
  REQUIRE(rrl != nullptr);
  p->release();
  return std::unique_ptr<rrl_policy>{rrl};
}

} // namespace

TEST_CASE("RRL finds the bottom of a noisy bowl within a grid step in 40 windows") {
  double total = 0;
  for (std::uint64_t seed = 1; seed <= 6; ++seed) {
    CAPTURE(seed);
    auto p = make_rrl(two_knobs(seed));
    bowl cost{{7, 3}, boltzmann_sampler{seed + 100}};
    run(*p, cost, p->start(), 100, 40);
    auto& g = p->grid();
    auto distance = g.distance(g.nearest(p->best_estimate()), g.index_of({7, 3}));
    CHECK(distance <= 1.5);
    total += distance;
    // It learned from far fewer configurations than the grid holds.
    CHECK(p->configurations_tried() < 40);
  }
  CHECK(total / 6 <= 0.75);
}

TEST_CASE("the guard sends the next window back to the best configuration measured when the cost explodes") {
  auto p = make_rrl(two_knobs(3));
  bowl cost{{7, 3}};
  // The cost last measured at each configuration, as the guard keeps it.
  std::map<std::vector<std::int64_t>, double> measured;
  auto d = p->start();
  for (int i = 0; i < 30; ++i) {
    auto latency = cost(p->grid(), d.config);
    measured[d.config] = latency;
    d = p->next(window(d.config, 100, latency));
  }
  auto best = std::min_element(measured.begin(), measured.end(),
                               [](auto& a, auto& b) { return a.second < b.second; });
  // A window at the far corner costs 30 times the best.
  d = p->next(window({101, 10'000}, 100, 30 * best->second));
  CHECK(d.config == best->first);
  CHECK(d.reason.starts_with("guard: cost 30.0x the best ("));
  CHECK(d.reason.ends_with(fmt::format("ms), back to batch_size={}, queue_delay_us={}",
                                       best->first[0], best->first[1])));
  // Twice the best is within the guard's factor 3: no guard.
  d = p->next(window({101, 10'000}, 100, 2 * best->second));
  CHECK(!d.reason.starts_with("guard"));
}

TEST_CASE("RRL's decisions are always grid points, whatever the costs and configurations fed") {
  auto c = two_knobs(9);
  c.knobs = {{"batch_size", 1, 64}, {"queue_delay_us", 0, 7}, {"instances", 1, 3}};
  c.initial = {5, 3, 2};
  auto p = make_rrl(c);
  auto& g = p->grid();
  boltzmann_sampler random{77};
  auto d = p->start();
  for (int i = 0; i < 150; ++i) {
    auto index = g.nearest(d.config);
    REQUIRE(g.values(index) == d.config);
    for (std::size_t k = 0; k < g.dims(); ++k) {
      CHECK(d.config[k] >= c.knobs[k].lo);
      CHECK(d.config[k] <= c.knobs[k].hi);
    }
    // Wild costs (from 0 to a thousand times more) and, every tenth window, a configuration
    // off the grid and out of bounds.
    auto latency = i % 7 == 0 ? 0.0 : std::pow(10.0, 4 * random.uniform() - 1);
    auto config = i % 10 == 0 ? std::vector<std::int64_t>{1000, -5, 2} : d.config;
    d = p->next(window(config, 10 + 1000 * random.uniform(), latency));
  }
  CHECK(p->levels() > 5);
}

TEST_CASE("RRL keeps a table per workload level, each with its own best") {
  auto p = make_rrl(two_knobs(4));
  bowl light{{7, 3}}, heavy{{2, 8}};
  auto d = run(*p, light, p->start(), 100, 40);
  auto level_light = p->level();
  auto& g = p->grid();
  CHECK(g.distance(g.nearest(p->best_estimate()), g.index_of({7, 3})) <= 1.5);
  // The heavy level starts from what the light one taught, a bottom at the opposite corner,
  // and unlearns it: slower than from scratch (its first guesses there are wrong and the
  // guard cuts them short), so within two steps after 60 windows.
  run(*p, heavy, d, 1000, 60);
  CHECK(p->levels() == 2);
  CHECK(p->level() != level_light);
  CHECK(g.distance(g.nearest(p->best_estimate()), g.index_of({2, 8})) <= 2);
  // Back at the light load, its table still knows its own bottom.
  p->next(window(g.values(g.index_of({7, 3})), 100, 10));
  CHECK(p->level() == level_light);
  CHECK(g.distance(g.nearest(p->best_estimate()), g.index_of({7, 3})) <= 1.5);
}

TEST_CASE("a new workload level starts from the estimator's predictions, not from scratch") {
  auto p = make_rrl(two_knobs(5));
  bowl cost{{7, 3}};
  run(*p, cost, p->start(), 100, 40);
  auto first = p->level();
  // 130 requests/s is another level (ratio 1.25); its first window is at the far corner.
  auto& g = p->grid();
  p->next(window(g.values(g.index_of({0, 10})), 130, cost(g, g.values(g.index_of({0, 10})))));
  REQUIRE(p->level() != first);
  // Its table already points near the bottom, which nothing at this level measured.
  CHECK(g.distance(p->values()->best(), g.index_of({7, 3})) <= 2);
  CHECK(p->values()->visits(p->values()->best()) == 0);
}

TEST_CASE("a window without requests or without a finite cost holds the configuration and teaches nothing") {
  auto p = make_rrl(two_knobs(1));
  bowl cost{{7, 3}};
  auto d = run(*p, cost, p->start(), 100, 5);
  auto tried = p->configurations_tried();
  auto seen = p->estimator().observations();
  auto empty = window(d.config, 0, 0);
  empty.requests = 0;
  auto held = p->next(empty);
  CHECK(held.config == d.config);
  CHECK(held.reason == "hold: no request in the window");
  CHECK(p->configurations_tried() == tried);
  CHECK(p->estimator().observations() == seen);
  // Nor does a cost that is not a number.
  auto broken = window(d.config, 100, std::nan(""));
  held = p->next(broken);
  CHECK(held.config == d.config);
  CHECK(held.reason == "hold: the window's cost is not finite");
  CHECK(p->estimator().observations() == seen);
}

TEST_CASE("the temperature cools with each window of a level down to its floor, and restarts in a new level") {
  auto c = two_knobs(2);
  auto p = make_rrl(c);
  CHECK(p->temperature() == doctest::Approx(c.rrl.temperature));
  bowl cost{{7, 3}};
  auto d = run(*p, cost, p->start(), 100, 10);
  CHECK(p->temperature() == doctest::Approx(0.4 * std::pow(0.95, 10)));
  d = run(*p, cost, d, 100, 100);
  CHECK(p->temperature() == doctest::Approx(c.rrl.temperature_min));
  // Settled: nearly every decision now exploits.
  int exploit = 0;
  for (int i = 0; i < 20; ++i) {
    d = p->next(window(d.config, 100, cost(p->grid(), d.config)));
    exploit += d.reason == "exploit";
  }
  CHECK(exploit >= 18);
  run(*p, cost, d, 1000, 1);
  CHECK(p->temperature() == doctest::Approx(0.4 * 0.95));
}
