#include "scheduling/serving_simulator.hpp"

#include <doctest/doctest.h>

using namespace hogar;
using namespace hogar::scheduling;

namespace {

/// A synthetic machine: a batch of b takes 10 + b ms on one thread, 6 + 0.6 b ms on two.
service_profile synthetic_profile() {
  auto p = service_profile::from_lines({{1, 10.0, 1.0}, {2, 6.0, 0.6}});
  REQUIRE(p);
  return *p;
}

arrival_trace every(double seconds) { return arrival_trace{{seconds}}; }

serving_simulator make_simulator(arrival_trace trace, serving_options options = {2.0, 0, 0, 1}) {
  auto s = serving_simulator::make(synthetic_profile(), std::move(trace), options);
  REQUIRE(s);
  return std::move(*s);
}

} // namespace

TEST_CASE("at low load a request alone takes the service time") {
  auto sim = make_simulator(every(1.0));
  auto w = sim.run_window({1, 0, 1, 1}, 20);
  REQUIRE(w);
  CHECK(w->requests == 20);
  CHECK(w->config == std::vector<std::int64_t>{1, 0, 1, 1});
  CHECK(w->mean_latency_ms == doctest::Approx(11.0));
  CHECK(w->p99_latency_ms == doctest::Approx(11.0));
  CHECK(w->mean_batch_size == 1.0);
  // The window runs from the start to the 20th answer: 20 arrivals in 20.011 s.
  CHECK(w->seconds == doctest::Approx(20.011));
  CHECK(w->arrival_rate == doctest::Approx(20 / 20.011));
  // One thread busy 11 ms of every second.
  CHECK(w->cpu_cores == doctest::Approx(20 * 0.011 / 20.011));
  // Two threads: faster alone.
  auto two = sim.run_window({1, 0, 1, 2}, 20);
  REQUIRE(two);
  CHECK(two->mean_latency_ms == doctest::Approx(6.6));
  CHECK(two->cpu_cores == doctest::Approx(2 * 0.0066).epsilon(0.01));
}

