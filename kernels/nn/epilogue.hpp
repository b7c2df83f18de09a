// epilogue.hpp: work optimize() fuses into the node before it (Conv, Gemm, MatMul): an
// activation applied to every output element right after it is computed, instead of in a
// pass of its own over memory.
//
// The fusion is written into the node as attributes with a "hogar_" prefix, so a fused model
// is still a model_graph that every executor and the reference can run:
//   hogar_activation  STRING  Relu | LeakyRelu | Clip | Sigmoid | Tanh | Silu | Gelu
//                             (Silu: x * sigmoid(x), from Mul(x, Sigmoid(x)); Gelu: the erf
//                             form, 0.5 * x * (1 + erf(x / sqrt(2))))
//   hogar_alpha       FLOAT   LeakyRelu's alpha
//   hogar_min         FLOAT   Clip's lower bound (default: -inf)
//   hogar_max         FLOAT   Clip's upper bound (default: +inf)
//   hogar_residual    INT     1: a Conv's input 3, of the output's shape, is added before the
//                             activation, Y = act(conv(X) + B + R): a residual Add fused into
//                             the Conv by the CPU path's plan (fuse_residual_adds)
//   hogar_precision   STRING  fp32 | bf16: a Conv's or Gemm's arithmetic (precision_attr)
//   hogar_bias        INT     1: a MatMul's input 2 holds N values added to every row of the
//                             product before the activation (a bias Add fused by optimize())
//   hogar_scale       FLOAT   a MatMul's product is multiplied by it (attention's Div by
//                             sqrt(head size)); with
//   hogar_mask        INT     1: the MatMul's last input, broadcast to the product's shape, is
//                             added after the scale (attention's mask), and
//   hogar_softmax     INT     1: each row of the result becomes its softmax: the three fused
//                             into attention's scores MatMul by the CPU path's plan
//                             (fuse_attention_softmax)
//   hogar_perm_a      INTS    a MatMul's input 0 is a Transpose's input and A that Transpose
//   hogar_perm_b      INTS    the same for input 1
//   hogar_perm_y      INTS    the MatMul's output is its product transposed by this perm: the
//                             Transposes around attention's products folded in by the CPU
//                             path's plan (fuse_attention_transposes)
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string_view>

#include "kernels/onnx/model_graph.hpp"
#include "base/result.hpp"

namespace hogar::nn {

inline constexpr std::string_view fused_activation_attr = "hogar_activation";
inline constexpr std::string_view fused_alpha_attr = "hogar_alpha";
inline constexpr std::string_view fused_min_attr = "hogar_min";
inline constexpr std::string_view fused_max_attr = "hogar_max";
inline constexpr std::string_view fused_residual_attr = "hogar_residual";
inline constexpr std::string_view fused_bias_attr = "hogar_bias";
inline constexpr std::string_view fused_scale_attr = "hogar_scale";
inline constexpr std::string_view fused_mask_attr = "hogar_mask";
inline constexpr std::string_view fused_softmax_attr = "hogar_softmax";
inline constexpr std::string_view fused_perm_a_attr = "hogar_perm_a";
inline constexpr std::string_view fused_perm_b_attr = "hogar_perm_b";
inline constexpr std::string_view fused_perm_y_attr = "hogar_perm_y";
/// Set by the executor on a model served with `precision: bf16` (executor_options): "bf16"
/// makes oneDNN's Conv and Gemm read their input and weights as bfloat16 (AMX or
/// AVX512-BF16), their output still float32.
inline constexpr std::string_view precision_attr = "hogar_precision";
/// The input a fused residual comes in as.
inline constexpr std::size_t residual_input = 3;

enum class activation : std::uint8_t { none, relu, leaky_relu, clip, sigmoid, tanh, silu, gelu };

struct epilogue {
  activation kind = activation::none;
  float alpha = 0.01f;
  float min = -std::numeric_limits<float>::infinity();
  float max = std::numeric_limits<float>::infinity();
};

/// The epilogue a node carries (activation::none when it has none); fails naming the node for
/// an unknown activation.
result<epilogue> epilogue_of(const onnx::node& n);

inline float apply(const epilogue& e, float x) noexcept {
  switch (e.kind) {
    case activation::none: return x;
    case activation::relu: return x > 0.0f ? x : 0.0f;
    case activation::leaky_relu: return x >= 0.0f ? x : e.alpha * x;
    case activation::clip: return std::min(std::max(x, e.min), e.max);
    case activation::sigmoid: return 1.0f / (1.0f + std::exp(-x));
    case activation::tanh: return std::tanh(x);
    case activation::silu: return x / (1.0f + std::exp(-x));
    case activation::gelu: return 0.5f * x * (1.0f + std::erf(x * 0.70710678118654752f));
  }
  return x;
}

/// Applies the epilogue to n contiguous values in place (vectorisable for relu and clip).
void apply(const epilogue& e, float* data, std::int64_t n) noexcept;

} // namespace hogar::nn
