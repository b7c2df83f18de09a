// broadcast.hpp: numpy-style (multidirectional) broadcasting, shared by the element-wise ops.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "kernels/nn/thread_pool.hpp"
#include "kernels/tensor.hpp"

namespace hogar::nn {

/// The shape both inputs broadcast to, or nullopt when an extent pair is neither equal nor 1.
std::optional<shape_t> broadcast_shape(const shape_t& a, const shape_t& b);

/// Element strides of a dense row-major tensor of `shape`.
std::vector<std::int64_t> row_major_strides(const shape_t& shape);

/// Element strides of `in` read at every index of `out` (0 along broadcast dimensions), one per
/// dimension of `out`; `in` is right-aligned against `out`.
std::vector<std::int64_t> broadcast_strides(const shape_t& in, const shape_t& out);

/// An output shape and two inputs' broadcast strides with adjacent dimensions merged where
/// both inputs step across the boundary as one dimension would (both contiguous, or both
/// broadcast), and extents of 1 dropped: the long contiguous runs the fast kernels loop over.
/// Never empty: a scalar output is {1} with strides {0}.
struct merged_dims {
  shape_t out;
  std::vector<std::int64_t> a;
  std::vector<std::int64_t> b;
};

merged_dims merge_dims(const shape_t& out, std::span<const std::int64_t> a_strides,
                       std::span<const std::int64_t> b_strides);

/// The fast kernels' loop over a merged broadcast: its rows (every dimension but the
/// innermost) split over `pool`'s threads, chunks of `grain_elements` output elements or so,
/// and f(row, a_offset, b_offset, inner) called for each row with the element offsets of its
/// first element in both inputs (the row's output starts at row * inner).
template <class F>
void for_each_broadcast_row(thread_pool* pool, const merged_dims& m, std::int64_t grain_elements,
                            F&& f) {
  const auto rank = m.out.size();
  const std::int64_t inner = m.out[rank - 1];
  const std::int64_t total = element_count(m.out);
  if (total == 0)
    return;
  const std::int64_t grain = std::max<std::int64_t>(1, grain_elements / inner);
  parallel_for(pool, total / inner, grain, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t r = begin; r < end; ++r) {
      // Offsets of row r: its index decomposed over the outer dimensions.
      std::int64_t ia = 0, ib = 0, rest = r;
      for (std::size_t d = rank - 1; d-- > 0;) {
        const auto i = rest % m.out[d];
        rest /= m.out[d];
        ia += i * m.a[d];
        ib += i * m.b[d];
      }
      f(r, ia, ib, inner);
    }
  });
}

/// Calls f(out_index, a_offset, b_offset) for every element of `out` in row-major order, with
/// the element offsets of two broadcast inputs.
template <class F>
void for_each_broadcast(const shape_t& out, std::span<const std::int64_t> a_strides,
                        std::span<const std::int64_t> b_strides, F&& f) {
  const auto rank = out.size();
  const std::int64_t total = element_count(out);
  if (total == 0)
    return;
  if (rank == 0) {
    f(0, 0, 0);
    return;
  }
  // The innermost dimension runs as a plain loop; the outer ones as an odometer.
  const std::int64_t inner = out[rank - 1];
  const std::int64_t sa = a_strides[rank - 1];
  const std::int64_t sb = b_strides[rank - 1];
  std::vector<std::int64_t> index(rank, 0);
  std::int64_t a = 0, b = 0;
  for (std::int64_t o = 0; o < total; o += inner) {
    for (std::int64_t i = 0; i < inner; ++i)
      f(o + i, a + i * sa, b + i * sb);
    for (std::size_t d = rank - 1; d-- > 0;) {
      if (++index[d] < out[d]) {
        a += a_strides[d];
        b += b_strides[d];
        break;
      }
      a -= a_strides[d] * (out[d] - 1);
      b -= b_strides[d] * (out[d] - 1);
      index[d] = 0;
    }
  }
}

} // namespace hogar::nn
