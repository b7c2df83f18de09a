// The load driver against in-process deployments on the threaded scheduler: closed loop by
// count and by duration, open loop at a rate (which must not wait for answers), the progress
// callback, and the graph-named target form a daemon's node actor understands. Times are real,
// so rates are checked with tolerances; nothing sleeps, every run ends on its own condition.
#include "test/actors/runtime_fixture.hpp"

#include <algorithm>
#include <mutex>
#include <set>

#include <caf/event_based_actor.hpp>
#include <caf/response_promise.hpp>
#include <fmt/format.h>

#include "actors/load_driver.hpp"

using namespace hogar;
using namespace hogar::test;
using namespace std::chrono_literals;

namespace {

const std::string fast_graph = R"(
graph: fast
inputs: [{name: x, dtype: float32, shape: [1]}]
operators:
  - {name: model, kind: identity, inputs: [x]}
outputs: [{name: y, from: model}]
)";

/// Two replicas of 5 ms each: a closed loop of 4 keeps both busy and some requests queued.
const std::string paced_graph = R"(
graph: paced
inputs: [{name: x, dtype: float32, shape: [1]}]
operators:
  - {name: model, kind: simulate, inputs: [x], replicas: 2, params: {cost_ms: 5}}
outputs: [{name: y, from: model}]
)";

/// One replica serving 50 requests/s: offered 100/s, answers fall further and further behind.
const std::string slow_graph = R"(
graph: slow
inputs: [{name: x, dtype: float32, shape: [1]}]
operators:
  - {name: model, kind: simulate, inputs: [x], params: {cost_ms: 20}}
outputs: [{name: y, from: model}]
)";

load_plan plan_for(std::size_t requests) {
  load_plan plan;
  plan.inputs.push_back({{"x", scalar_input(1.0f)}});
  plan.inputs.push_back({{"x", scalar_input(2.0f)}});
  plan.requests = requests;
  return plan;
}

/// Every progress report the driver made, in order.
struct progress_log {
  std::mutex mutex;
  std::vector<load_progress> seen;

  std::function<void(const load_progress&)> callback() {
    return [this](const load_progress& p) {
      std::lock_guard<std::mutex> guard{mutex};
      seen.push_back(p);
    };
  }
};

/// A stand-in for a daemon's node actor: takes (infer_atom, graph, request) and forwards the
/// request to the ingress of the one graph it knows.
caf::actor spawn_forwarder(caf::actor_system& sys, caf::actor ingress, std::string graph) {
  return sys.spawn([ingress, graph](caf::event_based_actor* self) -> caf::behavior {
    return {
      [=](infer_atom, const std::string& name, infer_request& req) -> caf::result<infer_reply> {
        if (name != graph)
          return make_error(errc::not_found, fmt::format("graph '{}' is not deployed", name));
        auto promise = self->make_response_promise();
        promise.delegate(ingress, infer_atom::value, std::move(req));
        return promise;
      },
    };
  });
}

constexpr std::int64_t ns_per_ms = 1'000'000;

} // namespace

TEST_CASE("a closed loop sends exactly the requested count and never exceeds its concurrency") {
  threaded_runtime rt;
  rt.deploy(paced_graph);
  progress_log log;
  auto plan = plan_for(40);
  plan.concurrency = 4;
  plan.on_progress = log.callback();
  auto report = run_load(rt.sys, rt.dep->ingress(), plan);
  REQUIRE(report.outcomes.size() == 40);
  CHECK(report.failures() == 0);
  std::set<std::size_t> indices;
  for (auto& o : report.outcomes) {
    indices.insert(o.index);
    CHECK(o.latency_ns > 0);
    CHECK(o.send_offset_ns >= 0);
    CHECK(o.send_offset_ns + o.latency_ns <= report.wall_ns);
  }
  CHECK(indices.size() == 40);
  CHECK(*indices.rbegin() == 39);
  std::lock_guard<std::mutex> guard{log.mutex};
  REQUIRE(!log.seen.empty());
  for (auto& p : log.seen)
    CHECK(p.sent - p.answered <= 4);
  // The last report is the final state.
  CHECK(log.seen.back().sent == 40);
  CHECK(log.seen.back().answered == 40);
  CHECK(log.seen.back().failed == 0);
}

TEST_CASE("a closed loop bounded by a duration stops sending when the duration has passed") {
  threaded_runtime rt;
  rt.deploy(paced_graph);
  progress_log log;
  auto plan = plan_for(0);
  plan.concurrency = 2;
  plan.duration = 350ms;
  plan.on_progress = log.callback();
  auto report = run_load(rt.sys, rt.dep->ingress(), plan);
  CHECK(report.failures() == 0);
  // Two replicas of 5 ms for 350 ms: dozens of requests even on a loaded machine.
  CHECK(report.outcomes.size() >= 10);
  for (auto& o : report.outcomes)
    CHECK(o.send_offset_ns < 350 * ns_per_ms);
  CHECK(report.send_window_ns == 350 * ns_per_ms);
  CHECK(report.wall_ns >= 350 * ns_per_ms);
  std::lock_guard<std::mutex> guard{log.mutex};
  // Ticks at 100, 200 and 300 ms (a late timer may merge some) and the final report.
  CHECK(log.seen.size() >= 2);
  for (std::size_t i = 1; i < log.seen.size(); ++i) {
    CHECK(log.seen[i].elapsed >= log.seen[i - 1].elapsed);
    CHECK(log.seen[i].sent >= log.seen[i - 1].sent);
  }
}

