// dropout.hpp: Dropout at inference, where it drops nothing: output 0 is input 0, a view like
// Identity's (plans give it its input's storage and run nothing), and the optional mask
// output is all true (bool from opset 10, the data's type as 1.0 before). When a node names
// its mask, the plan runs its kernel instead, which copies the data and fills the mask.
//
// Training mode, whose output is random, is refused: is_test 0 before opset 7, and from
// opset 12 a training_mode input that is not a constant false. The ratio is read nowhere: it
// matters only in training.
#pragma once

#include <span>
#include <vector>

#include "kernels/nn/op.hpp"

namespace hogar::nn {

result<std::vector<value_type>> infer_dropout(const node_view& view);
/// Copies input 0 to output 0 and fills the mask, when the node names it, with ones.
result<cpu_kernel> bind_dropout_reference(const node_view& view,
                                          std::span<const value_type> outputs);

} // namespace hogar::nn
