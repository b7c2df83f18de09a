// simd_math.hpp: e^x, erf, Gelu, SiLU and the sigmoid over GCC vectors of any width: one
// formula for the four-float vectors every x86-64 has (simd.hpp) and for the eight-float
// vectors of AVX2 (simd_avx2.cpp), so that both paths run the same polynomials. Plain vector
// extensions only: nothing here may depend on the instruction set it is compiled for.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>

namespace hogar::nn::simd::math {

/// The int32 vector of as many bytes (and lanes) as a float vector.
template <std::size_t bytes>
struct int_vector;
template <>
struct int_vector<16> {
  using type = std::int32_t __attribute__((vector_size(16)));
};
template <>
struct int_vector<32> {
  using type = std::int32_t __attribute__((vector_size(32)));
};
template <class V>
using int_lanes = typename int_vector<sizeof(V)>::type;

template <class V>
inline V splat(float x) noexcept {
  return V{} + x;
}
/// std::max and std::min lane by lane, NaN handling included (a NaN `a` is kept).
template <class V>
inline V max(V a, V b) noexcept {
  return a < b ? b : a;
}
template <class V>
inline V min(V a, V b) noexcept {
  return b < a ? b : a;
}

/// e^x lane by lane (Cephes' expf: x = n ln 2 + r, |r| <= ln 2 / 2, a degree-6 polynomial
/// for e^r, 2^n put in the exponent bits): within 2 ulp of std::exp; inputs below -87.3
/// give 0 (std::exp: subnormals), above 88.7 +inf, NaN stays NaN.
template <class V>
inline V exp(V x) noexcept {
  using I = int_lanes<V>;
  const V hi = splat<V>(88.3762626647949f), lo = splat<V>(-87.3365447504f);
  const V clamped = min(max(x, lo), hi);
  // n = floor(x log2(e) + 1/2)
  const V fx = clamped * 1.44269504088896341f + 0.5f;
  V n = __builtin_convertvector(__builtin_convertvector(fx, I), V);
  n = n > fx ? n - 1.0f : n;
  // r = x - n ln 2, ln 2 in two parts so that r keeps its low bits
  const V r = clamped - n * 0.693359375f + n * 2.12194440e-4f;
  V p = splat<V>(1.9875691500e-4f);
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const V er = p * r * r + r + 1.0f;
  const I bits = (__builtin_convertvector(n, I) + 127) << 23;
  V y = er * std::bit_cast<V>(bits);
  y = x > hi ? splat<V>(__builtin_inff()) : y;
  y = x < lo ? splat<V>(0.0f) : y;
  return x != x ? x : y;
}

/// erf(x) lane by lane (Abramowitz and Stegun 7.1.26 with the exp above: absolute error
/// under 2e-7); odd, so computed for |x| and given x's sign.
template <class V>
inline V erf(V x) noexcept {
  const V ax = max(x, -x);
  const V t = 1.0f / (1.0f + 0.3275911f * ax);
  V poly = splat<V>(1.061405429f);
  poly = poly * t - 1.453152027f;
  poly = poly * t + 1.421413741f;
  poly = poly * t - 0.284496736f;
  poly = poly * t + 0.254829592f;
  const V e = 1.0f - poly * t * exp(-ax * ax);
  const V y = x < 0.0f ? -e : e;
  return x != x ? x : y;
}

/// Gelu's erf form, 0.5 x (1 + erf(x / sqrt(2))), lane by lane.
template <class V>
inline V gelu(V x) noexcept {
  return 0.5f * x * (1.0f + erf(x * 0.70710678118654752f));
}

/// x * sigmoid(x) = x / (1 + e^-x) lane by lane.
template <class V>
inline V silu(V x) noexcept {
  return x / (1.0f + exp(-x));
}

/// 1 / (1 + e^-x) lane by lane.
template <class V>
inline V sigmoid(V x) noexcept {
  return 1.0f / (1.0f + exp(-x));
}

} // namespace hogar::nn::simd::math
