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

/// erf(x) lane by lane: x P(x^2) / Q(x^2), a rational approximation of degree 5 over 5 in
/// x^2 fitted here (iterated weighted least squares towards the minimax error on [0, 3.92]):
/// 1.5e-8 in exact arithmetic, under 5e-7 absolute as float32 arithmetic evaluates it (a few
/// ulp of 1), kept within [-1, 1]. From |x| = 3.92 on, erf(x) rounds to +-1 in float32, and
/// the approximation is replaced by it; NaN stays NaN. About twenty vector operations and one
/// division, where the exponential of the Abramowitz-Stegun form this replaced needed forty.
template <class V>
inline V erf(V x) noexcept {
  const V edge = splat<V>(3.92f);
  const V clamped = min(max(x, -edge), edge);
  const V x2 = clamped * clamped;
  V p = splat<V>(2.0503862865339784e-06f);
  p = p * x2 + 2.8745792333156536e-04f;
  p = p * x2 + 3.8368965025611904e-03f;
  p = p * x2 + 5.2966980231443e-02f;
  p = p * x2 + 1.919414548834303e-01f;
  p = p * x2 + 1.1283790323556928f;
  V q = splat<V>(3.823076725623098e-05f);
  q = q * x2 + 1.1817398125271968e-03f;
  q = q * x2 + 1.5109244302903313e-02f;
  q = q * x2 + 1.1475838857841915e-01f;
  q = q * x2 + 5.034354633821433e-01f;
  q = q * x2 + 1.0f;
  const V one = splat<V>(1.0f);
  // Rounding near the edge lands a few ulp above 1: clipped (a NaN passes through).
  const V y = min(max(clamped * p / q, -one), one);
  return x >= edge ? one : (x <= -edge ? -one : y);
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
