// optimize.hpp: device-independent rewrites that make a model cheaper to run and leave its
// results the same up to float rounding:
//   - a BatchNormalization after a Conv (its only reader) is folded into the Conv's weights and
//     bias: W' = W * s, B' = (B - mean) * s + beta with s = gamma / sqrt(var + epsilon);
//   - a Relu, LeakyRelu, Clip (constant bounds), Sigmoid or Tanh after a Conv or a Gemm (its
//     only reader) becomes that node's epilogue (kernels/nn/epilogue.hpp).
// The fast CPU path and the GPU run optimized models; the reference runs models as written,
// which is what makes it an oracle for the rewrites too.
#pragma once

#include "kernels/onnx/model_graph.hpp"

namespace hogar::onnx {

model_graph optimize(const model_graph& model);

} // namespace hogar::onnx
