// detected.hpp: the condition kind `detected`, which asks an object detector's decoded boxes
// whether something of a class was found ("is there a car?").
//
// Its input is the record of a detector model that ends in NonMaxSuppression. Per request that
// record holds `scores`, float32 [classes, boxes] (or [items, classes, boxes] for a request
// carrying a batch), and `selected`, int64 [k, 3]: the kept boxes as rows [item, class, box]
// (item is 0 for a request without a batch dimension; k may be 0). The boxes themselves are not
// read: a kept row and its score say all the condition needs.
//
// Parameters: `labels` (required) names the classes, one per class index; `label` is the class
// the condition asks about (empty: any label; one of `labels`, or the factory refuses it);
// `threshold` is the minimum score of a kept box to count (NaN refused); `selected` and
// `scores` name the two tensors.
//
// It emits {"detections": int64 scalar, the number of kept rows of `label` (of any label when
// empty) whose score >= threshold; "score": float32 scalar, the best such score (0 when none);
// "condition" (condition_tensor_name): bool scalar, detections > 0}.
//
// A request fails alone, with a message naming the tensor and what is wrong, when either tensor
// is missing (the message lists what the input holds), `selected` is not int64 [k, 3], `scores`
// is not float32 of rank 2 or 3, or a row names a class outside [0, labels) or outside the
// scores' class extent, a box outside their box extent, or an item outside their item extent
// (rank 3) or other than 0 (rank 2). Every row is checked, whatever its label.
#pragma once

#include <memory>

#include "kernels/operation.hpp"

namespace hogar::ops {

result<std::unique_ptr<operation>> make_detected(const graph::operator_spec& spec);
/// detections (int64 scalar), score (float32 scalar), condition (bool scalar); fails when the
/// input never holds `selected` or `scores`, when their dtypes or ranks are wrong, or when the
/// scores' class extent is fixed and differs from the number of labels.
result<record_signature> detected_signature(const signature_call& call);

} // namespace hogar::ops
