// merge.hpp: the `merge` kind, a join: the union of the present inputs' tensors in input
// order, condition verdicts ("condition") dropped. A name already taken by an earlier input is
// prefixed with its own input's name ("detector.scores"); tensors are shared, never copied.
#pragma once

#include <memory>

#include "kernels/operation.hpp"

namespace hogar::ops {

result<std::unique_ptr<operation>> make_merge(const graph::operator_spec& spec);
/// The union of the inputs' tensors as run() names them; a tensor of an input that may be
/// absent is optional, and a name two inputs may both hold appears under both names run() may
/// give it.
result<record_signature> merge_signature(const signature_call& call);

} // namespace hogar::ops
