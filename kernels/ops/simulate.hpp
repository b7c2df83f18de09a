// simulate.hpp: the `simulate` kind, simulated compute for tests and benchmarks. Each call
// costs cost_ms + cost_per_item_ms (one item per call until batching reaches operations):
// mode `sleep` returns the cost as op_output::hold, so the actor keeps the replica busy without
// holding a thread; mode `spin` burns the CPU for the cost inside run() and holds nothing.
// The output is the first present input (output_name empty) or one generated tensor whose
// values are a deterministic function of the inputs. fail_every = n fails every n-th call of
// this instance (calls counted from 1, failures return at once without spending the cost).
#pragma once

#include <memory>

#include "kernels/operation.hpp"

namespace hogar::ops {

result<std::unique_ptr<operation>> make_simulate(const graph::operator_spec& spec);
/// The generated tensor, or the record of the first input that is present.
result<record_signature> simulate_signature(const signature_call& call);

} // namespace hogar::ops
