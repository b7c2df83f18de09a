// residual_fusion.hpp: the fast CPU path's plan-time fusion of residual Adds into the Conv
// or dense layer (MatMul by constant weights) before them, as ResNets, MobileNetV2 and most
// vision backbones end every block, and transformers every attention and feed-forward block:
//
//     y = Relu(Add(Conv(x), r))   becomes   y = Conv(x) with hogar_residual (input 3 = r) and
//                                                   hogar_activation Relu
//
// so that the sum and the activation happen while the Conv's output is in registers (oneDNN's
// sum post-op; for a MatMul the packed product's tile epilogue), instead of in two more
// passes over memory. It runs on a plan, not in optimize(), because it needs the shapes: an
// Add fuses only when both operands and its output have one shape (no broadcasting) and are
// float32, the Conv's (MatMul's) output is read by the Add alone (and is no graph output),
// and the node has no activation of its own (Relu(conv) + r is not conv + r then Relu). Of
// two nodes feeding one Add the later one takes the sum, so that the residual is computed
// before it. An activation after the Add fuses too when the Add is its only input's only
// reader.
//
// The GPU executor does not run it (its Conv and MatMul have no residual input): only
// cpu_executor calls it.
#pragma once

#include "kernels/onnx/plan.hpp"

namespace hogar::onnx {

/// Rewrites `p` in place; returns the number of Adds fused.
std::size_t fuse_residual_adds(plan& p);

} // namespace hogar::onnx
