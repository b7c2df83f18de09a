// runtime_fixture.hpp: the fixture of the actor tests: an actor system (threaded, or CAF's
// deterministic test coordinator) and a graph deployed from YAML text.
#pragma once

#include <memory>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <caf/scoped_actor.hpp>
#include <doctest/doctest.h>

#include "actors/deployment.hpp"
#include "actors/errors.hpp"
#include "actors/system_config.hpp"
#include "graph/loader.hpp"
#include "graph/topology.hpp"

namespace hogar::test {

/// Loads and validates YAML text; a graph the test got wrong fails the test with the errors.
inline std::shared_ptr<const graph::topology> compile(const std::string& yaml) {
  auto loaded = graph::load_graph_text(yaml, "test.yaml");
  INFO(graph::to_string(loaded.errors));
  REQUIRE(loaded.ok());
  return std::make_shared<const graph::topology>(graph::build_topology(loaded.spec));
}

inline tensor scalar_input(float x) {
  return tensor::from_values<float>({1}, std::vector<float>{x});
}

/// An infer call's outcome, as the test sees it.
struct outcome {
  bool ok = false;
  infer_reply reply;
  errc code = errc::none;
  std::string error;

  const tensor* output(std::string_view name) const { return find_tensor(reply.outputs, name); }
};

/// An actor system on CAF's deterministic test coordinator: messages run when the test says
/// (sched.run()), and time moves only when it advances the clock.
struct coordinated_system {
  system_config cfg = [] {
    system_config c;
    system_config::use_test_coordinator(c);
    return c;
  }();
  caf::actor_system sys{cfg};
  caf::scheduler::test_coordinator& sched =
    dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler());

  /// The statistics of an ingress (ingress_stats) or of an operator replica (operator_stats).
  template <class Stats>
  Stats stats_of(const caf::actor& who) {
    auto out = std::make_shared<Stats>();
    sys.spawn([=](caf::event_based_actor* self) {
      self->request(who, caf::infinite, stats_atom::value).then([=](Stats& s) { *out = s; });
    });
    sched.run();
    return *out;
  }
};

struct threaded_runtime {
  system_config cfg;
  caf::actor_system sys{cfg};
  std::unique_ptr<deployment> dep;

  void deploy(const std::string& yaml, ingress_options options = {},
              operation_context context = {}) {
    auto started = deployment::start(sys, compile(yaml), options, context);
    INFO((started ? std::string{} : started.error().message));
    REQUIRE(started.has_value());
    dep = std::move(*started);
  }

  /// Sends one request and waits for its answer (at most 30 s: a hang fails the test).
  outcome infer(record inputs, std::int64_t timeout_ms = 0) {
    caf::scoped_actor self{sys};
    outcome result;
    self
      ->request(dep->ingress(), std::chrono::seconds(30), infer_atom::value,
                infer_request{std::move(inputs), timeout_ms, {}})
      .receive(
        [&](infer_reply& reply) {
          result.ok = true;
          result.reply = std::move(reply);
        },
        [&](caf::error& err) {
          result.code = code_of(err);
          result.error = message_of(err);
        });
    return result;
  }

  ~threaded_runtime() {
    if (dep)
      dep->stop();
  }
};

} // namespace hogar::test
