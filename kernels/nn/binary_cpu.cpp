// binary_cpu.cpp: the fast CPU path of Add, Sub, Mul and Div for float32. Dimensions that
// broadcast alike are merged so that the innermost loop is a long contiguous run the compiler
// vectorises; the outer runs are split over the instance's threads.
#include "kernels/nn/binary.hpp"
#include "kernels/nn/broadcast.hpp"
#include "kernels/nn/simd.hpp"
#include "kernels/nn/thread_pool.hpp"

namespace hogar::nn {

namespace {

/// x Op y, for one float or four at once (simd::float4).
template <binary_op Op, class V>
inline V apply(V x, V y) {
  if constexpr (Op == binary_op::add) return x + y;
  else if constexpr (Op == binary_op::sub) return x - y;
  else if constexpr (Op == binary_op::mul) return x * y;
  else return x / y;
}

/// One contiguous run of `n` outputs; each input steps by 1 or 0 (broadcast). Written out as
/// four-float vectors: -O2 without -march leaves these loops scalar (kernels/nn/simd.hpp).
template <binary_op Op>
void run_inner(const float* a, std::int64_t sa, const float* b, std::int64_t sb, float* y,
               std::int64_t n) {
  using simd::float4;
  constexpr auto w = simd::width;
  std::int64_t i = 0;
  if (sa == 1 && sb == 1) {
    for (; i + w <= n; i += w)
      simd::store(y + i, apply<Op, float4>(simd::load(a + i), simd::load(b + i)));
    for (; i < n; ++i) y[i] = apply<Op, float>(a[i], b[i]);
  } else if (sa == 1 && sb == 0) {
    const float v = *b;
    const float4 vv = simd::splat(v);
    for (; i + w <= n; i += w) simd::store(y + i, apply<Op, float4>(simd::load(a + i), vv));
    for (; i < n; ++i) y[i] = apply<Op, float>(a[i], v);
  } else if (sa == 0 && sb == 1) {
    const float v = *a;
    const float4 vv = simd::splat(v);
    for (; i + w <= n; i += w) simd::store(y + i, apply<Op, float4>(vv, simd::load(b + i)));
    for (; i < n; ++i) y[i] = apply<Op, float>(v, b[i]);
  } else {
    for (; i < n; ++i) y[i] = apply<Op, float>(a[i * sa], b[i * sb]);
  }
}

template <binary_op Op>
cpu_kernel make_kernel(merged_dims m) {
  cpu_kernel k;
  k.run = [m = std::move(m)](const cpu_buffers& io) {
    auto* a = static_cast<const float*>(io.inputs[0]);
    auto* b = static_cast<const float*>(io.inputs[1]);
    auto* y = static_cast<float*>(io.outputs[0]);
    const auto rank = m.out.size();
    // About 16 KiB of output per chunk keeps the pool's overhead small.
    for_each_broadcast_row(io.pool, m, 4096, [&](std::int64_t r, std::int64_t ia, std::int64_t ib,
                                                 std::int64_t inner) {
      run_inner<Op>(a + ia, m.a[rank - 1], b + ib, m.b[rank - 1], y + r * inner, inner);
    });
  };
  return k;
}

} // namespace

result<std::optional<cpu_kernel>> bind_binary_cpu(const node_view& view,
                                                  std::span<const value_type> outputs) {
  if (outputs[0].type != dtype::float32)
    return std::optional<cpu_kernel>{};
  auto shapes = binary_shapes_of(view);
  if (!shapes)
    return shapes.error();
  const auto& out = outputs[0].shape;
  auto m = merge_dims(out, broadcast_strides(shapes->a, out), broadcast_strides(shapes->b, out));
  cpu_kernel k;
  switch (*binary_op_of(view.node.op_type)) {
    case binary_op::add: k = make_kernel<binary_op::add>(std::move(m)); break;
    case binary_op::sub: k = make_kernel<binary_op::sub>(std::move(m)); break;
    case binary_op::mul: k = make_kernel<binary_op::mul>(std::move(m)); break;
    case binary_op::div: k = make_kernel<binary_op::div>(std::move(m)); break;
  }
  // Without broadcasting, element i of the output needs element i of each input, whatever
  // order the elements are laid out in (ResNet's residual Add between two Convs).
  k.layouts.elementwise = shapes->a == out && shapes->b == out;
  return std::optional{std::move(k)};
}

} // namespace hogar::nn
