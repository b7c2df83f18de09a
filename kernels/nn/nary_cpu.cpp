// nary_cpu.cpp: the fast CPU path of Sum, Max, Min and Mean for float32. The output is made in
// steps, as the reference makes it: y = x0 op x1, then y = y op xk for every further input
// (in place), then Mean's division. Each step merges the dimensions its two operands
// broadcast alike (broadcast.hpp) so that the inner loop is a long run of four-float vectors;
// its outer runs are split over the instance's threads.
#include <algorithm>
#include <cstring>
#include <functional>

#include "kernels/nn/broadcast.hpp"
#include "kernels/nn/nary.hpp"
#include "kernels/nn/simd.hpp"
#include "kernels/nn/thread_pool.hpp"

namespace hogar::nn {

namespace {

using simd::float4;

/// Elements per chunk of the copy and the division: enough to amortise handing a chunk over.
constexpr std::int64_t chunk_elements = 16384;

/// One step: y = a op b over `dims`, where operand -1 is y itself (contiguous).
struct step {
  merged_dims dims;
  int a = 0;
  int b = 1;
};

/// a op b on four lanes: nary_combine's formulas, NaN kept by Max and Min alike.
template <nary_op Op>
inline float4 combine4(float4 a, float4 b) noexcept {
  if constexpr (Op == nary_op::max)
    return (a > b) | (a != a) ? a : b;
  else if constexpr (Op == nary_op::min)
    return (a < b) | (a != a) ? a : b;
  else
    return a + b;
}

/// One contiguous run of n outputs; each operand steps by its stride (1 or 0 in the usual
/// cases, which run as vectors). `a` may be `y` (in place: each element is read before it is
/// written).
template <nary_op Op>
void run_inner(const float* a, std::int64_t sa, const float* b, std::int64_t sb, float* y,
               std::int64_t n) {
  constexpr auto w = simd::width;
  std::int64_t i = 0;
  if (sa == 1 && sb == 1) {
    for (; i + w <= n; i += w)
      simd::store(y + i, combine4<Op>(simd::load(a + i), simd::load(b + i)));
    for (; i < n; ++i) y[i] = nary_combine(Op, a[i], b[i]);
  } else if (sa == 1 && sb == 0) {
    const float4 vb = simd::splat(*b);
    for (; i + w <= n; i += w) simd::store(y + i, combine4<Op>(simd::load(a + i), vb));
    for (; i < n; ++i) y[i] = nary_combine(Op, a[i], *b);
  } else if (sa == 0 && sb == 1) {
    const float4 va = simd::splat(*a);
    for (; i + w <= n; i += w) simd::store(y + i, combine4<Op>(va, simd::load(b + i)));
    for (; i < n; ++i) y[i] = nary_combine(Op, *a, b[i]);
  } else {
    for (; i < n; ++i) y[i] = nary_combine(Op, a[i * sa], b[i * sb]);
  }
}

template <nary_op Op>
void run_step(const step& s, const cpu_buffers& io) {
  auto* y = static_cast<float*>(io.outputs[0]);
  auto operand = [&](int k) {
    return k < 0 ? y : static_cast<const float*>(io.inputs[static_cast<std::size_t>(k)]);
  };
  const float* a = operand(s.a);
  const float* b = operand(s.b);
  const auto& m = s.dims;
  const auto rank = m.out.size();
  // About 16 KiB of output per chunk keeps the pool's overhead small.
  for_each_broadcast_row(io.pool, m, 4096, [&](std::int64_t r, std::int64_t ia, std::int64_t ib,
                                               std::int64_t inner) {
    run_inner<Op>(a + ia, m.a[rank - 1], b + ib, m.b[rank - 1], y + r * inner, inner);
  });
}

/// y[i] = x[i] (one input) or y[i] /= count (Mean), over chunks split among the threads.
void run_chunks(const cpu_buffers& io, std::int64_t n,
                const std::function<void(float*, std::int64_t, std::int64_t)>& fn) {
  auto* y = static_cast<float*>(io.outputs[0]);
  const auto chunks = (n + chunk_elements - 1) / chunk_elements;
  parallel_for(io.pool, chunks, 1, [&](std::int64_t begin, std::int64_t end) {
    const auto first = begin * chunk_elements;
    fn(y, first, std::min(n, end * chunk_elements) - first);
  });
}

template <nary_op Op>
cpu_kernel make_kernel(std::vector<step> steps, std::int64_t n, std::size_t inputs) {
  cpu_kernel k;
  k.run = [steps = std::move(steps), n, inputs](const cpu_buffers& io) {
    if (n == 0)
      return;
    if (steps.empty()) {
      // One input, of the output's shape: a copy.
      const auto* x = static_cast<const float*>(io.inputs[0]);
      run_chunks(io, n, [x](float* y, std::int64_t first, std::int64_t count) {
        std::memcpy(y + first, x + first, static_cast<std::size_t>(count) * sizeof(float));
      });
    }
    for (auto& s : steps)
      run_step<Op>(s, io);
    if constexpr (Op == nary_op::mean) {
      const float divisor = static_cast<float>(inputs);
      run_chunks(io, n, [divisor](float* y, std::int64_t first, std::int64_t count) {
        float* p = y + first;
        std::int64_t i = 0;
        const float4 vd = simd::splat(divisor);
        for (; i + simd::width <= count; i += simd::width)
          simd::store(p + i, simd::load(p + i) / vd);
        for (; i < count; ++i) p[i] /= divisor;
      });
    }
  };
  return k;
}

} // namespace

result<std::optional<cpu_kernel>> bind_nary_cpu(const node_view& view,
                                                std::span<const value_type> outputs) {
  if (outputs[0].type != dtype::float32)
    return std::optional<cpu_kernel>{};
  const auto op = nary_op_of(view.node.op_type);
  if (!op)
    return view.error("is not Sum, Max, Min or Mean");
  const auto& out = outputs[0].shape;
  const auto contiguous = broadcast_strides(out, out);
  std::vector<step> steps;
  bool same_shapes = true;
  for (std::size_t k = 0; k < view.inputs.size(); ++k) {
    same_shapes = same_shapes && view.inputs[k].shape == out;
    if (k == 0)
      continue;
    // The first step reads inputs 0 and 1; the later ones the output so far and input k.
    const bool first = k == 1;
    const auto a_strides = first ? broadcast_strides(view.inputs[0].shape, out) : contiguous;
    const auto b_strides = broadcast_strides(view.inputs[k].shape, out);
    steps.push_back({merge_dims(out, a_strides, b_strides), first ? 0 : -1,
                     static_cast<int>(k)});
  }
  const auto n = element_count(out);
  const auto inputs = view.inputs.size();
  cpu_kernel k;
  switch (*op) {
    case nary_op::sum: k = make_kernel<nary_op::sum>(std::move(steps), n, inputs); break;
    case nary_op::max: k = make_kernel<nary_op::max>(std::move(steps), n, inputs); break;
    case nary_op::min: k = make_kernel<nary_op::min>(std::move(steps), n, inputs); break;
    case nary_op::mean: k = make_kernel<nary_op::mean>(std::move(steps), n, inputs); break;
  }
  // Without broadcasting, element i of the output needs element i of each input, whatever
  // order the elements are laid out in.
  k.layouts.elementwise = same_shapes;
  return std::optional{std::move(k)};
}

} // namespace hogar::nn
