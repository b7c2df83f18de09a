// simd.hpp: four-float vectors for the element-wise loops of the fast CPU kernels (bias and
// epilogue after a product, activations, batch norm, pooling sums).
//
// hogar builds with -O2 and no -march. Its kernels are compiled with GCC's dynamic cost model
// for the vectoriser (kernels/CMakeLists.txt), so that plain loops with a scalar tail become
// SSE too; but whether GCC vectorises a loop stays its guess, and a scalar Relu branches on the
// sign of each value (half of them mispredicted on real data). These GCC/Clang vector
// extensions spell the vector form out at the width every x86-64 has (one SSE register; one
// NEON register on ARM). Wider types would be emulated there, and GCC lowers their selects
// lane by lane through the stack, slower than scalar code. Comparisons and selects are
// lane-wise and branch-free. The loops whose cost is arithmetic (Gelu, SiLU, the sigmoid,
// softmax's e^x) run eight floats at a time with FMA where the CPU has AVX2
// (simd_avx2.cpp, the one file compiled for it; avx2_loops() decides at run time).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "kernels/nn/epilogue.hpp"
#include "kernels/nn/simd_math.hpp"

namespace hogar::nn::simd {

using float4 = float __attribute__((vector_size(16)));
using int4 = std::int32_t __attribute__((vector_size(16)));
inline constexpr std::int64_t width = 4;

inline float4 load(const float* p) noexcept {
  float4 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline void store(float* p, float4 v) noexcept { std::memcpy(p, &v, sizeof v); }
inline float4 splat(float x) noexcept { return math::splat<float4>(x); }
/// std::max and std::min lane by lane, NaN handling included (a NaN `a` is kept).
inline float4 max(float4 a, float4 b) noexcept { return math::max(a, b); }
inline float4 min(float4 a, float4 b) noexcept { return math::min(a, b); }
/// x > 0 ? x : 0 lane by lane (a NaN becomes 0, as in epilogue.hpp's Relu).
inline float4 relu(float4 x) noexcept {
  const float4 zero = splat(0.0f);
  return x > zero ? x : zero;
}

/// e^x, erf, Gelu, SiLU and the sigmoid lane by lane: simd_math.hpp's formulas (exp within 2
/// ulp of std::exp, erf within 5e-7).
inline float4 exp(float4 x) noexcept { return math::exp(x); }
inline float4 erf(float4 x) noexcept { return math::erf(x); }
inline float4 gelu(float4 x) noexcept { return math::gelu(x); }
inline float4 silu(float4 x) noexcept { return math::silu(x); }
inline float4 sigmoid(float4 x) noexcept { return math::sigmoid(x); }

/// Whether the eight-float AVX2 loops below (simd_avx2.cpp) run here: the CPU has AVX2 and
/// FMA, and ONEDNN_MAX_CPU_ISA (or DNNL_MAX_CPU_ISA), the variable that caps oneDNN's kernels,
/// does not cap the CPU below AVX2 (SSE41, AVX): hogar's kernels keep to the same cap.
bool avx2_loops() noexcept;

namespace avx2 {
/// y[i] = activation(x[i] + bias (+ residual[i])) for Sigmoid, Silu and Gelu, eight floats at
/// a time with FMA; the tail as one more vector.
void activate(const float* x, float* y, std::int64_t n, float bias, const float* residual,
              activation kind) noexcept;
/// y[i] = e^(x[i] - shift) (y may be null) and their sum: a softmax row's middle pass.
float exp_sum(const float* x, float* y, std::int64_t n, float shift) noexcept;
/// y = softmax(y * scale + mask) over one row of n values (mask: n values, or null).
void scaled_softmax(float* y, std::int64_t n, float scale, const float* mask) noexcept;
/// A LayerNorm row's statistics: the sums of x - shift and of its square (lanes in float,
/// combined in double).
void shifted_sums(const float* x, std::int64_t n, float shift, double& sum,
                  double& squares) noexcept;
/// y = ((x - shift) - shifted_mean) * inv_std * scale (+ bias): a LayerNorm row's output.
void normalize(const float* x, float* y, std::int64_t n, float shift, float shifted_mean,
               float inv_std, const float* scale, const float* bias) noexcept;
} // namespace avx2

/// Sum of the lanes.
inline float sum(float4 v) noexcept {
  float total = 0.0f;
  for (int i = 0; i < 4; ++i)
    total += v[i];
  return total;
}

/// y[i] += a * x[i] for n values.
inline void add_scaled(float* y, const float* x, float a, std::int64_t n) noexcept {
  std::int64_t i = 0;
  const float4 va = splat(a);
  for (; i + width <= n; i += width) store(y + i, load(y + i) + va * load(x + i));
  for (; i < n; ++i) y[i] += a * x[i];
}

/// y[i] = y[i] * a + x[i] for n values.
inline void scale_add(float* y, const float* x, float a, std::int64_t n) noexcept {
  std::int64_t i = 0;
  const float4 va = splat(a);
  for (; i + width <= n; i += width) store(y + i, load(y + i) * va + load(x + i));
  for (; i < n; ++i) y[i] = y[i] * a + x[i];
}

/// y[i] = x[i] * scale + shift for n values.
inline void scale_shift(const float* x, float* y, std::int64_t n, float scale,
                        float shift) noexcept {
  std::int64_t i = 0;
  const float4 vs = splat(scale), vt = splat(shift);
  for (; i + width <= n; i += width) store(y + i, load(x + i) * vs + vt);
  for (; i < n; ++i) y[i] = x[i] * scale + shift;
}

/// The sum of n values, in four interleaved partial sums.
inline float sum(const float* x, std::int64_t n) noexcept {
  std::int64_t i = 0;
  float4 partial = splat(0.0f);
  for (; i + width <= n; i += width) partial += load(x + i);
  float total = sum(partial);
  for (; i < n; ++i) total += x[i];
  return total;
}

/// y[i] = epilogue(x[i] (+ bias) (+ residual[i])) for n values (y may be x or residual).
/// All but Tanh run as vectors (Sigmoid, Silu and Gelu with the vector exp and erf above,
/// which differ from epilogue.hpp's scalar forms in the last bits); Tanh calls the scalar
/// epilogue.
template <bool add_bias, bool add_residual = false>
void epilogue_loop(const float* x, float* y, std::int64_t n, float bias, const epilogue& e,
                   const float* residual = nullptr) noexcept {
  if ((e.kind == activation::sigmoid || e.kind == activation::silu ||
       e.kind == activation::gelu) && avx2_loops()) {
    avx2::activate(x, y, n, add_bias ? bias : 0.0f, add_residual ? residual : nullptr, e.kind);
    return;
  }
  std::int64_t i = 0;
  const float4 b = splat(bias);
  auto in = [&](std::int64_t at) {
    float4 v = load(x + at);
    if constexpr (add_bias)
      v += b;
    if constexpr (add_residual)
      v += load(residual + at);
    return v;
  };
  auto in1 = [&](std::int64_t at) {
    float v = x[at];
    if constexpr (add_bias)
      v += bias;
    if constexpr (add_residual)
      v += residual[at];
    return v;
  };
  switch (e.kind) {
    case activation::none:
      for (; i + width <= n; i += width) store(y + i, in(i));
      break;
    case activation::relu:
      for (; i + width <= n; i += width) store(y + i, relu(in(i)));
      break;
    case activation::leaky_relu: {
      const float4 zero = splat(0.0f), alpha = splat(e.alpha);
      for (; i + width <= n; i += width) {
        const float4 v = in(i);
        store(y + i, v >= zero ? v : v * alpha);
      }
      break;
    }
    case activation::clip: {
      const float4 lo = splat(e.min), hi = splat(e.max);
      for (; i + width <= n; i += width) store(y + i, min(max(in(i), lo), hi));
      break;
    }
    case activation::sigmoid:
      for (; i + width <= n; i += width) store(y + i, sigmoid(in(i)));
      break;
    case activation::silu:
      for (; i + width <= n; i += width) store(y + i, silu(in(i)));
      break;
    case activation::gelu:
      for (; i + width <= n; i += width) store(y + i, gelu(in(i)));
      break;
    case activation::tanh:
      break;
  }
  // The tail as vectors too where the vector formula differs from the scalar one in its last
  // bits: every element of a tensor is then computed the same way, whatever its position.
  if (i < n && (e.kind == activation::sigmoid || e.kind == activation::silu ||
                e.kind == activation::gelu)) {
    float buffer[width] = {};
    const std::int64_t left = n - i;
    for (std::int64_t k = 0; k < left; ++k)
      buffer[k] = in1(i + k);
    float4 v = load(buffer);
    v = e.kind == activation::sigmoid ? sigmoid(v) : e.kind == activation::silu ? silu(v) : gelu(v);
    store(buffer, v);
    for (std::int64_t k = 0; k < left; ++k)
      y[i + k] = buffer[k];
    return;
  }
  for (; i < n; ++i)
    y[i] = apply(e, in1(i));
}

/// y[i] = epilogue(x[i] + bias): a product's bias and fused activation.
inline void bias_epilogue(const float* x, float* y, std::int64_t n, float bias,
                          const epilogue& e) noexcept {
  epilogue_loop<true>(x, y, n, bias, e);
}

/// y[i] = epilogue(x[i] + bias + residual[i]) when residual is given (a residual Add fused
/// into a Conv), else bias_epilogue.
inline void bias_epilogue(const float* x, float* y, std::int64_t n, float bias,
                          const epilogue& e, const float* residual) noexcept {
  if (residual)
    epilogue_loop<true, true>(x, y, n, bias, e, residual);
  else
    epilogue_loop<true>(x, y, n, bias, e);
}

/// y[i] = epilogue(x[i]): an activation node.
inline void activate(const float* x, float* y, std::int64_t n, const epilogue& e) noexcept {
  epilogue_loop<false>(x, y, n, 0.0f, e);
}

} // namespace hogar::nn::simd
