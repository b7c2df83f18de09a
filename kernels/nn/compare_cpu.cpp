// compare_cpu.cpp: the fast CPU path of the comparisons, And, Or, Xor and Not, for every dtype
// they take. Dimensions that broadcast alike are merged (broadcast.hpp) and the outer runs split
// over the instance's threads; each run is a plain loop over contiguous or repeated operands,
// which the compiler turns into vector compares packed to bytes. Not is one such loop. The
// loops are marked `omp simd`: at -O2 without it GCC vectorizes only loops that need no
// scalar tail (simd.hpp), which these always may.

#include "kernels/nn/binary.hpp"
#include "kernels/nn/broadcast.hpp"
#include "kernels/nn/compare.hpp"
#include "kernels/nn/thread_pool.hpp"

namespace hogar::nn {

namespace {

/// Output bytes per chunk a thread takes: comparisons cost a cycle or less per element.
constexpr std::int64_t grain_elements = 16384;

/// One contiguous run of n outputs; a and b step by their strides (1 or 0 in the usual cases,
/// each its own loop so that the compiler vectorizes it).
template <compare_op Op, bool Boolean, class T>
void run_inner(const T* a, std::int64_t sa, const T* b, std::int64_t sb, std::uint8_t* y,
               std::int64_t n) {
  if (sa == 1 && sb == 1) {
#pragma omp simd
    for (std::int64_t i = 0; i < n; ++i) y[i] = compare_value<Op, Boolean, T>(a[i], b[i]);
  } else if (sa == 1 && sb == 0) {
    const T vb = *b;
#pragma omp simd
    for (std::int64_t i = 0; i < n; ++i) y[i] = compare_value<Op, Boolean, T>(a[i], vb);
  } else if (sa == 0 && sb == 1) {
    const T va = *a;
#pragma omp simd
    for (std::int64_t i = 0; i < n; ++i) y[i] = compare_value<Op, Boolean, T>(va, b[i]);
  } else {
    for (std::int64_t i = 0; i < n; ++i)
      y[i] = compare_value<Op, Boolean, T>(a[i * sa], b[i * sb]);
  }
}

} // namespace

result<std::optional<cpu_kernel>> bind_compare_cpu(const node_view& view,
                                                   std::span<const value_type> outputs) {
  const auto op = compare_op_of(view.node.op_type);
  if (!op)
    return view.error("is not a comparison, And, Or, Xor or Not");
  cpu_kernel k;
  if (*op == compare_op::logical_not) {
    const auto n = element_count(outputs[0].shape);
    k.run = [n](const cpu_buffers& io) {
      const auto* x = static_cast<const std::uint8_t*>(io.inputs[0]);
      auto* y = static_cast<std::uint8_t*>(io.outputs[0]);
      parallel_for(io.pool, n, grain_elements, [&](std::int64_t begin, std::int64_t end) {
#pragma omp simd
        for (std::int64_t i = begin; i < end; ++i) y[i] = x[i] == 0;
      });
    };
    return std::optional{std::move(k)};
  }
  auto shapes = binary_shapes_of(view);
  if (!shapes)
    return shapes.error();
  const auto& out = outputs[0].shape;
  auto m = merge_dims(out, broadcast_strides(shapes->a, out), broadcast_strides(shapes->b, out));
  const auto type = view.inputs[0].type;
  k.run = [m = std::move(m), op = *op, type](const cpu_buffers& io) {
    visit_compare(op, type, [&](auto op_constant, auto boolean, auto zero) {
      constexpr auto o = decltype(op_constant)::value;
      constexpr bool b = decltype(boolean)::value;
      using T = decltype(zero);
      const auto* x = static_cast<const T*>(io.inputs[0]);
      const auto* z = static_cast<const T*>(io.inputs[1]);
      auto* y = static_cast<std::uint8_t*>(io.outputs[0]);
      const auto rank = m.out.size();
      for_each_broadcast_row(io.pool, m, grain_elements,
                             [&](std::int64_t r, std::int64_t ix, std::int64_t iz,
                                 std::int64_t inner) {
                               run_inner<o, b, T>(x + ix, m.a[rank - 1], z + iz, m.b[rank - 1],
                                                  y + r * inner, inner);
                             });
    });
  };
  return std::optional{std::move(k)};
}

} // namespace hogar::nn
