// strided_copy_cpu.cpp: the fast CPU path of Slice, Split, Expand and Tile for every dtype
// (elements moved as 1, 4 or 8 byte words). Each output's view is merged first, so that a
// slice of rows, a split or a tile becomes a few long contiguous runs (memcpy), an expanded
// element a fill, and only what is left a strided gather; output rows are split over the
// instance's threads.
#include <algorithm>
#include <cstring>

#include "kernels/nn/strided_copy.hpp"
#include "kernels/nn/thread_pool.hpp"

namespace hogar::nn {

namespace {

template <class Word>
void copy_rows(const strided_view& m, const Word* x, Word* y, std::int64_t begin,
               std::int64_t end) {
  const auto rank = m.extents.size();
  const auto inner = m.extents[rank - 1];
  const auto stride = m.strides[rank - 1];
  for (auto r = begin; r < end; ++r) {
    std::int64_t rest = r, offset = m.offset;
    for (std::size_t d = rank - 1; d-- > 0;) {
      offset += rest % m.extents[d] * m.strides[d];
      rest /= m.extents[d];
    }
    const Word* src = x + offset;
    Word* dst = y + r * inner;
    if (stride == 1)
      std::memcpy(dst, src, static_cast<std::size_t>(inner) * sizeof(Word));
    else if (stride == 0)
      std::fill_n(dst, inner, *src);
    else
      for (std::int64_t i = 0; i < inner; ++i)
        dst[i] = src[i * stride];
  }
}

template <class Word>
cpu_kernel make_kernel(std::vector<strided_view> views) {
  cpu_kernel k;
  k.run = [views = std::move(views)](const cpu_buffers& io) {
    const auto* x = static_cast<const Word*>(io.inputs[0]);
    for (std::size_t o = 0; o < views.size() && o < io.outputs.size(); ++o) {
      auto* y = static_cast<Word*>(io.outputs[o]);
      const auto& m = views[o];
      const auto total = element_count(m.extents);
      if (!y || total == 0)
        continue;
      const auto inner = m.extents.back();
      const auto grain = std::max<std::int64_t>(1, 16384 / inner);
      parallel_for(io.pool, total / inner, grain, [&](std::int64_t begin, std::int64_t end) {
        copy_rows(m, x, y, begin, end);
      });
    }
  };
  return k;
}

} // namespace

result<std::optional<cpu_kernel>> bind_strided_copy_cpu(const node_view& view,
                                                        std::span<const value_type>) {
  auto params = strided_copy_params_of(view);
  if (!params)
    return params.error();
  std::vector<strided_view> views;
  for (auto& v : params->views)
    views.push_back(merged(v));
  switch (dtype_size(view.inputs[0].type)) {
    case 1: return std::optional{make_kernel<std::uint8_t>(std::move(views))};
    case 4: return std::optional{make_kernel<std::uint32_t>(std::move(views))};
    case 8: return std::optional{make_kernel<std::uint64_t>(std::move(views))};
    default: return std::optional<cpu_kernel>{};
  }
}

} // namespace hogar::nn
