#include "scheduling/tuning_policy.hpp"

#include <cmath>
#include <doctest/doctest.h>

using namespace hogar;
using namespace hogar::scheduling;

namespace {

tuning_policy_config config(const std::string& policy) {
  tuning_policy_config c;
  c.policy = policy;
  c.knobs = {{"batch_size", 1, 64}, {"queue_delay_us", 0, 20'000}};
  c.initial = {8, 2000};
  return c;
}

// The message make_tuning_policy refuses `c` with ("" when it accepts it).
std::string refusal(const tuning_policy_config& c) {
  auto p = make_tuning_policy(c);
  if (p)
    return "";
  CHECK(p.error().code == errc::invalid_argument);
  return p.error().message;
}

} // namespace

TEST_CASE("a window's cost is its mean latency plus the weighted objective and CPU terms") {
  window_observation w;
  w.mean_latency_ms = 12;
  w.slo_violation_fraction = 0.1;
  w.cpu_cores = 2.5;
  CHECK(window_cost(w, {}) == 12);
  CHECK(window_cost(w, {50, 2, 0}) == doctest::Approx(12 + 2 * 50 * 0.1));
  CHECK(window_cost(w, {50, 2, 4}) == doctest::Approx(12 + 10 + 4 * 2.5));
}

TEST_CASE("workload levels are log-spaced buckets of arrival rate") {
  // Level k holds [1.25^k, 1.25^(k+1)): 1.25^20 = 86.7, 1.25^21 = 108.4.
  CHECK(workload_level(90, 1.25) == 20);
  CHECK(workload_level(105, 1.25) == 20);
  CHECK(workload_level(110, 1.25) == 21);
  CHECK(workload_level(1000, 1.25) == 30);
  CHECK(workload_level(1000, 2) == 9);
  // Idle, or unmeasurable, counts as the floor of 1e-3 requests/s.
  CHECK(workload_level(0, 1.25) == workload_level(1e-3, 1.25));
  CHECK(workload_level(std::nan(""), 1.25) == workload_level(1e-3, 1.25));
}

TEST_CASE("make_tuning_policy builds the policy named, starting at the grid point nearest the initial configuration") {
  for (auto name : {"rrl", "q_learning", "static"}) {
    auto c = config(name);
    c.initial = {9, 2100};
    auto p = make_tuning_policy(c);
    REQUIRE(p);
    CHECK((*p)->name() == name);
    auto d = (*p)->start();
    CHECK(d.reason == "start");
    // Grid values: batch_size 1, 7, 14, ...; queue_delay_us 0, 2000, ...
    CHECK(d.config == std::vector<std::int64_t>{7, 2000});
    CHECK((*p)->best_estimate() == d.config);
    CHECK((*p)->configurations_tried() == 0);
  }
}

TEST_CASE("the static policy holds its configuration whatever it measures") {
  auto p = make_tuning_policy(config("static"));
  REQUIRE(p);
  auto start = (*p)->start();
  for (double latency : {5.0, 500.0, 50.0}) {
    window_observation w;
    w.config = {64, 0};
    w.requests = 10;
    w.arrival_rate = 100;
    w.mean_latency_ms = latency;
    auto d = (*p)->next(w);
    CHECK(d.config == start.config);
    CHECK(d.reason == "hold");
  }
  CHECK((*p)->configurations_tried() == 1);
}

TEST_CASE("a configuration reads as knob=value pairs") {
  auto g = tuning_grid::make({{"batch_size", 1, 64}, {"queue_delay_us", 0, 20'000}});
  REQUIRE(g);
  CHECK(describe(*g, {8, 2000}) == "batch_size=8, queue_delay_us=2000");
}

TEST_CASE("bad tuning configurations are refused naming the field") {
  CHECK(refusal(config("rrl")) == "");
  auto c = config("simulated_annealing");
  CHECK(refusal(c) == "tuning: unknown policy 'simulated_annealing' (rrl, q_learning or static)");

  c = config("rrl");
  c.initial = {8};
  CHECK(refusal(c) == "tuning: initial has 1 value, expected one per knob (2: batch_size, "
                      "queue_delay_us)");

  c = config("rrl");
  c.knobs[1] = {"queue_delay_us", 500, 100};
  CHECK(refusal(c).find("tuning: tuning knob 'queue_delay_us': the bounds [500, 100] are "
                        "reversed") == 0);
  c = config("rrl");
  c.knobs.clear();
  c.initial.clear();
  CHECK(refusal(c) == "tuning: a tuning grid needs at least one knob");

  c = config("rrl");
  c.rrl.temperature = 0;
  CHECK(refusal(c) == "tuning: rrl.temperature must be above 0, got 0");
  c = config("rrl");
  c.rrl.temperature_min = 1;
  CHECK(refusal(c) == "tuning: rrl.temperature_min must be above 0 and at most "
                      "rrl.temperature (0.4), got 1");
  c = config("rrl");
  c.rrl.temperature_decay = 1.5;
  CHECK(refusal(c) == "tuning: rrl.temperature_decay must be above 0 and at most 1, got 1.5");
  c = config("rrl");
  c.rrl.keep = -0.1;
  CHECK(refusal(c) == "tuning: rrl.keep must be between 0 and 1, got -0.1");
  c = config("rrl");
  c.rrl.guard_factor = 1;
  CHECK(refusal(c) == "tuning: rrl.guard_factor must be above 1, got 1");
  c = config("rrl");
  c.rrl.estimator.learning_rate = -1;
  CHECK(refusal(c) == "tuning: rrl.estimator.learning_rate must be above 0, got -1");

  c = config("q_learning");
  c.q_learning.epsilon = 1.5;
  CHECK(refusal(c) == "tuning: q_learning.epsilon must be between 0 and 1, got 1.5");
  c = config("q_learning");
  c.q_learning.epsilon_min = 0.3;
  CHECK(refusal(c) == "tuning: q_learning.epsilon_min must be between 0 and "
                      "q_learning.epsilon (0.2), got 0.3");
  c = config("q_learning");
  c.q_learning.alpha = 0;
  CHECK(refusal(c) == "tuning: q_learning.alpha must be above 0 and at most 1, got 0");

  c = config("static");
  c.level_ratio = 1;
  CHECK(refusal(c) == "tuning: level_ratio must be above 1 (e.g. 1.25), got 1");
  c = config("static");
  c.weights.slo_weight = -2;
  CHECK(refusal(c) == "tuning: weights.slo_weight must be at least 0, got -2");
  // A policy's settings are checked only when it is the one named.
  c = config("static");
  c.rrl.temperature = -1;
  c.q_learning.epsilon = 7;
  CHECK(refusal(c) == "");
}
