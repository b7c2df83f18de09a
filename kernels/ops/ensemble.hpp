// ensemble.hpp: the `ensemble` kind: combines competing predictions of the present inputs,
// each one's `tensor` (or its first tensor).
//   mean: elementwise mean, float32, named as the combined tensors (the first present input's
//         name); every shape must match.
//   vote: each input votes for the argmax of its tensor (flattened, first on ties); out:
//         {"label": int64 scalar, the label with most votes (lowest on ties); "votes": int64
//         scalar, its vote count}.
//   best: the whole record of the input whose tensor holds the highest value (the earliest
//         input on ties), plus {"source": int64 scalar, that input's index in `inputs:`}.
#pragma once

#include <memory>

#include "kernels/operation.hpp"

namespace hogar::ops {

result<std::unique_ptr<operation>> make_ensemble(const graph::operator_spec& spec);
/// mean: the combined tensor (float32); vote: label and votes (int64 scalars); best: the
/// winning input's record (any input may win) plus source (int64 scalar).
result<record_signature> ensemble_signature(const signature_call& call);

} // namespace hogar::ops
