// optimize.hpp: device-independent rewrites that make a model cheaper to run and leave its
// results the same up to float rounding:
//   - a BatchNormalization after a Conv (its only reader) is folded into the Conv's weights and
//     bias: W' = W * s, B' = (B - mean) * s + beta with s = gamma / sqrt(var + epsilon);
//   - LayerNorm spelled out as torch.onnx exports it before opset 17 (ReduceMean over the
//     last axis, Sub, Pow 2 or Mul by itself, ReduceMean, Add epsilon, Sqrt, Div, then a
//     constant Mul and Add when present) becomes one LayerNormalization (axis -1);
//   - Gelu spelled with Erf (x * (Erf(x / sqrt 2) + 1) * 0.5, either product first) becomes
//     one Gelu node;
//   - SiLU after a Conv or Gemm (x * Sigmoid(x), x read by nothing else) becomes its "Silu"
//     epilogue;
//   - MatMul(A, W) + b with W a constant matrix and b a constant of W's columns becomes the
//     MatMul with a fused bias (hogar_bias);
//   - a Relu, LeakyRelu, Clip (constant bounds), Sigmoid, Tanh or Gelu (erf form) after a
//     Conv, a Gemm or a MatMul with constant float32 B (its only reader) becomes that node's
//     epilogue (kernels/nn/epilogue.hpp).
// Every rewrite needs the values in between to have no reader outside the pattern (graph
// outputs count as readers) and the constants it folds to be initializers; otherwise the
// nodes stay as written.
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
