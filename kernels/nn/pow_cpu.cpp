// pow_cpu.cpp: the fast CPU path of Pow for float32 X and Y. Dimensions that broadcast alike
// are merged (broadcast.hpp) and the outer runs split over the instance's threads. A constant
// exponent of 2 (a variance, a squared distance) runs as four-float products: x * x rounded
// once is what the reference's double pow rounds to. Any other exponent calls std::pow.
#include <algorithm>
#include <cmath>

#include "kernels/nn/binary.hpp"
#include "kernels/nn/broadcast.hpp"
#include "kernels/nn/pow.hpp"
#include "kernels/nn/simd.hpp"
#include "kernels/nn/thread_pool.hpp"

namespace hogar::nn {

namespace {

/// One contiguous run of n outputs; x and e step by their strides.
void run_inner(const float* x, std::int64_t sx, const float* e, std::int64_t se, float* y,
               std::int64_t n) {
  std::int64_t i = 0;
  if (sx == 1 && se == 0 && *e == 2.0f) {
    for (; i + simd::width <= n; i += simd::width) {
      const auto v = simd::load(x + i);
      simd::store(y + i, v * v);
    }
    for (; i < n; ++i) y[i] = x[i] * x[i];
    return;
  }
  for (; i < n; ++i) y[i] = std::pow(x[i * sx], e[i * se]);
}

} // namespace

result<std::optional<cpu_kernel>> bind_pow_cpu(const node_view& view,
                                               std::span<const value_type> outputs) {
  if (outputs[0].type != dtype::float32 || view.inputs[1].type != dtype::float32)
    return std::optional<cpu_kernel>{};
  auto shapes = binary_shapes_of(view);
  if (!shapes)
    return shapes.error();
  const auto& out = outputs[0].shape;
  auto m = merge_dims(out, broadcast_strides(shapes->a, out), broadcast_strides(shapes->b, out));
  cpu_kernel k;
  k.run = [m = std::move(m)](const cpu_buffers& io) {
    const auto* x = static_cast<const float*>(io.inputs[0]);
    const auto* e = static_cast<const float*>(io.inputs[1]);
    auto* y = static_cast<float*>(io.outputs[0]);
    const auto rank = m.out.size();
    // std::pow costs tens of cycles: a smaller grain than the arithmetic ops' still pays.
    for_each_broadcast_row(io.pool, m, 1024, [&](std::int64_t r, std::int64_t ix, std::int64_t ie,
                                                 std::int64_t inner) {
      run_inner(x + ix, m.a[rank - 1], e + ie, m.b[rank - 1], y + r * inner, inner);
    });
  };
  // Without broadcasting, element i of the output needs element i of each input.
  k.layouts.elementwise = shapes->a == out && shapes->b == out;
  return std::optional{std::move(k)};
}

} // namespace hogar::nn
