// where_cpu.cpp: the fast CPU path of Where for every dtype. Dimensions that all three inputs
// broadcast alike are merged (where_dims_of) and the outer runs split over the instance's
// threads with broadcast.hpp's row loop, which carries the condition's and X's offsets; Y's
// are worked out per row the same way. Each run is a select loop over elements moved by their
// size, one loop per pattern of contiguous and repeated operands so that the compiler
// vectorizes it.
#include <cstdint>

#include "kernels/nn/broadcast.hpp"
#include "kernels/nn/thread_pool.hpp"
#include "kernels/nn/where.hpp"

namespace hogar::nn {

namespace {

/// Output elements per chunk a thread takes.
constexpr std::int64_t grain_elements = 16384;

/// One run of n outputs whose operands step by SC, SX and SY (0 or 1 each).
/// Both values are loaded whatever the condition, so that the select has no branch and the loop
/// vectorizes (`omp simd`: see compare_cpu.cpp).
template <class U, int SC, int SX, int SY>
void select_fixed(const std::uint8_t* c, const U* x, const U* y, U* z, std::int64_t n) {
#pragma omp simd
  for (std::int64_t i = 0; i < n; ++i) {
    const U a = x[i * SX], b = y[i * SY];
    z[i] = c[i * SC] != 0 ? a : b;
  }
}

template <class U>
void select_run(const std::uint8_t* c, std::int64_t sc, const U* x, std::int64_t sx, const U* y,
                std::int64_t sy, U* z, std::int64_t n) {
  if ((sc == 0 || sc == 1) && (sx == 0 || sx == 1) && (sy == 0 || sy == 1)) {
    switch (sc * 4 + sx * 2 + sy) {
      case 0: select_fixed<U, 0, 0, 0>(c, x, y, z, n); return;
      case 1: select_fixed<U, 0, 0, 1>(c, x, y, z, n); return;
      case 2: select_fixed<U, 0, 1, 0>(c, x, y, z, n); return;
      case 3: select_fixed<U, 0, 1, 1>(c, x, y, z, n); return;
      case 4: select_fixed<U, 1, 0, 0>(c, x, y, z, n); return;
      case 5: select_fixed<U, 1, 0, 1>(c, x, y, z, n); return;
      case 6: select_fixed<U, 1, 1, 0>(c, x, y, z, n); return;
      default: select_fixed<U, 1, 1, 1>(c, x, y, z, n); return;
    }
  }
  for (std::int64_t i = 0; i < n; ++i)
    z[i] = c[i * sc] != 0 ? x[i * sx] : y[i * sy];
}

/// Elements of `U`'s size (the same bytes, whatever dtype they hold).
template <class U>
void run_where(const where_dims& w, const merged_dims& rows, const cpu_buffers& io) {
  const auto* c = static_cast<const std::uint8_t*>(io.inputs[0]);
  const auto* x = static_cast<const U*>(io.inputs[1]);
  const auto* y = static_cast<const U*>(io.inputs[2]);
  auto* z = static_cast<U*>(io.outputs[0]);
  const auto rank = w.out.size();
  for_each_broadcast_row(io.pool, rows, grain_elements, [&](std::int64_t r, std::int64_t ic,
                                                            std::int64_t ix,
                                                            std::int64_t inner) {
    // Y's offset of row r: its index decomposed over the outer dimensions.
    std::int64_t iy = 0, rest = r;
    for (std::size_t d = rank - 1; d-- > 0;) {
      iy += (rest % w.out[d]) * w.y[d];
      rest /= w.out[d];
    }
    select_run<U>(c + ic, w.condition[rank - 1], x + ix, w.x[rank - 1], y + iy, w.y[rank - 1],
                  z + r * inner, inner);
  });
}

} // namespace

result<std::optional<cpu_kernel>> bind_where_cpu(const node_view& view,
                                                 std::span<const value_type> outputs) {
  auto w = where_dims_of(view, outputs[0].shape);
  // The row loop's view of the merge: the condition and X as its two operands.
  merged_dims rows{w.out, w.condition, w.x};
  const auto size = dtype_size(outputs[0].type);
  cpu_kernel k;
  k.run = [w = std::move(w), rows = std::move(rows), size](const cpu_buffers& io) {
    switch (size) {
      case 1: run_where<std::uint8_t>(w, rows, io); break;
      case 2: run_where<std::uint16_t>(w, rows, io); break;
      case 4: run_where<std::uint32_t>(w, rows, io); break;
      default: run_where<std::uint64_t>(w, rows, io); break;
    }
  };
  return std::optional{std::move(k)};
}

} // namespace hogar::nn
