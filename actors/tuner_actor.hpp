// tuner_actor.hpp: the online tuner of one model operator replica (issue 10).
//
// The replica closes a statistics window (scheduling/window_meter.hpp) and sends it here; the
// tuner steps its policy (scheduling/tuning_policy.hpp: rrl, q_learning or static) and
// answers the configuration for the next window. Everything it learns lives in the policy;
// the actor only feeds it and sends its decisions, and measures its own CPU time so that
// status can show what tuning costs.
//
// The replica supervises it: it monitors the tuner, starts a new one when it crashes (replaying
// the windows seen so far, so nothing learnt is lost), and keeps serving with the
// configuration in force meanwhile. The tuner monitors the replica and goes with it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/stateful_actor.hpp>

#include "scheduling/tuning_policy.hpp"

namespace hogar {

/// Replica -> tuner: (tuner_window_atom, scheduling::window_observation).
using tuner_window_atom = caf::atom_constant<caf::atom("twindow")>;
/// Anyone -> model replica: (tuner_atom) -> caf::actor, its tuner (tests crash it).
using tuner_atom = caf::atom_constant<caf::atom("tuner")>;

/// Tuner -> replica: the configuration for the next window.
struct tuner_decision {
  scheduling::tuning_decision decision;
  /// The policy's estimate of the best configuration, and configurations measured so far.
  std::vector<std::int64_t> best;
  std::uint64_t tried = 0;
  /// CPU time the tuner spent on this decision, nanoseconds.
  std::int64_t cpu_ns = 0;
};

struct tuner_init {
  scheduling::tuning_policy_config config;
  /// Windows seen before (a restarted tuner learns them again before it decides).
  std::vector<scheduling::window_observation> history;
  /// The replica it tunes: answers go there, and the tuner ends with it.
  caf::actor replica;
};

struct tuner_state {
  std::unique_ptr<scheduling::tuning_policy> policy;
  caf::actor replica;
  static inline const char* name = "hogar.tuner";
};

/// Fails (quits with the error) when the configuration makes no policy; the replica was given
/// a validated spec, so that is a bug, reported as such.
caf::behavior tuner_actor(caf::stateful_actor<tuner_state>* self, tuner_init init);

} // namespace hogar

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(hogar::tuner_decision)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(hogar::scheduling::window_observation)
