// unary.cu: the element-wise unary ops on float32, one grid-stride kernel that switches on
// the function. The switch is on a kernel argument, the same for every thread, so it costs a
// branch per element the predictor never misses next to a memory-bound loop. The formulas
// are unary.hpp's, with the same comparisons, so that NaN and infinities come out as on the
// CPU.
#include "kernels/nn/unary.cuh"

namespace hogar::nn::cuda {

namespace {

/// max(0, min(1, v)), NaN kept.
__device__ __forceinline__ float unit_clamp(float v) {
  return v < 0.0f ? 0.0f : (v > 1.0f ? 1.0f : v);
}

/// log(1 + e^x) without overflow for large x.
__device__ __forceinline__ float softplus(float x) {
  return x > 0.0f ? x + log1pf(expf(-x)) : log1pf(expf(x));
}

__device__ __forceinline__ float unary_value(const unary_params& f, float x) {
  switch (f.kind) {
    case unary_sqrt: return sqrtf(x);
    case unary_exp: return expf(x);
    case unary_log: return logf(x);
    case unary_neg: return -x;
    case unary_abs: return fabsf(x);
    case unary_reciprocal: return 1.0f / x;
    case unary_erf: return erff(x);
    case unary_ceil: return ceilf(x);
    case unary_floor: return floorf(x);
    // rintf rounds halves to even.
    case unary_round: return rintf(x);
    case unary_sign: return x > 0.0f ? 1.0f : (x < 0.0f ? -1.0f : (x == 0.0f ? 0.0f : x));
    case unary_sin: return sinf(x);
    case unary_cos: return cosf(x);
    case unary_hard_sigmoid: return unit_clamp(f.alpha * x + f.beta);
    case unary_hard_swish: return x * unit_clamp(x * (1.0f / 6.0f) + 0.5f);
    case unary_mish: return x * tanhf(softplus(x));
    case unary_selu: return x > 0.0f ? f.beta * x : f.beta * f.alpha * expm1f(x);
    case unary_elu: return x >= 0.0f ? x : f.alpha * expm1f(x);
    case unary_celu: return x > 0.0f ? x : f.alpha * expm1f(x / f.alpha);
    case unary_softplus: return softplus(x);
    case unary_softsign: return x / (1.0f + fabsf(x));
    case unary_thresholded_relu: return x <= f.alpha ? 0.0f : x;
    default: return x;
  }
}

__global__ void unary_kernel(unary_params f, const float* x, float* y, std::int64_t n) {
  for (std::int64_t i = global_index(); i < n; i += grid_stride())
    y[i] = unary_value(f, x[i]);
}

} // namespace

cudaError_t launch_unary(const unary_params& f, const float* x, float* y, std::int64_t n,
                         cudaStream_t stream) {
  if (f.kind < 0 || f.kind >= unary_kind_count)
    return cudaErrorInvalidValue;
  if (n <= 0)
    return cudaSuccess;
  unary_kernel<<<grid_blocks(n), block_threads, 0, stream>>>(f, x, y, n);
  return cudaGetLastError();
}

} // namespace hogar::nn::cuda