TEST_CASE("an open loop sends at the target rate over its duration") {
  threaded_runtime rt;
  rt.deploy(fast_graph);
  auto plan = plan_for(0);
  plan.rate_per_second = 200;
  plan.duration = 1s;
  plan.seed = 7;
  auto report = run_load(rt.sys, rt.dep->ingress(), plan);
  CHECK(report.failures() == 0);
  INFO("sent ", report.outcomes.size(), " in ", report.wall_ns / ns_per_ms, " ms");
  // Poisson counts over 1 s at 200/s have a standard deviation of about 14.
  CHECK(report.outcomes.size() >= 150);
  CHECK(report.outcomes.size() <= 250);
  CHECK(report.send_window_ns == 1000 * ns_per_ms);
  CHECK(report.sent_per_second() >= 150);
  CHECK(report.sent_per_second() <= 250);
  // Arrivals spread over the whole second instead of bunching at its start. The schedule
  // keeps to the window; a driver that ran late sends a due arrival just after it.
  std::int64_t first_half = 0;
  for (auto& o : report.outcomes) {
    CHECK(o.scheduled_offset_ns < 1000 * ns_per_ms);
    CHECK(o.scheduled_offset_ns <= o.send_offset_ns);
    first_half += o.scheduled_offset_ns < 500 * ns_per_ms ? 1 : 0;
  }
  auto share = static_cast<double>(first_half) / static_cast<double>(report.outcomes.size());
  CHECK(share > 0.3);
  CHECK(share < 0.7);
}

TEST_CASE("an open loop keeps sending on schedule while earlier answers lag behind") {
  threaded_runtime rt;
  rt.deploy(slow_graph);
  auto plan = plan_for(0);
  plan.rate_per_second = 100;
  plan.duration = 1s;
  auto report = run_load(rt.sys, rt.dep->ingress(), plan);
  CHECK(report.failures() == 0);
  auto sent = report.outcomes.size();
  INFO("sent ", sent, ", wall ", report.wall_ns / ns_per_ms, " ms");
  CHECK(sent >= 70);
  CHECK(sent <= 130);
  CHECK(report.sent_per_second() >= 70);
  CHECK(report.sent_per_second() <= 130);
  // One replica answers at most 50 per second, so the answers end well after the sending.
  CHECK(report.wall_ns >= 1300 * ns_per_ms);
  // When the last request went out, a closed loop would have had at most its concurrency
  // outstanding; the open loop has about half of everything it sent.
  std::int64_t last_send = 0;
  for (auto& o : report.outcomes)
    last_send = std::max(last_send, o.send_offset_ns);
  std::size_t outstanding = 0;
  for (auto& o : report.outcomes)
    outstanding += o.send_offset_ns + o.latency_ns > last_send ? 1 : 0;
  CHECK(outstanding >= 20);
}

TEST_CASE("an open loop with a request count stops at the count and the same seed gives the same schedule") {
  threaded_runtime rt;
  rt.deploy(fast_graph);
  auto plan = plan_for(30);
  plan.rate_per_second = 1000;
  plan.seed = 11;
  auto first = run_load(rt.sys, rt.dep->ingress(), plan);
  CHECK(first.outcomes.size() == 30);
  CHECK(first.failures() == 0);
  CHECK(first.send_window_ns > 0);
  plan.requests = 0;
  plan.duration = 200ms;
  auto a = run_load(rt.sys, rt.dep->ingress(), plan);
  auto b = run_load(rt.sys, rt.dep->ingress(), plan);
  CHECK(a.outcomes.size() == b.outcomes.size());
  CHECK(a.outcomes.size() > 100);
}

TEST_CASE("a graph-named request reaches the graph through a target that forwards to its ingress") {
  threaded_runtime rt;
  rt.deploy(paced_graph);
  auto forwarder = spawn_forwarder(rt.sys, rt.dep->ingress(), "paced");
  auto plan = plan_for(20);
  plan.concurrency = 3;
  plan.graph = "paced";
  plan.keep_replies = 1;
  auto report = run_load(rt.sys, forwarder, plan);
  CHECK(report.outcomes.size() == 20);
  CHECK(report.failures() == 0);
  auto kept = std::count_if(report.outcomes.begin(), report.outcomes.end(),
                            [](auto& o) { return o.reply.has_value(); });
  CHECK(kept == 1);

  plan.graph = "missing";
  plan.requests = 3;
  auto missing = run_load(rt.sys, forwarder, plan);
  REQUIRE(missing.outcomes.size() == 3);
  CHECK(missing.failures() == 3);
  CHECK(missing.outcomes.front().error == "graph 'missing' is not deployed");
  caf::anon_send_exit(forwarder, caf::exit_reason::user_shutdown);
}
