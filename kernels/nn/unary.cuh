// unary.cuh: the CUDA launcher of the element-wise unary ops on float32 (Sqrt, Exp, Log, Neg,
// ..., ThresholdedRelu): unary_gpu.cpp binds nodes to it, unary.cu holds the kernel.
#pragma once

#include <cstdint>

#include "kernels/nn/gpu_common.cuh"

namespace hogar::nn::cuda {

/// Mirrors hogar::nn::unary_op (unary.hpp), in its order.
enum unary_kind : int {
  unary_sqrt = 0,
  unary_exp,
  unary_log,
  unary_neg,
  unary_abs,
  unary_reciprocal,
  unary_erf,
  unary_ceil,
  unary_floor,
  unary_round,
  unary_sign,
  unary_sin,
  unary_cos,
  unary_hard_sigmoid,
  unary_hard_swish,
  unary_mish,
  unary_selu,
  unary_elu,
  unary_celu,
  unary_softplus,
  unary_softsign,
  unary_thresholded_relu,
  unary_kind_count,
};

/// One node's function: the kind and its attributes, as unary.hpp's unary_function holds them
/// (alpha; beta is HardSigmoid's beta or Selu's gamma).
struct unary_params {
  int kind = unary_neg;
  float alpha = 0.0f;
  float beta = 0.0f;
};

/// y[i] = f(x[i]) for i < n; x may equal y (in place). An unknown kind is refused
/// (cudaErrorInvalidValue).
cudaError_t launch_unary(const unary_params& f, const float* x, float* y, std::int64_t n,
                         cudaStream_t stream);

} // namespace hogar::nn::cuda
