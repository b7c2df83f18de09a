// model_tuning.hpp: live knobs, statistics windows and the tuner of a model operator replica
// (issue 10).
//
// Four knobs change while the replica serves, without a restart and without failing or
// reordering a request: batch_size and queue_delay_us (its batching policy's limits, used
// from the next decision on, queued requests included), instances (how many executor
// instances take batches: a worker past the count finishes its batch and takes no more) and
// intra_op_threads (each worker resizes its instance's pool before its next batch). Values
// stay within the bounds of the graph file's `tuning:` block; a knob it does not name cannot
// change.
//
// Every model replica measures windows (scheduling/window_meter.hpp); a replica with a
// learning policy (rrl, q_learning) sends each window to its tuner (actors/tuner_actor.hpp)
// and applies the configuration it answers.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/atom.hpp>

#include "actors/messages.hpp"
#include "base/result.hpp"
#include "scheduling/tuning_policy.hpp"
#include "scheduling/window_meter.hpp"

namespace hogar::graph {
struct operator_spec;
}

namespace hogar {

/// Anyone -> model replica: (set_knobs_atom, knob_request) -> std::string.
using set_knobs_atom = caf::atom_constant<caf::atom("setknobs")>;

/// The knobs `request` names, checked against `spec` (its tuning block's bounds), under their
/// canonical names (max_batch_size and max_queue_delay_us are taken for batch_size and
/// queue_delay_us, as the batching block spells them). Refused naming the operator and the
/// knob: an unknown knob, one the tuning block does not name, a value outside its bounds, a
/// knob given twice, an operator without a tuning block.
result<std::vector<knob_value>> check_knobs(const graph::operator_spec& spec,
                                            const std::vector<knob_value>& knobs);

/// "key=value" words (the CLI's `hogar tune set GRAPH OP batch_size=8 ...`), refused naming
/// the word that is not of that form or whose value is not an integer.
result<std::vector<knob_value>> parse_knob_words(const std::vector<std::string>& words);

/// What a model replica keeps for windows and tuning.
struct model_tuning {
  model_tuning(scheduling::window_limits limits, double slo_ms, std::int64_t now_ns)
    : meter(limits, slo_ms, now_ns) {}

  scheduling::window_meter meter;
  /// The tuner's configuration (absent: no learning policy, no tuner).
  std::optional<scheduling::tuning_policy_config> tuner_config;
  caf::actor tuner;
  /// Windows closed so far (bounded), replayed to a restarted tuner.
  std::vector<scheduling::window_observation> history;
  /// When the tuner crashed lately (actor clock, ns): too many crashes stop the tuning.
  std::vector<std::int64_t> crashes_ns;
  tuning_status status;
};

} // namespace hogar
