// layer_norm_cpu.cpp: the fast CPU path of LayerNormalization for float32. Per row one pass
// reads X for both statistics: four-float vectors (simd.hpp; eight, in two accumulators, where
// the CPU has AVX2) sum x - shift and its square, shift being the row's first value, so that a
// row far from zero loses no precision to the sum of squares (the shifted-data variance); the
// lanes combine in double. A second pass writes ((x - shift) - shifted mean) * inv_std_dev *
// scale + B. Rows split over the threads.
// A single Scale or B value is spread over a row in the workspace once per call.
#include <algorithm>
#include <cmath>

#include "kernels/nn/layer_norm.hpp"
#include "kernels/nn/simd.hpp"
#include "kernels/nn/thread_pool.hpp"

namespace hogar::nn {

namespace {

/// Output elements per chunk of rows handed to a thread: a batch of one 128-token sequence
/// of BERT (16384 values) is still split over two threads.
constexpr std::int64_t chunk_elements = 4096;

struct row_stats {
  float mean = 0;
  float inv_std = 0;
  /// The row's first value, and the mean less it: Y is computed from x - shift, which a row
  /// far from zero holds more precisely than x - mean with the mean rounded to float.
  float shift = 0;
  float shifted_mean = 0;
};

row_stats statistics(const float* x, std::int64_t n, double epsilon) noexcept {
  if (n <= 0)
    return {0.0f, static_cast<float>(1.0 / std::sqrt(epsilon)), 0.0f, 0.0f};
  const float shift = x[0];
  double sum = 0, squares = 0;
  if (simd::avx2_loops()) {
    simd::avx2::shifted_sums(x, n, shift, sum, squares);
  } else {
    const simd::float4 vshift = simd::splat(shift);
    simd::float4 s = simd::splat(0.0f), q = simd::splat(0.0f);
    std::int64_t i = 0;
    for (; i + simd::width <= n; i += simd::width) {
      const simd::float4 d = simd::load(x + i) - vshift;
      s += d;
      q += d * d;
    }
    for (int l = 0; l < 4; ++l) {
      sum += static_cast<double>(s[l]);
      squares += static_cast<double>(q[l]);
    }
    for (; i < n; ++i) {
      const double d = static_cast<double>(x[i]) - shift;
      sum += d;
      squares += d * d;
    }
  }
  const double count = static_cast<double>(n);
  const double shifted_mean = sum / count;
  const double variance = std::max(0.0, squares / count - shifted_mean * shifted_mean);
  return {static_cast<float>(shifted_mean + shift),
          static_cast<float>(1.0 / std::sqrt(variance + epsilon)), shift,
          static_cast<float>(shifted_mean)};
}

/// y = ((x - shift) - shifted_mean) * inv_std * scale + bias for one row.
void normalize_row(const float* x, float* y, std::int64_t n, row_stats st, const float* scale,
                   const float* bias) noexcept {
  if (simd::avx2_loops()) {
    simd::avx2::normalize(x, y, n, st.shift, st.shifted_mean, st.inv_std, scale, bias);
    return;
  }
  const simd::float4 s = simd::splat(st.shift), m = simd::splat(st.shifted_mean),
                     r = simd::splat(st.inv_std);
  std::int64_t i = 0;
  if (bias) {
    for (; i + simd::width <= n; i += simd::width)
      simd::store(y + i, ((simd::load(x + i) - s) - m) * r * simd::load(scale + i) +
                           simd::load(bias + i));
    for (; i < n; ++i)
      y[i] = ((x[i] - st.shift) - st.shifted_mean) * st.inv_std * scale[i] + bias[i];
  } else {
    for (; i + simd::width <= n; i += simd::width)
      simd::store(y + i, ((simd::load(x + i) - s) - m) * r * simd::load(scale + i));
    for (; i < n; ++i)
      y[i] = ((x[i] - st.shift) - st.shifted_mean) * st.inv_std * scale[i];
  }
}

} // namespace

result<std::optional<cpu_kernel>> bind_layer_norm_cpu(const node_view& view,
                                                      std::span<const value_type> outputs) {
  if (outputs[0].type != dtype::float32)
    return std::optional<cpu_kernel>{};
  auto params = layer_norm_params_of(view);
  if (!params)
    return params.error();
  const auto p = *params;
  cpu_kernel k;
  // Room for a row of Scale and one of B when either is a single value.
  const bool spread = p.scale_single || p.bias_single;
  if (spread)
    k.workspace_bytes = 2 * static_cast<std::size_t>(p.cols) * sizeof(float);
  k.run = [p, spread](const cpu_buffers& io) {
    const auto* x = static_cast<const float*>(io.inputs[0]);
    const auto* scale = static_cast<const float*>(io.inputs[1]);
    const auto* bias = p.has_bias ? static_cast<const float*>(io.inputs[2]) : nullptr;
    auto* y = static_cast<float*>(io.outputs[0]);
    auto* mean = io.outputs.size() > 1 ? static_cast<float*>(io.outputs[1]) : nullptr;
    auto* inv_std = io.outputs.size() > 2 ? static_cast<float*>(io.outputs[2]) : nullptr;
    if (spread) {
      auto* row_scale = static_cast<float*>(io.workspace);
      auto* row_bias = row_scale + p.cols;
      if (p.scale_single) {
        std::fill_n(row_scale, p.cols, scale[0]);
        scale = row_scale;
      }
      if (p.bias_single) {
        std::fill_n(row_bias, p.cols, bias[0]);
        bias = row_bias;
      }
    }
    const auto grain = std::max<std::int64_t>(1, chunk_elements / std::max<std::int64_t>(1, p.cols));
    parallel_for(io.pool, p.rows, grain, [&](std::int64_t begin, std::int64_t end) {
      for (auto r = begin; r < end; ++r) {
        const auto st = statistics(x + r * p.cols, p.cols, p.epsilon);
        if (y)
          normalize_row(x + r * p.cols, y + r * p.cols, p.cols, st, scale, bias);
        if (mean)
          mean[r] = st.mean;
        if (inv_std)
          inv_std[r] = st.inv_std;
      }
    });
  };
  return std::optional{std::move(k)};
}

} // namespace hogar::nn
