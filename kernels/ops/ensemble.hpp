// ensemble.hpp: the `ensemble` kind: combines competing predictions of the present inputs,
// each one's `tensor` (or its first tensor).
//   mean: elementwise mean, float32, named as the combined tensors (the first present input's
//         name); every shape must match.
//   vote: each input votes for the argmax of its tensor (flattened, first on ties); out:
//         {"label": int64 scalar, the label with most votes (lowest on ties); "votes": int64
//         scalar, its vote count}.
//   best: the whole record of the input whose tensor holds the highest value (the earliest
//         input on ties), plus {"source": int64 scalar, that input's index in `inputs:`}.
// With `selection: greedy` or `rafiki` only some inputs (members) run per request: a `select`
// operator (kernels/ops/select.hpp) gates them, with the settings read_ensemble_selection
// reads here; the ensemble combines whichever are present, as always.
#pragma once

#include <memory>
#include <string>

#include "kernels/operation.hpp"
#include "scheduling/ensemble_policy.hpp"

namespace hogar::ops {

result<std::unique_ptr<operation>> make_ensemble(const graph::operator_spec& spec);
/// mean: the combined tensor (float32); vote: label and votes (int64 scalars); best: the
/// winning input's record (any input may win) plus source (int64 scalar).
result<record_signature> ensemble_signature(const signature_call& call);

/// How an ensemble chooses its members: its `selection` and the policy settings.
struct ensemble_selection {
  std::string selection;
  scheduling::ensemble_config config;
};

/// The selection settings of a validated ensemble spec: `selection`, `accuracy` (one per
/// input), `beta`, `batch_sizes`, `seed`, and slo_ms as the objective. Refused
/// (invalid_argument, naming the ensemble and the field): selection all (its members always
/// run), an accuracy list whose length is not the inputs', no slo_ms, and what
/// make_ensemble_policy refuses.
result<ensemble_selection> read_ensemble_selection(const graph::operator_spec& ensemble);

} // namespace hogar::ops
