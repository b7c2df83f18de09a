#include "kernels/nn/broadcast.hpp"

#include <algorithm>

namespace hogar::nn {

std::optional<shape_t> broadcast_shape(const shape_t& a, const shape_t& b) {
  const auto rank = std::max(a.size(), b.size());
  shape_t out(rank);
  for (std::size_t i = 0; i < rank; ++i) {
    // Right-aligned: missing leading dimensions count as 1.
    std::int64_t x = i + a.size() >= rank ? a[i + a.size() - rank] : 1;
    std::int64_t y = i + b.size() >= rank ? b[i + b.size() - rank] : 1;
    if (x != y && x != 1 && y != 1)
      return std::nullopt;
    out[i] = x == 1 ? y : x;
  }
  return out;
}

std::vector<std::int64_t> row_major_strides(const shape_t& shape) {
  std::vector<std::int64_t> strides(shape.size(), 1);
  for (std::size_t d = shape.size(); d-- > 1;)
    strides[d - 1] = strides[d] * shape[d];
  return strides;
}

std::vector<std::int64_t> broadcast_strides(const shape_t& in, const shape_t& out) {
  std::vector<std::int64_t> strides(out.size(), 0);
  std::int64_t stride = 1;
  for (std::size_t k = 0; k < in.size(); ++k) {
    std::size_t i = in.size() - 1 - k;
    std::size_t o = out.size() - 1 - k;
    strides[o] = in[i] == 1 ? 0 : stride;
    stride *= in[i];
  }
  return strides;
}

merged_dims merge_dims(const shape_t& out, std::span<const std::int64_t> sa,
                       std::span<const std::int64_t> sb) {
  merged_dims m;
  for (std::size_t d = 0; d < out.size(); ++d) {
    if (out[d] == 1)
      continue;
    if (!m.out.empty()) {
      const auto last = m.out.size() - 1;
      // Mergeable: the outer stride is the inner stride times the inner extent, for both.
      if (m.a[last] == sa[d] * out[d] && m.b[last] == sb[d] * out[d]) {
        m.out[last] *= out[d];
        m.a[last] = sa[d];
        m.b[last] = sb[d];
        continue;
      }
    }
    m.out.push_back(out[d]);
    m.a.push_back(sa[d]);
    m.b.push_back(sb[d]);
  }
  if (m.out.empty()) {
    m.out = {1};
    m.a = {0};
    m.b = {0};
  }
  return m;
}

} // namespace hogar::nn
