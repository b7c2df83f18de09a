// binary_cpu.cpp: the fast CPU path of Add, Sub, Mul and Div for float32. Dimensions that
// broadcast alike are merged so that the innermost loop is a long contiguous run the compiler
// vectorises; the outer runs are split over the instance's threads.
#include "kernels/nn/binary.hpp"
#include "kernels/nn/broadcast.hpp"
#include "kernels/nn/thread_pool.hpp"

namespace hogar::nn {

namespace {

/// Output extents and input strides with adjacent dimensions merged where both inputs step
/// alike (both contiguous across the boundary, or both broadcast).
struct merged_dims {
  shape_t out;
  std::vector<std::int64_t> a;
  std::vector<std::int64_t> b;
};

merged_dims merge(const shape_t& out, std::vector<std::int64_t> sa, std::vector<std::int64_t> sb) {
  merged_dims m;
  for (std::size_t d = 0; d < out.size(); ++d) {
    if (out[d] == 1)
      continue;
    if (!m.out.empty()) {
      auto last = m.out.size() - 1;
      // Mergeable when the outer stride equals inner stride * inner extent for both inputs.
      bool a_ok = m.a[last] == sa[d] * out[d];
      bool b_ok = m.b[last] == sb[d] * out[d];
      if (a_ok && b_ok) {
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

template <binary_op Op>
inline float apply(float x, float y) {
  if constexpr (Op == binary_op::add) return x + y;
  else if constexpr (Op == binary_op::sub) return x - y;
  else if constexpr (Op == binary_op::mul) return x * y;
  else return x / y;
}

/// One contiguous run of `n` outputs; each input steps by 1 or 0 (broadcast).
template <binary_op Op>
void run_inner(const float* a, std::int64_t sa, const float* b, std::int64_t sb, float* y,
               std::int64_t n) {
  if (sa == 1 && sb == 1) {
    for (std::int64_t i = 0; i < n; ++i) y[i] = apply<Op>(a[i], b[i]);
  } else if (sa == 1 && sb == 0) {
    const float v = *b;
    for (std::int64_t i = 0; i < n; ++i) y[i] = apply<Op>(a[i], v);
  } else if (sa == 0 && sb == 1) {
    const float v = *a;
    for (std::int64_t i = 0; i < n; ++i) y[i] = apply<Op>(v, b[i]);
  } else {
    for (std::int64_t i = 0; i < n; ++i) y[i] = apply<Op>(a[i * sa], b[i * sb]);
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
    const std::int64_t inner = m.out[rank - 1];
    const std::int64_t outer = element_count(m.out) / inner;
    // About 16 KiB of output per chunk keeps the pool's overhead small.
    const std::int64_t grain = std::max<std::int64_t>(1, 4096 / inner);
    parallel_for(io.pool, outer, grain, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t r = begin; r < end; ++r) {
        // Offsets of row r: decompose its index over the outer dimensions.
        std::int64_t ia = 0, ib = 0, rest = r;
        for (std::size_t d = rank - 1; d-- > 0;) {
          auto i = rest % m.out[d];
          rest /= m.out[d];
          ia += i * m.a[d];
          ib += i * m.b[d];
        }
        run_inner<Op>(a + ia, m.a[rank - 1], b + ib, m.b[rank - 1], y + r * inner, inner);
      }
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
  auto m = merge(out, broadcast_strides(shapes->a, out), broadcast_strides(shapes->b, out));
  switch (*binary_op_of(view.node.op_type)) {
    case binary_op::add: return std::optional{make_kernel<binary_op::add>(std::move(m))};
    case binary_op::sub: return std::optional{make_kernel<binary_op::sub>(std::move(m))};
    case binary_op::mul: return std::optional{make_kernel<binary_op::mul>(std::move(m))};
    case binary_op::div: return std::optional{make_kernel<binary_op::div>(std::move(m))};
  }
  return std::optional<cpu_kernel>{};
}

} // namespace hogar::nn
