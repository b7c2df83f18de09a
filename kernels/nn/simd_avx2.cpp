// simd_avx2.cpp: the element-wise loops whose cost is their arithmetic (Gelu, SiLU and the
// sigmoid after a product, softmax's e^x), eight floats at a time with FMA. This file alone is
// compiled for AVX2 and FMA (kernels/CMakeLists.txt); simd.hpp calls it only where
// avx2_loops() says the CPU runs it. Everything here has internal linkage or takes only plain
// pointers and numbers, so that no inline function of a header is emitted from this file for
// the others to link against: they must run on any x86-64.
#include "kernels/nn/epilogue.hpp"
#include "kernels/nn/simd_math.hpp"

namespace hogar::nn::simd::avx2 {

namespace {

using float8 = float __attribute__((vector_size(32)));
constexpr std::int64_t lanes = 8;

float8 load(const float* p) noexcept {
  float8 v;
  __builtin_memcpy(&v, p, sizeof v);
  return v;
}
void store(float* p, float8 v) noexcept { __builtin_memcpy(p, &v, sizeof v); }

template <activation kind>
float8 activated(float8 v) noexcept {
  if constexpr (kind == activation::sigmoid)
    return math::sigmoid(v);
  else if constexpr (kind == activation::silu)
    return math::silu(v);
  else
    return math::gelu(v);
}

template <activation kind>
void activate_as(const float* x, float* y, std::int64_t n, float bias,
                 const float* residual) noexcept {
  const float8 b = math::splat<float8>(bias);
  std::int64_t i = 0;
  if (residual)
    for (; i + lanes <= n; i += lanes)
      store(y + i, activated<kind>(load(x + i) + b + load(residual + i)));
  else
    for (; i + lanes <= n; i += lanes)
      store(y + i, activated<kind>(load(x + i) + b));
  if (i == n)
    return;
  // The tail as one more vector: every element computed the same way, wherever it sits.
  float buffer[lanes] = {};
  for (std::int64_t k = 0; i + k < n; ++k)
    buffer[k] = x[i + k] + bias + (residual ? residual[i + k] : 0.0f);
  store(buffer, activated<kind>(load(buffer)));
  for (std::int64_t k = 0; i + k < n; ++k)
    y[i + k] = buffer[k];
}

} // namespace

void activate(const float* x, float* y, std::int64_t n, float bias, const float* residual,
              activation kind) noexcept {
  switch (kind) {
    case activation::sigmoid: activate_as<activation::sigmoid>(x, y, n, bias, residual); break;
    case activation::silu: activate_as<activation::silu>(x, y, n, bias, residual); break;
    default: activate_as<activation::gelu>(x, y, n, bias, residual); break;
  }
}

float exp_sum(const float* x, float* y, std::int64_t n, float shift) noexcept {
  const float8 s = math::splat<float8>(shift);
  float8 sum = math::splat<float8>(0.0f);
  std::int64_t i = 0;
  for (; i + lanes <= n; i += lanes) {
    const float8 e = math::exp(load(x + i) - s);
    if (y)
      store(y + i, e);
    sum += e;
  }
  if (i < n) {
    // The tail as one more vector; lanes past the row hold -inf, whose e^x is 0.
    float buffer[lanes];
    for (std::int64_t k = 0; k < lanes; ++k)
      buffer[k] = i + k < n ? x[i + k] : -__builtin_inff();
    const float8 e = math::exp(load(buffer) - s);
    store(buffer, e);
    sum += e;
    for (std::int64_t k = 0; y && i + k < n; ++k)
      y[i + k] = buffer[k];
  }
  float total = 0.0f;
  for (std::int64_t k = 0; k < lanes; ++k)
    total += sum[k];
  return total;
}

void scaled_softmax(float* y, std::int64_t n, float scale, const float* mask) noexcept {
  // y = y * scale + mask, and the row's maximum (a NaN anywhere makes the row NaN, as
  // std::max-based code would not: the sum of exponentials below carries it).
  const float8 s = math::splat<float8>(scale);
  float8 vmax = math::splat<float8>(-__builtin_inff());
  std::int64_t i = 0;
  for (; i + lanes <= n; i += lanes) {
    const float8 v = mask ? load(y + i) * s + load(mask + i) : load(y + i) * s;
    store(y + i, v);
    vmax = math::max(vmax, v);
  }
  float max = -__builtin_inff();
  for (std::int64_t k = 0; k < lanes; ++k)
    max = vmax[k] > max ? vmax[k] : max;
  for (; i < n; ++i) {
    y[i] = y[i] * scale + (mask ? mask[i] : 0.0f);
    max = y[i] > max ? y[i] : max;
  }
  const float sum = exp_sum(y, y, n, max);
  const float8 r = math::splat<float8>(1.0f / sum);
  for (i = 0; i + lanes <= n; i += lanes)
    store(y + i, load(y + i) * r);
  for (; i < n; ++i)
    y[i] *= 1.0f / sum;
}

void shifted_sums(const float* x, std::int64_t n, float shift, double& sum,
                  double& squares) noexcept {
  // Two accumulators of each kind: the adds of one row overlap instead of waiting on each
  // other.
  const float8 vshift = math::splat<float8>(shift);
  float8 s0 = math::splat<float8>(0.0f), s1 = s0, q0 = s0, q1 = s0;
  std::int64_t i = 0;
  for (; i + 2 * lanes <= n; i += 2 * lanes) {
    const float8 d0 = load(x + i) - vshift, d1 = load(x + i + lanes) - vshift;
    s0 += d0;
    s1 += d1;
    q0 += d0 * d0;
    q1 += d1 * d1;
  }
  for (; i + lanes <= n; i += lanes) {
    const float8 d = load(x + i) - vshift;
    s0 += d;
    q0 += d * d;
  }
  double total = 0, total_squares = 0;
  for (std::int64_t k = 0; k < lanes; ++k) {
    total += static_cast<double>(s0[k]) + static_cast<double>(s1[k]);
    total_squares += static_cast<double>(q0[k]) + static_cast<double>(q1[k]);
  }
  for (; i < n; ++i) {
    const double d = static_cast<double>(x[i]) - shift;
    total += d;
    total_squares += d * d;
  }
  sum = total;
  squares = total_squares;
}

void normalize(const float* x, float* y, std::int64_t n, float shift, float shifted_mean,
               float inv_std, const float* scale, const float* bias) noexcept {
  const float8 s = math::splat<float8>(shift), m = math::splat<float8>(shifted_mean),
               r = math::splat<float8>(inv_std);
  std::int64_t i = 0;
  for (; i + lanes <= n; i += lanes) {
    const float8 v = ((load(x + i) - s) - m) * r * load(scale + i);
    store(y + i, bias ? v + load(bias + i) : v);
  }
  for (; i < n; ++i)
    y[i] = ((x[i] - shift) - shifted_mean) * inv_std * scale[i] + (bias ? bias[i] : 0.0f);
}

} // namespace hogar::nn::simd::avx2