TEST_CASE("a long queue delay at low load adds that delay") {
  auto sim = make_simulator(every(1.0));
  auto w = sim.run_window({8, 50'000, 1, 1}, 10);
  REQUIRE(w);
  CHECK(w->mean_latency_ms == doctest::Approx(61.0));
  CHECK(w->mean_batch_size == 1.0);
}

TEST_CASE("a full batch goes at once, before the queue delay") {
  // Four requests every 10 ms, batch 4, delay 1 s: the first batch goes when the fourth
  // arrives (40 ms) and takes 14 ms.
  auto sim = make_simulator(every(0.010));
  auto w = sim.run_window({4, 1'000'000, 1, 1}, 2);
  REQUIRE(w);
  CHECK(w->requests == 4); // the batch that reached 2 answers brought 4
  CHECK(w->mean_batch_size == 4.0);
  CHECK(w->mean_latency_ms == doctest::Approx((44 + 34 + 24 + 14) / 4.0));
  CHECK(sim.now_s() == doctest::Approx(0.054));
}

TEST_CASE("requests queued when a window ends carry over to the next") {
  auto sim = make_simulator(every(0.010));
  auto first = sim.run_window({4, 1'000'000, 1, 1}, 4);
  REQUIRE(first);
  // The request of 50 ms waits; the next window's configuration serves it at once (54 ms).
  CHECK(sim.queued() == 1);
  CHECK(sim.arrived() == 5);
  auto second = sim.run_window({1, 0, 1, 1}, 1);
  REQUIRE(second);
  CHECK(second->requests == 1);
  CHECK(second->mean_latency_ms == doctest::Approx(4 + 11));
  CHECK(sim.answered() == 5);
  // Nothing is lost: every arrival is answered, queued or running.
  for (int i = 0; i < 5; ++i)
    REQUIRE(sim.run_window({3, 5'000, 2, 1}, 37));
  CHECK(sim.arrived() == sim.answered() + sim.queued() + sim.in_service());
}

TEST_CASE("two instances with two threads each on two cores stretch each other") {
  // Requests arrive in pairs once a second.
  arrival_trace pairs{{1.0, 0.0}};
  auto sim = make_simulator(pairs);
  auto shared = sim.run_window({1, 0, 2, 2}, 20);
  REQUIRE(shared);
  // Four threads on two cores: both batches run at half speed, 2 x 6.6 ms.
  CHECK(shared->mean_latency_ms == doctest::Approx(13.2));
  auto one_thread = sim.run_window({1, 0, 2, 1}, 20);
  REQUIRE(one_thread);
  CHECK(one_thread->mean_latency_ms == doctest::Approx(11.0));
  auto one_instance = sim.run_window({1, 0, 1, 2}, 20);
  REQUIRE(one_instance);
  // One after the other: 6.6 and 13.2 ms.
  CHECK(one_instance->mean_latency_ms == doctest::Approx(9.9));
  // The busy cores never exceed the machine's.
  CHECK(shared->cpu_cores == doctest::Approx(2 * 0.0132).epsilon(0.01));
}

TEST_CASE("a batch started under contention speeds up when the other finishes") {
  // Two requests 3.3 ms apart, each alone a 6.6 ms batch on two threads; two cores.
  auto sim = make_simulator(arrival_trace{{1.0, 0.0033}});
  auto w = sim.run_window({1, 0, 2, 2}, 2);
  REQUIRE(w);
  // First: 3.3 ms alone, then its last 3.3 ms of work at half speed: done at 9.9 ms.
  // Second: 6.6 ms at half speed (3.3 ms of work), then 3.3 ms alone: 9.9 ms after it came.
  CHECK(w->mean_latency_ms == doctest::Approx(9.9));
  CHECK(w->p99_latency_ms == doctest::Approx(9.9));
}

TEST_CASE("at low load the long-run latency is the service time") {
  auto ms = expected_latency_ms(synthetic_profile(), {2.0, 0, 0, 1}, {1, 0, 1, 1}, 1.0, 5'000);
  REQUIRE(ms);
  CHECK(*ms == doctest::Approx(11.0).epsilon(0.02));
}

TEST_CASE("more instances help at high load") {
  // 80 requests/s against 11 ms batches of one: 88% busy on one instance.
  serving_options o{2.0, 0, 0, 5};
  auto one = expected_latency_ms(synthetic_profile(), o, {1, 0, 1, 1}, 80.0, 20'000);
  auto two = expected_latency_ms(synthetic_profile(), o, {1, 0, 2, 1}, 80.0, 20'000);
  REQUIRE(one);
  REQUIRE(two);
  CHECK(*one > 2 * 11.0);
  CHECK(*two < *one / 2);
  CHECK(*two > 11.0);
}

TEST_CASE("under overload the latency grows window after window") {
  // 150 requests/s; one instance answers 91/s with batches of one.
  auto trace = step_poisson_trace({1.0 / 150}, 200.0, 9);
  REQUIRE(trace);
  auto sim = make_simulator(std::move(*trace));
  double last = 0;
  std::size_t last_queue = 0;
  for (int i = 0; i < 5; ++i) {
    auto w = sim.run_window({1, 0, 1, 1}, 500);
    REQUIRE(w);
    CAPTURE(i);
    CHECK(w->mean_latency_ms > last + 1000.0);
    CHECK(sim.queued() > last_queue);
    CHECK(w->arrival_rate == doctest::Approx(150).epsilon(0.1));
    CHECK(w->cpu_cores == doctest::Approx(1.0).epsilon(0.01));
    last = w->mean_latency_ms;
    last_queue = sim.queued();
  }
  // Batching rescues it: batches of up to 16 serve 150/s with room to spare, and drain the
  // queue.
  for (int i = 0; i < 40; ++i)
    REQUIRE(sim.run_window({16, 0, 1, 1}, 500));
  auto w = sim.run_window({16, 0, 1, 1}, 500);
  REQUIRE(w);
  CHECK(w->mean_latency_ms < 100.0);
}

TEST_CASE("the same seed gives the same windows, noise included") {
  auto trace = step_poisson_trace({0.02}, 100.0, 4);
  REQUIRE(trace);
  serving_options noisy{2.0, 0.2, 30.0, 17};
  auto a = serving_simulator::make(synthetic_profile(), *trace, noisy);
  auto b = serving_simulator::make(synthetic_profile(), *trace, noisy);
  auto quiet = serving_simulator::make(synthetic_profile(), *trace, {2.0, 0, 30.0, 17});
  REQUIRE(a);
  REQUIRE(b);
  REQUIRE(quiet);
  for (int i = 0; i < 10; ++i) {
    std::vector<std::int64_t> config{1 + i % 4, 1000 * i, 1 + i % 2, 1 + i % 3 % 2};
    auto wa = a->run_window(config, 100);
    auto wb = b->run_window(config, 100);
    auto wq = quiet->run_window(config, 100);
    REQUIRE(wa);
    REQUIRE(wb);
    REQUIRE(wq);
    CHECK(wa->mean_latency_ms == wb->mean_latency_ms);
    CHECK(wa->p99_latency_ms == wb->p99_latency_ms);
    CHECK(wa->slo_violation_fraction == wb->slo_violation_fraction);
    CHECK(wa->seconds == wb->seconds);
    CHECK(wa->mean_latency_ms != wq->mean_latency_ms);
    CHECK(wa->mean_latency_ms == doctest::Approx(wq->mean_latency_ms).epsilon(0.25));
  }
}

TEST_CASE("the SLO violation fraction counts the requests over the objective") {
  // Pairs once a second on one instance with one thread: 11 ms and 22 ms.
  auto sim = make_simulator(arrival_trace{{1.0, 0.0}}, {2.0, 0, 15.0, 1});
  auto w = sim.run_window({1, 0, 1, 1}, 20);
  REQUIRE(w);
  CHECK(w->mean_latency_ms == doctest::Approx(16.5));
  CHECK(w->slo_violation_fraction == doctest::Approx(0.5));
  CHECK(w->p99_latency_ms == doctest::Approx(22.0));
}

TEST_CASE("the oracle picks the best static configuration for the rate") {
  auto grid = tuning_grid::make({{"batch_size", 1, 8},
                                 {"queue_delay_us", 0, 20'000},
                                 {"instances", 1, 2},
                                 {"intra_op_threads", 1, 2}},
                                2);
  REQUIRE(grid);
  REQUIRE(grid->size() == 16);
  serving_options o{2.0, 0, 0, 3};
  // Light load: no waiting, and the faster two-thread batches.
  auto light = oracle(synthetic_profile(), o, *grid, 5.0, 3'000);
  REQUIRE(light);
  CHECK(light->config[1] == 0);
  CHECK(light->config[3] == 2);
  CHECK(light->mean_latency_ms == doctest::Approx(6.6).epsilon(0.05));
  // 300 requests/s: no configuration with batches of one keeps up.
  auto heavy = oracle(synthetic_profile(), o, *grid, 300.0, 3'000);
  REQUIRE(heavy);
  CHECK(heavy->config[0] == 8);
  CHECK(heavy->observation.mean_batch_size > 1.5);
  for (std::size_t c = 0; c < grid->size(); ++c) {
    auto config = grid->values(c);
    auto ms = expected_latency_ms(synthetic_profile(), o, config, 300.0, 3'000);
    REQUIRE(ms);
    CHECK(*ms >= heavy->mean_latency_ms);
  }
}

TEST_CASE("the simulator refuses what it cannot simulate") {
  auto profile = synthetic_profile();
  CHECK_FALSE(serving_simulator::make(profile, arrival_trace{}, {}));
  CHECK_FALSE(serving_simulator::make(profile, arrival_trace{{0.0, 0.0}}, {}));
  CHECK_FALSE(serving_simulator::make(profile, arrival_trace{{1e-10, 1e-10}}, {}));
  CHECK_FALSE(serving_simulator::make(profile, every(1.0), {0.0, 0, 0, 1}));
  CHECK_FALSE(serving_simulator::make(profile, every(1.0), {1.0, 1.0, 0, 1}));
  auto sim = make_simulator(every(1.0));
  auto short_config = sim.run_window({1, 0, 1}, 1);
  REQUIRE_FALSE(short_config);
  CHECK(short_config.error().message.find("needs 4 values") != std::string::npos);
  auto no_instances = sim.run_window({1, 0, 0, 1}, 1);
  REQUIRE_FALSE(no_instances);
  CHECK(no_instances.error().message.find("instances=0") != std::string::npos);
  CHECK_FALSE(expected_latency_ms(profile, {}, {1, 0, 1, 1}, 0.0));
}
