// pad_cpu.cpp: the fast CPU path of Pad for every dtype (elements moved as 1, 4 or 8 byte
// words). An output row (every dimension but the innermost fixed) either lies in the pads of
// an outer dimension (filled with the value in constant mode) or reads one input row: its
// overlap with the input is one memcpy, the pads around it a fill (constant) or a few
// mirrored or repeated elements (reflect, edge). Rows are split over the instance's threads.
#include <algorithm>
#include <cstring>

#include "kernels/nn/pad.hpp"
#include "kernels/nn/thread_pool.hpp"

namespace hogar::nn {

namespace {

template <class Word>
void pad_rows(const pad_params& p, const Word* x, Word* y, Word value, std::int64_t begin,
              std::int64_t end) {
  const auto rank = p.out_shape.size();
  const auto out_inner = p.out_shape[rank - 1];
  const auto in_inner = p.in_shape[rank - 1];
  const auto b = p.begin[rank - 1];
  // The outputs [left, right) of a row read the input run [left - b, right - b).
  const auto left = std::clamp<std::int64_t>(b, 0, out_inner);
  const auto right = std::clamp<std::int64_t>(b + in_inner, left, out_inner);
  for (auto r = begin; r < end; ++r) {
    Word* dst = y + r * out_inner;
    // Input row of output row r, from the outer dimensions.
    std::int64_t rest = r, row = 0, stride = 1;
    bool outside = false;
    for (std::size_t d = rank - 1; d-- > 0;) {
      const auto o = rest % p.out_shape[d];
      rest /= p.out_shape[d];
      const auto j = pad_source(p.mode, o - p.begin[d], p.in_shape[d]);
      outside = outside || j < 0;
      row += j * stride;
      stride *= p.in_shape[d];
    }
    if (outside) {
      std::fill_n(dst, out_inner, value);
      continue;
    }
    const Word* src = x + row * in_inner;
    if (right > left)
      std::memcpy(dst + left, src + (left - b), static_cast<std::size_t>(right - left) * sizeof(Word));
    if (p.mode == pad_mode::constant) {
      std::fill(dst, dst + left, value);
      std::fill(dst + right, dst + out_inner, value);
      continue;
    }
    for (std::int64_t i = 0; i < left; ++i)
      dst[i] = src[pad_source(p.mode, i - b, in_inner)];
    for (std::int64_t i = right; i < out_inner; ++i)
      dst[i] = src[pad_source(p.mode, i - b, in_inner)];
  }
}

template <class Word>
cpu_kernel make_kernel(pad_params p) {
  // A scalar pads as a single element of shape [1].
  if (p.out_shape.empty()) {
    p.out_shape = {1};
    p.in_shape = {1};
    p.begin = {0};
  }
  cpu_kernel k;
  k.run = [p = std::move(p)](const cpu_buffers& io) {
    const auto* x = static_cast<const Word*>(io.inputs[0]);
    auto* y = static_cast<Word*>(io.outputs[0]);
    Word value{};
    std::memcpy(&value, p.value_input ? io.inputs[2] : static_cast<const void*>(&p.value_bits),
                sizeof(Word));
    const auto inner = p.out_shape.back();
    const auto total = element_count(p.out_shape);
    if (total == 0)
      return;
    const auto grain = std::max<std::int64_t>(1, 16384 / inner);
    parallel_for(io.pool, total / inner, grain, [&](std::int64_t begin, std::int64_t end) {
      pad_rows(p, x, y, value, begin, end);
    });
  };
  return k;
}

} // namespace

result<std::optional<cpu_kernel>> bind_pad_cpu(const node_view& view,
                                               std::span<const value_type>) {
  auto params = pad_params_of(view);
  if (!params)
    return params.error();
  switch (params->element_size) {
    case 1: return std::optional{make_kernel<std::uint8_t>(std::move(*params))};
    case 4: return std::optional{make_kernel<std::uint32_t>(std::move(*params))};
    case 8: return std::optional{make_kernel<std::uint64_t>(std::move(*params))};
    default: return std::optional<cpu_kernel>{};
  }
}

} // namespace hogar::nn
