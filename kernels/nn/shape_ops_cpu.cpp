// shape_ops_cpu.cpp: the fast CPU path of Transpose, for every dtype (elements are moved as
// 1, 4 or 8 byte words). Extents of 1 are dropped and input dimensions that stay neighbours in
// the output are merged, so that most transposes become either runs of contiguous memory
// (copied whole) or a 2-D/3-D transpose; output rows are split over the instance's threads.
#include <cstring>

#include "kernels/nn/shape_ops.hpp"
#include "kernels/nn/thread_pool.hpp"

namespace hogar::nn {

namespace {

/// A transpose with unit extents dropped and neighbours merged: output dimension d has
/// `out_shape[d]` elements, `in_strides[d]` apart in the input.
struct merged_transpose {
  shape_t out_shape;
  std::vector<std::int64_t> in_strides;
};

merged_transpose merge(const transpose_params& p) {
  const auto rank = p.in_shape.size();
  // Input dimensions in output order, without the unit ones.
  std::vector<std::int64_t> order;
  for (auto d : p.perm)
    if (p.in_shape[static_cast<std::size_t>(d)] != 1)
      order.push_back(d);
  std::vector<std::int64_t> in_strides(rank, 1);
  for (std::size_t d = rank; d-- > 1;)
    in_strides[d - 1] = in_strides[d] * p.in_shape[d];
  merged_transpose m;
  for (std::size_t j = 0; j < order.size(); ++j) {
    const auto d = static_cast<std::size_t>(order[j]);
    const auto extent = p.in_shape[d];
    // Output neighbours j-1, j read input neighbours: one dimension of both extents.
    if (!m.out_shape.empty() && m.in_strides.back() == in_strides[d] * extent) {
      m.out_shape.back() *= extent;
      m.in_strides.back() = in_strides[d];
      continue;
    }
    m.out_shape.push_back(extent);
    m.in_strides.push_back(in_strides[d]);
  }
  if (m.out_shape.empty()) {
    m.out_shape = {1};
    m.in_strides = {1};
  }
  return m;
}

template <class Word>
void transpose_rows(const merged_transpose& m, const Word* x, Word* y, std::int64_t begin,
                    std::int64_t end) {
  const auto rank = m.out_shape.size();
  const auto inner = m.out_shape[rank - 1];
  const auto stride = m.in_strides[rank - 1];
  for (auto r = begin; r < end; ++r) {
    std::int64_t rest = r, offset = 0;
    for (std::size_t d = rank - 1; d-- > 0;) {
      offset += rest % m.out_shape[d] * m.in_strides[d];
      rest /= m.out_shape[d];
    }
    const Word* src = x + offset;
    Word* dst = y + r * inner;
    if (stride == 1) {
      std::memcpy(dst, src, static_cast<std::size_t>(inner) * sizeof(Word));
    } else {
      for (std::int64_t i = 0; i < inner; ++i)
        dst[i] = src[i * stride];
    }
  }
}

template <class Word>
cpu_kernel make_kernel(merged_transpose m) {
  cpu_kernel k;
  k.run = [m = std::move(m)](const cpu_buffers& io) {
    const auto* x = static_cast<const Word*>(io.inputs[0]);
    auto* y = static_cast<Word*>(io.outputs[0]);
    const auto inner = m.out_shape.back();
    const auto rows = element_count(m.out_shape) / std::max<std::int64_t>(1, inner);
    const auto grain = std::max<std::int64_t>(1, 16384 / std::max<std::int64_t>(1, inner));
    parallel_for(io.pool, rows, grain, [&](std::int64_t begin, std::int64_t end) {
      transpose_rows(m, x, y, begin, end);
    });
  };
  return k;
}

} // namespace

result<std::optional<cpu_kernel>> bind_transpose_cpu(const node_view& view,
                                                     std::span<const value_type> outputs) {
  auto params = transpose_params_of(view);
  if (!params)
    return params.error();
  if (element_count(params->out_shape) == 0)
    return std::optional<cpu_kernel>{};
  auto m = merge(*params);
  switch (dtype_size(outputs[0].type)) {
    case 1: return std::optional{make_kernel<std::uint8_t>(std::move(m))};
    case 4: return std::optional{make_kernel<std::uint32_t>(std::move(m))};
    case 8: return std::optional{make_kernel<std::uint64_t>(std::move(m))};
    default: return std::optional<cpu_kernel>{};
  }
}

} // namespace hogar::nn
