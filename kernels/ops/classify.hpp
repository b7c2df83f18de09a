// classify.hpp: the condition kinds `classify` and `threshold`. Both emit a bool scalar named
// condition_tensor_name ("condition") that operators downstream name in `when:`.
//
// classify reads a score vector (the `tensor` parameter, or the first tensor; any shape, read
// flattened; one score per entry of `labels`) and emits {"label": int64 scalar, the index of
// the best score (the first on ties); "score": float32 scalar, that score; "condition"}. The
// condition is score[label] >= threshold when `label` is set, else best score >= threshold.
//
// threshold tests every element of a tensor against `threshold`, strictly: `above` means
// x > threshold, `below` means x < threshold. reduce `any`: some element passes; `all`: every
// element passes; `mean`: the mean of the elements passes. An empty tensor is an error.
#pragma once

#include <memory>

#include "kernels/operation.hpp"

namespace hogar::ops {

result<std::unique_ptr<operation>> make_classify(const graph::operator_spec& spec);
result<std::unique_ptr<operation>> make_threshold(const graph::operator_spec& spec);
/// label (int64 scalar), score (float32 scalar), condition (bool scalar).
result<record_signature> classify_signature(const signature_call& call);
/// condition (bool scalar).
result<record_signature> threshold_signature(const signature_call& call);

} // namespace hogar::ops
