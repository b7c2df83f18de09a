// softmax_cpu.cpp: the fast CPU path of Softmax and LogSoftmax for float32. A contiguous slice
// (the last axis, and every slice before opset 13) runs as three passes over one row, as
// four-float vectors (simd.hpp's exp), or eight-float ones where the CPU has AVX2; slices
// `inner` apart are done 16 at a time, so that each pass reads whole runs of 16 neighbours
// and the loops vectorise. Rows or tiles are split over the instance's threads.
#include <algorithm>
#include <cmath>
#include <limits>

#include "kernels/nn/simd.hpp"
#include "kernels/nn/softmax.hpp"
#include "kernels/nn/thread_pool.hpp"

namespace hogar::nn {

namespace {

/// Neighbouring slices done together when slices are not contiguous.
constexpr std::int64_t tile_width = 16;

/// A row's last pass: y = e^(x - max) / sum (y holds e^(x - max)), or for LogSoftmax
/// y = x - max - log(sum).
void finish_row(const float* x, float* y, std::int64_t n, bool log, float max, float sum) {
  if (log) {
    const float total = max + std::log(sum);
    for (std::int64_t j = 0; j < n; ++j)
      y[j] = x[j] - total;
    return;
  }
  const float scale = 1.0f / sum;
  for (std::int64_t j = 0; j < n; ++j)
    y[j] *= scale;
}

} // namespace

void softmax_row_cpu(const float* x, float* y, std::int64_t n, bool log) {
  const std::int64_t vector_end = n / simd::width * simd::width;
  simd::float4 vmax = simd::splat(-std::numeric_limits<float>::infinity());
  for (std::int64_t j = 0; j < vector_end; j += simd::width)
    vmax = simd::max(vmax, simd::load(x + j));
  float max = -std::numeric_limits<float>::infinity();
  for (int l = 0; l < simd::width; ++l)
    max = std::max(max, vmax[l]);
  for (std::int64_t j = vector_end; j < n; ++j)
    max = std::max(max, x[j]);
  if (simd::avx2_loops()) {
    // e^(x - max) eight at a time, the tail as one more vector.
    const float sum = simd::avx2::exp_sum(x, log ? nullptr : y, n, max);
    finish_row(x, y, n, log, max, sum);
    return;
  }
  // e^(x - max) as vectors (simd.hpp's exp), the last few values with std::exp.
  const simd::float4 shift = simd::splat(max);
  simd::float4 vsum = simd::splat(0.0f);
  for (std::int64_t j = 0; j < vector_end; j += simd::width) {
    const simd::float4 e = simd::exp(simd::load(x + j) - shift);
    if (!log)
      simd::store(y + j, e);
    vsum += e;
  }
  float sum = simd::sum(vsum);
  for (std::int64_t j = vector_end; j < n; ++j) {
    const float e = std::exp(x[j] - max);
    if (!log)
      y[j] = e;
    sum += e;
  }
  finish_row(x, y, n, log, max, sum);
}

namespace {

/// Slices i0 .. i0 + width - 1 of one outer block: element j of slice i at j * inner + i.
void softmax_tile(const float* x, float* y, std::int64_t n, std::int64_t inner,
                  std::int64_t width, bool log) {
  float max[tile_width], sum[tile_width];
  std::fill(max, max + width, -std::numeric_limits<float>::infinity());
  std::fill(sum, sum + width, 0.0f);
  for (std::int64_t j = 0; j < n; ++j)
    for (std::int64_t i = 0; i < width; ++i)
      max[i] = std::max(max[i], x[j * inner + i]);
  for (std::int64_t j = 0; j < n; ++j)
    for (std::int64_t i = 0; i < width; ++i) {
      const float e = std::exp(x[j * inner + i] - max[i]);
      if (!log)
        y[j * inner + i] = e;
      sum[i] += e;
    }
  for (std::int64_t i = 0; i < width; ++i)
    sum[i] = log ? max[i] + std::log(sum[i]) : 1.0f / sum[i];
  for (std::int64_t j = 0; j < n; ++j)
    for (std::int64_t i = 0; i < width; ++i) {
      auto& out = y[j * inner + i];
      out = log ? x[j * inner + i] - sum[i] : out * sum[i];
    }
}

} // namespace

result<std::optional<cpu_kernel>> bind_softmax_cpu(const node_view& view,
                                                   std::span<const value_type> outputs) {
  auto params = softmax_params_of(view);
  if (!params)
    return params.error();
  if (outputs[0].type != dtype::float32)
    return std::optional<cpu_kernel>{};
  const auto p = *params;
  cpu_kernel k;
  k.run = [p](const cpu_buffers& io) {
    const auto* x = static_cast<const float*>(io.inputs[0]);
    auto* y = static_cast<float*>(io.outputs[0]);
    const auto n = p.axis_size;
    if (p.inner == 1) {
      const auto grain = std::max<std::int64_t>(1, 4096 / std::max<std::int64_t>(1, n));
      parallel_for(io.pool, p.outer, grain, [&](std::int64_t begin, std::int64_t end) {
        for (auto o = begin; o < end; ++o)
          softmax_row_cpu(x + o * n, y + o * n, n, p.log);
      });
      return;
    }
    const auto tiles = (p.inner + tile_width - 1) / tile_width;
    const auto grain = std::max<std::int64_t>(1, 256 / std::max<std::int64_t>(1, n));
    parallel_for(io.pool, p.outer * tiles, grain, [&](std::int64_t begin, std::int64_t end) {
      for (auto t = begin; t < end; ++t) {
        const auto o = t / tiles;
        const auto i0 = t % tiles * tile_width;
        const auto offset = o * n * p.inner + i0;
        softmax_tile(x + offset, y + offset, n, p.inner, std::min(tile_width, p.inner - i0),
                     p.log);
      }
    });
  };
  return std::optional{std::move(k)};
}

} // namespace hogar::nn
