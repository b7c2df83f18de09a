// unary_cpu.cpp: the fast CPU path of the unary ops for float32, over chunks split among the
// instance's threads. Ops that are arithmetic and selects (Neg, Abs, Reciprocal, Sign,
// HardSigmoid, HardSwish, Softsign, ThresholdedRelu) run as simd.hpp's four-float vectors,
// with the same comparisons as unary.hpp's formulas so that NaN comes out alike; the others
// call the float std:: functions through those formulas, one element at a time.
#include <algorithm>
#include <cstring>

#include "kernels/nn/simd.hpp"
#include "kernels/nn/thread_pool.hpp"
#include "kernels/nn/unary.hpp"

namespace hogar::nn {

namespace {

using simd::float4;
using int4 = std::int32_t __attribute__((vector_size(16)));

/// Elements per chunk: enough to amortise handing a chunk to a thread.
constexpr std::int64_t chunk_elements = 16384;

/// max(0, min(1, v)) lane by lane, NaN kept.
inline float4 unit_clamp(float4 v) noexcept {
  const float4 zero = simd::splat(0.0f), one = simd::splat(1.0f);
  return v < zero ? zero : (v > one ? one : v);
}

/// |v|: the sign bit cleared (a vector cast between equal sizes reinterprets the bits).
inline float4 abs(float4 v) noexcept {
  return reinterpret_cast<float4>(reinterpret_cast<int4>(v) & 0x7fffffff);
}

/// f on four lanes, for the ops has_vector_form() names.
inline float4 vector_value(const unary_function& f, float4 x) noexcept {
  const float4 zero = simd::splat(0.0f), one = simd::splat(1.0f);
  switch (f.op) {
    case unary_op::neg: return -x;
    case unary_op::abs: return abs(x);
    case unary_op::reciprocal: return one / x;
    case unary_op::sign: return x > zero ? one : (x < zero ? -one : (x == zero ? zero : x));
    case unary_op::hard_sigmoid:
      return unit_clamp(simd::splat(f.alpha) * x + simd::splat(f.beta));
    case unary_op::hard_swish:
      return x * unit_clamp(x * simd::splat(1.0f / 6.0f) + simd::splat(0.5f));
    case unary_op::softsign: return x / (one + abs(x));
    case unary_op::thresholded_relu: return x <= simd::splat(f.alpha) ? zero : x;
    default: return x;
  }
}

bool has_vector_form(unary_op op) noexcept {
  switch (op) {
    case unary_op::neg:
    case unary_op::abs:
    case unary_op::reciprocal:
    case unary_op::sign:
    case unary_op::hard_sigmoid:
    case unary_op::hard_swish:
    case unary_op::softsign:
    case unary_op::thresholded_relu: return true;
    default: return false;
  }
}

/// y[i] = f(x[i]) for n values.
void apply(const unary_function& f, bool vector, const float* x, float* y,
           std::int64_t n) noexcept {
  std::int64_t i = 0;
  if (vector)
    for (; i + simd::width <= n; i += simd::width)
      simd::store(y + i, vector_value(f, simd::load(x + i)));
  for (; i < n; ++i)
    y[i] = unary_value<float>(f, x[i]);
}

} // namespace

result<std::optional<cpu_kernel>> bind_unary_cpu(const node_view& view,
                                                 std::span<const value_type> outputs) {
  if (outputs[0].type != dtype::float32)
    return std::optional<cpu_kernel>{};
  auto f = unary_function_of(view);
  if (!f)
    return f.error();
  const auto n = element_count(outputs[0].shape);
  const bool vector = has_vector_form(f->op);
  cpu_kernel k;
  k.run = [f = *f, vector, n](const cpu_buffers& io) {
    const auto* x = static_cast<const float*>(io.inputs[0]);
    auto* y = static_cast<float*>(io.outputs[0]);
    const auto chunks = (n + chunk_elements - 1) / chunk_elements;
    parallel_for(io.pool, chunks, 1, [&](std::int64_t begin, std::int64_t end) {
      const auto first = begin * chunk_elements;
      const auto last = std::min(n, end * chunk_elements);
      apply(f, vector, x + first, y + first, last - first);
    });
  };
  // Element by element: any layout of X is the same layout of Y.
  k.layouts.elementwise = true;
  return std::optional{std::move(k)};
}

} // namespace hogar::nn
