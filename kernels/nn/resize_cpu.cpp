// resize_cpu.cpp: the fast CPU path of Resize and Upsample for float32. Each axis's taps are
// tabulated once when the node is bound (positions as element offsets, float weights). An
// output row (every axis but the last fixed) reads a few input rows, the combinations of the
// other axes' taps, and each element of the row sums its last-axis taps over them: for a 2x
// bilinear upsampling of NCHW, two input rows and two taps per element.
#include <algorithm>
#include <memory>

#include "kernels/nn/resize.hpp"
#include "kernels/nn/thread_pool.hpp"

namespace hogar::nn {

namespace {

/// One axis's taps for every output coordinate, offsets already multiplied by the stride.
struct axis_table {
  std::vector<std::int64_t> count;
  std::vector<std::int64_t> offset;  // 4 per output coordinate
  std::vector<float> weight;         // 4 per output coordinate
  std::vector<bool> outside;
};

struct resize_plan {
  std::size_t rank = 0;
  std::int64_t rows = 0;
  std::int64_t row_length = 0;
  float extrapolation = 0;
  shape_t out_shape;
  std::vector<axis_table> axes;
};

/// An input row an output row reads, with the product of its axes' weights.
struct source_row {
  std::int64_t offset;
  float weight;
};

void run_rows(const resize_plan& plan, const float* x, float* y, std::int64_t first,
              std::int64_t last) {
  const auto rank = plan.rank;
  const auto& inner = plan.axes[rank - 1];
  std::vector<source_row> sources, next;
  std::vector<std::int64_t> at(rank, 0);
  // The coordinates of row `first` on the axes before the last.
  for (std::int64_t r = first, a = static_cast<std::int64_t>(rank) - 2; a >= 0; --a) {
    const auto extent = plan.out_shape[static_cast<std::size_t>(a)];
    at[static_cast<std::size_t>(a)] = r % extent;
    r /= extent;
  }
  for (std::int64_t row = first; row < last; ++row) {
    float* out = y + row * plan.row_length;
    sources.assign(1, source_row{0, 1.0f});
    bool outside = false;
    for (std::size_t a = 0; a + 1 < rank && !outside; ++a) {
      const auto& t = plan.axes[a];
      const auto o = static_cast<std::size_t>(at[a]);
      if (t.outside[o]) {
        outside = true;
        break;
      }
      next.clear();
      for (auto& s : sources)
        for (std::int64_t k = 0; k < t.count[o]; ++k)
          next.push_back({s.offset + t.offset[4 * o + static_cast<std::size_t>(k)],
                          s.weight * t.weight[4 * o + static_cast<std::size_t>(k)]});
      sources.swap(next);
    }
    if (outside) {
      std::fill(out, out + plan.row_length, plan.extrapolation);
    } else {
      for (std::int64_t i = 0; i < plan.row_length; ++i) {
        const auto o = static_cast<std::size_t>(i);
        if (inner.outside[o]) {
          out[i] = plan.extrapolation;
          continue;
        }
        const auto* offsets = &inner.offset[4 * o];
        const auto* weights = &inner.weight[4 * o];
        const auto taps = inner.count[o];
        float sum = 0;
        for (auto& s : sources) {
          const float* in = x + s.offset;
          float part = 0;
          for (std::int64_t k = 0; k < taps; ++k)
            part += weights[k] * in[offsets[k]];
          sum += s.weight * part;
        }
        out[i] = sum;
      }
    }
    for (std::size_t a = rank - 1; a > 0 && ++at[a - 1] == plan.out_shape[a - 1];)
      at[--a] = 0;
  }
}

} // namespace

result<std::optional<cpu_kernel>> bind_resize_cpu(const node_view& view,
                                                  std::span<const value_type> outputs) {
  if (outputs[0].type != dtype::float32)
    return std::optional<cpu_kernel>{};
  auto params = resize_params_of(view);
  if (!params)
    return params.error();
  const auto& p = *params;
  auto plan = std::make_shared<resize_plan>();
  plan->rank = p.in_shape.size();
  plan->out_shape = p.out_shape;
  plan->extrapolation = static_cast<float>(p.extrapolation_value);
  plan->row_length = p.out_shape.back();
  plan->rows = plan->row_length == 0 ? 0 : element_count(p.out_shape) / plan->row_length;
  std::int64_t stride = 1;
  plan->axes.resize(plan->rank);
  for (std::size_t a = plan->rank; a-- > 0;) {
    auto& t = plan->axes[a];
    const auto n = static_cast<std::size_t>(p.out_shape[a]);
    t.count.resize(n);
    t.offset.assign(4 * n, 0);
    t.weight.assign(4 * n, 0.0f);
    t.outside.resize(n);
    for (std::size_t o = 0; o < n; ++o) {
      auto taps = resize_taps_of(p, a, static_cast<std::int64_t>(o));
      t.count[o] = taps.count;
      t.outside[o] = taps.outside;
      for (std::size_t k = 0; k < static_cast<std::size_t>(taps.count); ++k) {
        t.offset[4 * o + k] = taps.index[k] * stride;
        t.weight[4 * o + k] = static_cast<float>(taps.weight[k]);
      }
    }
    stride *= p.in_shape[a];
  }
  cpu_kernel k;
  k.run = [plan](const cpu_buffers& io) {
    const auto* x = static_cast<const float*>(io.inputs[0]);
    auto* y = static_cast<float*>(io.outputs[0]);
    // Rows of a few hundred elements: enough of them per chunk to amortise the hand-off.
    const std::int64_t grain = std::max<std::int64_t>(1, 4096 / std::max<std::int64_t>(1, plan->row_length));
    parallel_for(io.pool, plan->rows, grain, [&](std::int64_t first, std::int64_t last) {
      run_rows(*plan, x, y, first, last);
    });
  };
  return std::optional{std::move(k)};
}

} // namespace hogar::nn
