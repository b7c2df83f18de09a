#include "actors/tuner_actor.hpp"

#include <ctime>

#include <caf/event_based_actor.hpp>

#include "actors/errors.hpp"

namespace hogar {

namespace {

/// CPU time of the calling thread, nanoseconds: an actor's handler runs on one thread from
/// start to end, so the difference of two readings around it is the handler's own cost.
std::int64_t thread_cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

tuner_decision decided(const scheduling::tuning_policy& policy, scheduling::tuning_decision d,
                       std::int64_t started_cpu_ns) {
  tuner_decision out;
  out.decision = std::move(d);
  out.best = policy.best_estimate();
  out.tried = policy.configurations_tried();
  out.cpu_ns = thread_cpu_ns() - started_cpu_ns;
  return out;
}

} // namespace

caf::behavior tuner_actor(caf::stateful_actor<tuner_state>* self, tuner_init init) {
  auto started = thread_cpu_ns();
  auto policy = scheduling::make_tuning_policy(init.config);
  if (!policy) {
    self->quit(make_error(errc::internal, "tuner: " + policy.error().message));
    return {};
  }
  auto& st = self->state;
  st.policy = std::move(*policy);
  st.replica = init.replica;
  self->monitor(st.replica);
  self->set_down_handler([self](caf::down_msg& msg) {
    if (msg.source == self->state.replica.address())
      self->quit();
  });
  // A restarted tuner learns the windows seen so far; the replica keeps its configuration
  // until the next window closes. A new one starts from the graph file's configuration.
  if (init.history.empty()) {
    auto first = st.policy->start();
    self->send(st.replica, decided(*st.policy, std::move(first), started));
  } else {
    for (auto& w : init.history)
      st.policy->next(w);
  }
  return {
    [self](tuner_window_atom, const scheduling::window_observation& w) {
      auto cpu = thread_cpu_ns();
      auto& policy = *self->state.policy;
      auto d = policy.next(w);
      self->send(self->state.replica, decided(policy, std::move(d), cpu));
    },
  };
}

} // namespace hogar
