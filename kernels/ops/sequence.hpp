// sequence.hpp: the `sequence` kind, ARG's stateful test operator. Each call counts itself
// and answers the count so far (1, 2, 3, ...) as an int64 tensor [1] named `output_name`.
// Its state is that count: save_state() gives {"count": int64 [1]}, load_state() takes it.
// Through failover the answers stay exactly 1..N, each once, when the runtime keeps its
// promise (actors/operator_actor.hpp): a backup holds the count as of every released answer.
#pragma once

#include <memory>

#include "kernels/operation.hpp"

namespace hogar::ops {

result<std::unique_ptr<operation>> make_sequence(const graph::operator_spec& spec);
/// One int64 tensor [1].
result<record_signature> sequence_signature(const signature_call& call);

} // namespace hogar::ops
