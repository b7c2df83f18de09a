// pool_cpu.cpp: the fast CPU path of the pools for float32 with one or two spatial dimensions
// (1-D seen as height 1). A 2-D window is separable: which kernel rows and columns fall inside
// the input, and how many fall inside the padded input, depend on the output row and the
// output column alone, so both are tabulated once when the kernel is bound and the loops run
// without bounds checks. Each output row first reduces its kernel rows into one row of scratch
// (contiguous vectors), then each output reduces its taps of that row. Planes (image, channel)
// are split over the instance's threads.
#include <algorithm>
#include <limits>

#include "kernels/nn/pool.hpp"
#include "kernels/nn/scratch_slots.hpp"
#include "kernels/nn/simd.hpp"
#include "kernels/nn/thread_pool.hpp"

namespace hogar::nn {

namespace {

/// One spatial dimension's window per output index: taps [first, last) read the input, and
/// `padded` taps lie inside the padded input (count_include_pad's divisor).
struct axis_taps {
  std::vector<std::int64_t> first, last, padded;
  /// Input index of tap 0 (may be negative).
  std::vector<std::int64_t> origin;
};

axis_taps tabulate(std::int64_t in, std::int64_t out, std::int64_t kernel, std::int64_t stride,
                   std::int64_t dilation, std::int64_t pad_begin, std::int64_t pad_end) {
  axis_taps t;
  for (std::int64_t o = 0; o < out; ++o) {
    const auto origin = o * stride - pad_begin;
    std::int64_t first = kernel, last = 0, padded = 0;
    for (std::int64_t k = 0; k < kernel; ++k) {
      const auto i = origin + k * dilation;
      if (i >= 0 && i < in) {
        first = std::min(first, k);
        last = k + 1;
      }
      if (i >= -pad_begin && i < in + pad_end)
        ++padded;
    }
    if (first >= last)
      first = last = 0;
    t.first.push_back(first);
    t.last.push_back(last);
    t.padded.push_back(padded);
    t.origin.push_back(origin);
  }
  return t;
}

struct pool2d {
  pool_kind kind;
  std::int64_t planes, height, width, out_h, out_w, dilation_h, dilation_w;
  bool count_include_pad;
  axis_taps rows, cols;
};

/// One plane in two passes per output row: the kernel rows that fall inside the input are
/// first reduced into `row` (contiguous, as vectors), then each output reduces its taps of
/// `row`.
void pool_plane(const pool2d& p, const float* x, float* y, float* row) {
  const bool max = p.kind == pool_kind::max;
  for (std::int64_t oh = 0; oh < p.out_h; ++oh) {
    const auto kh0 = p.rows.first[oh], kh1 = p.rows.last[oh];
    const auto ih0 = p.rows.origin[oh];
    if (kh0 == kh1) {
      // No kernel row inside the input: the window lies in the padding.
      std::fill(row, row + p.width, max ? std::numeric_limits<float>::lowest() : 0.0f);
    } else {
      const float* first = x + (ih0 + kh0 * p.dilation_h) * p.width;
      std::copy(first, first + p.width, row);
      for (auto kh = kh0 + 1; kh < kh1; ++kh) {
        const float* in = x + (ih0 + kh * p.dilation_h) * p.width;
        std::int64_t i = 0;
        for (; i + simd::width <= p.width; i += simd::width) {
          const auto a = simd::load(row + i), b = simd::load(in + i);
          simd::store(row + i, max ? simd::max(a, b) : a + b);
        }
        for (; i < p.width; ++i)
          row[i] = max ? std::max(row[i], in[i]) : row[i] + in[i];
      }
    }
    float* out = y + oh * p.out_w;
    for (std::int64_t ow = 0; ow < p.out_w; ++ow) {
      const auto kw0 = p.cols.first[ow], kw1 = p.cols.last[ow];
      const float* taps = row + p.cols.origin[ow];
      if (max) {
        float best = std::numeric_limits<float>::lowest();
        for (auto kw = kw0; kw < kw1; ++kw)
          best = std::max(best, taps[kw * p.dilation_w]);
        out[ow] = best;
      } else {
        float sum = 0.0f;
        for (auto kw = kw0; kw < kw1; ++kw)
          sum += taps[kw * p.dilation_w];
        const auto count = p.count_include_pad ? p.rows.padded[oh] * p.cols.padded[ow]
                                               : (kh1 - kh0) * (kw1 - kw0);
        out[ow] = count > 0 ? sum / static_cast<float>(count) : 0.0f;
      }
    }
  }
}

} // namespace

result<std::optional<cpu_kernel>> bind_pool_cpu(const node_view& view,
                                                std::span<const value_type> outputs) {
  auto params = pool_params_of(view);
  if (!params)
    return params.error();
  const auto& p = *params;
  const auto rank = p.in_spatial.size();
  if (outputs[0].type != dtype::float32 || rank > 2)
    return std::optional<cpu_kernel>{};
  const auto plane_in = element_count(p.in_spatial);
  const auto plane_out = element_count(p.out_spatial);
  const auto planes = p.batch * p.channels;
  cpu_kernel k;
  if (p.kind == pool_kind::global_average) {
    k.run = [=](const cpu_buffers& io) {
      const auto* x = static_cast<const float*>(io.inputs[0]);
      auto* y = static_cast<float*>(io.outputs[0]);
      const auto grain = std::max<std::int64_t>(1, 16384 / std::max<std::int64_t>(1, plane_in));
      parallel_for(io.pool, planes, grain, [&](std::int64_t begin, std::int64_t end) {
        for (auto c = begin; c < end; ++c) {
          const float sum = simd::sum(x + c * plane_in, plane_in);
          y[c] = plane_in > 0 ? sum / static_cast<float>(plane_in) : 0.0f;
        }
      });
    };
    attach_dnnl_pooling(k, p);
    return std::optional{std::move(k)};
  }
  const auto last = rank - 1;
  pool2d q;
  q.kind = p.kind;
  q.planes = planes;
  q.height = rank == 2 ? p.in_spatial[0] : 1;
  q.width = p.in_spatial[last];
  q.out_h = rank == 2 ? p.out_spatial[0] : 1;
  q.out_w = p.out_spatial[last];
  q.dilation_h = rank == 2 ? p.dilations[0] : 1;
  q.dilation_w = p.dilations[last];
  q.count_include_pad = p.count_include_pad;
  q.rows = rank == 2 ? tabulate(q.height, q.out_h, p.kernel[0], p.strides[0], p.dilations[0],
                                p.pads_begin[0], p.pads_end[0])
                     : tabulate(1, 1, 1, 1, 1, 0, 0);
  q.cols = tabulate(q.width, q.out_w, p.kernel[last], p.strides[last], p.dilations[last],
                    p.pads_begin[last], p.pads_end[last]);
  // One input row of scratch per slot, 64-byte aligned.
  const auto slots = scratch_slot_count();
  const auto row_stride = (q.width + 15) / 16 * 16;
  k.workspace_bytes = static_cast<std::size_t>(slots * row_stride) * sizeof(float);
  k.run = [q = std::move(q), plane_in, plane_out, slots, row_stride](const cpu_buffers& io) {
    const auto* x = static_cast<const float*>(io.inputs[0]);
    auto* y = static_cast<float*>(io.outputs[0]);
    auto* rows = static_cast<float*>(io.workspace);
    parallel_with_slots(io.pool, q.planes, slots, [&](std::int64_t slot, std::int64_t c) {
      pool_plane(q, x + c * plane_in, y + c * plane_out, rows + slot * row_stride);
    });
  };
  attach_dnnl_pooling(k, p);
  return std::optional{std::move(k)};
}

} // namespace hogar::nn
