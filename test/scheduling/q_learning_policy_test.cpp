#include "scheduling/q_learning_policy.hpp"

#include <cmath>
#include <doctest/doctest.h>

using namespace hogar;
using namespace hogar::scheduling;

namespace {

tuning_policy_config two_knobs(const std::string& policy, std::uint64_t seed) {
  tuning_policy_config c;
  c.policy = policy;
  c.knobs = {{"batch_size", 1, 101}, {"queue_delay_us", 0, 10'000}};
  c.initial = {1, 0};
  c.seed = seed;
  return c;
}

window_observation window(std::vector<std::int64_t> config, double rate, double latency_ms) {
  window_observation w;
  w.config = std::move(config);
  w.requests = 100;
  w.seconds = 100 / rate;
  w.arrival_rate = rate;
  w.mean_latency_ms = latency_ms;
  return w;
}

std::unique_ptr<tuning_policy> make(const tuning_policy_config& c) {
  auto p = make_tuning_policy(c);
  REQUIRE(p);
  return std::move(*p);
}

// The bowl of rrl_policy_test.cpp: lowest (10 ms) at grid point (7, 3), 2 ms more per squared
// step, +-5% seeded noise. Runs `windows` windows; returns the best estimate's distance from
// the bottom in grid steps, and adds the windows' costs to `spent`.
double descend(tuning_policy& p, std::uint64_t noise_seed, int windows, double& spent) {
  auto& g = p.grid();
  boltzmann_sampler noise{noise_seed};
  auto d = p.start();
  for (int i = 0; i < windows; ++i) {
    auto at = g.coords(g.nearest(d.config));
    auto dx = static_cast<double>(at[0]) - 7, dy = static_cast<double>(at[1]) - 3;
    auto latency = (10 + 2 * (dx * dx + dy * dy)) * (1 + 0.1 * (noise.uniform() - 0.5));
    spent += latency;
    d = p.next(window(d.config, 100, latency));
  }
  return g.distance(g.nearest(p.best_estimate()), g.index_of({7, 3}));
}

} // namespace

TEST_CASE("Q-learning averages repeated measurements and exploits the lowest") {
  auto c = two_knobs("q_learning", 1);
  c.q_learning.epsilon = 0;
  c.q_learning.epsilon_min = 0;
  auto p = make(c);
  CHECK(p->best_estimate() == std::vector<std::int64_t>{1, 0});
  auto d = p->next(window({51, 5000}, 100, 10));
  CHECK(d.config == std::vector<std::int64_t>{51, 5000});
  CHECK(d.reason == "exploit");
  p->next(window({51, 5000}, 100, 20)); // Q = 0.5 * 10 + 0.5 * 20 = 15
  d = p->next(window({11, 1000}, 100, 14));
  CHECK(d.config == std::vector<std::int64_t>{11, 1000});
  d = p->next(window({51, 5000}, 100, 11)); // Q = 0.5 * 15 + 0.5 * 11 = 13
  CHECK(d.config == std::vector<std::int64_t>{51, 5000});
  CHECK(p->best_estimate() == std::vector<std::int64_t>{51, 5000});
  CHECK(p->configurations_tried() == 2);
}

TEST_CASE("Q-learning explores a uniformly random configuration with probability epsilon") {
  auto c = two_knobs("q_learning", 5);
  c.q_learning.epsilon = 0.2;
  c.q_learning.epsilon_decay = 1;
  auto p = make(c);
  auto& g = p->grid();
  int explore = 0, corner = 0;
  auto d = p->start();
  for (int i = 0; i < 5000; ++i) {
    REQUIRE(g.values(g.nearest(d.config)) == d.config);
    d = p->next(window(d.config, 100, d.config == std::vector<std::int64_t>{1, 0} ? 5 : 50));
    explore += d.reason == "explore";
    corner += d.reason == "explore" && d.config == std::vector<std::int64_t>{101, 10'000};
  }
  CHECK(explore == doctest::Approx(1000).epsilon(0.1));
  // One grid point of 121: about 1000 / 121 of the random draws.
  CHECK(corner > 2);
  CHECK(corner < 20);
  // Every configuration the policy settles on is the one with the lowest cost.
  CHECK(p->best_estimate() == std::vector<std::int64_t>{1, 0});
}

TEST_CASE("epsilon decays with each window of a level down to its floor") {
  auto c = two_knobs("q_learning", 2);
  auto p = make(c);
  auto& q = dynamic_cast<q_learning_policy&>(*p);
  CHECK(q.epsilon() == doctest::Approx(0.2));
  for (int i = 0; i < 10; ++i)
    p->next(window({1, 0}, 100, 10));
  CHECK(q.epsilon() == doctest::Approx(0.2 * std::pow(0.98, 10)));
  for (int i = 0; i < 200; ++i)
    p->next(window({1, 0}, 100, 10));
  CHECK(q.epsilon() == doctest::Approx(c.q_learning.epsilon_min));
  p->next(window({1, 0}, 1000, 10));
  CHECK(q.levels() == 2);
  CHECK(q.epsilon() == doctest::Approx(0.2 * 0.98));
}

TEST_CASE("plain Q-learning finds the bottom of a noisy bowl more slowly and at a higher cost than RRL") {
  double rrl_distance = 0, q_distance = 0, rrl_spent = 0, q_spent = 0;
  for (std::uint64_t seed = 1; seed <= 6; ++seed) {
    CAPTURE(seed);
    auto rrl = make(two_knobs("rrl", seed));
    auto q = make(two_knobs("q_learning", seed));
    rrl_distance += descend(*rrl, seed + 100, 40, rrl_spent);
    q_distance += descend(*q, seed + 100, 40, q_spent);
  }
  // RRL ends within a step of the bottom on average; Q-learning, which learns nothing about a
  // configuration it has not measured, ends several steps away.
  CHECK(rrl_distance / 6 <= 1.0);
  CHECK(q_distance / 6 >= 2.0);
  CHECK(rrl_distance * 3 < q_distance);
  CHECK(rrl_spent < q_spent);
}

TEST_CASE("Q-learning keeps a table per workload level") {
  auto c = two_knobs("q_learning", 3);
  c.q_learning.epsilon = 0;
  c.q_learning.epsilon_min = 0;
  auto p = make(c);
  auto& q = dynamic_cast<q_learning_policy&>(*p);
  p->next(window({11, 1000}, 100, 10));
  p->next(window({91, 9000}, 100, 30));
  p->next(window({11, 1000}, 1000, 40));
  p->next(window({91, 9000}, 1000, 20));
  CHECK(q.levels() == 2);
  CHECK(p->best_estimate() == std::vector<std::int64_t>{91, 9000});
  p->next(window({51, 5000}, 100, 15));
  CHECK(p->best_estimate() == std::vector<std::int64_t>{11, 1000});
  CHECK(p->configurations_tried() == 3);
}
