// merge.hpp: the `merge` kind, a join: the union of the present inputs' tensors in input
// order, condition verdicts ("condition") dropped. A name already taken by an earlier input is
// prefixed with its own input's name ("detector.scores"); tensors are shared, never copied.
#pragma once

#include <memory>

#include "kernels/operation.hpp"

namespace hogar::ops {

result<std::unique_ptr<operation>> make_merge(const graph::operator_spec& spec);

} // namespace hogar::ops
