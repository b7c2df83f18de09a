// optimize.hpp: device-independent rewrites that make a model cheaper to run and leave its
// results the same up to float rounding:
//   - a BatchNormalization after a Conv (its only reader) is folded into the Conv's weights and
//     bias: W' = W * s, B' = (B - mean) * s + beta with s = gamma / sqrt(var + epsilon);
//   - a Relu, LeakyRelu, Clip (constant bounds), Sigmoid or Tanh after a Conv or a Gemm (its
//     only reader) becomes that node's epilogue (kernels/nn/epilogue.hpp).
// The fast CPU path and the GPU run optimized models; the reference runs models as written,
// which is what makes it an oracle for the rewrites too.
#pragma once

#include <optional>
#include <vector>

#include "kernels/onnx/model_graph.hpp"

namespace hogar::onnx {

model_graph optimize(const model_graph& model);

/// The epilogue attributes (kernels/nn/epilogue.hpp) that fuse activation node `act` of `m`
/// into the node before it; nothing when it is no activation or cannot be fused (a Clip whose
/// bounds are not constants).
std::optional<std::vector<attribute>> epilogue_attributes(const model_graph& m, const node& act);

} // namespace hogar::onnx
