// gelu_cpu.cpp: the fast CPU path of Gelu for float32: chunks split among the instance's
// threads; the erf form as four-float vectors (simd.hpp's erf, the fused epilogue's formula),
// the tanh form element by element through gelu.hpp's formula in float.
#include <algorithm>

#include "kernels/nn/gelu.hpp"
#include "kernels/nn/simd.hpp"
#include "kernels/nn/thread_pool.hpp"

namespace hogar::nn {

namespace {

/// Elements per chunk: enough to amortise handing a chunk to a thread.
constexpr std::int64_t chunk_elements = 16384;

} // namespace

result<std::optional<cpu_kernel>> bind_gelu_cpu(const node_view& view,
                                                std::span<const value_type> outputs) {
  if (outputs[0].type != dtype::float32)
    return std::optional<cpu_kernel>{};
  auto p = gelu_params_of(view);
  if (!p)
    return p.error();
  const auto n = element_count(outputs[0].shape);
  cpu_kernel k;
  k.run = [tanh_form = p->tanh, n](const cpu_buffers& io) {
    const auto* x = static_cast<const float*>(io.inputs[0]);
    auto* y = static_cast<float*>(io.outputs[0]);
    const auto chunks = (n + chunk_elements - 1) / chunk_elements;
    parallel_for(io.pool, chunks, 1, [&](std::int64_t begin, std::int64_t end) {
      const auto last = std::min(n, end * chunk_elements);
      if (tanh_form)
        for (auto i = begin * chunk_elements; i < last; ++i)
          y[i] = gelu_value(true, x[i]);
      else
        simd::activate(x + begin * chunk_elements, y + begin * chunk_elements,
                       last - begin * chunk_elements, epilogue{activation::gelu});
    });
  };
  // Element by element: any layout of X is the same layout of Y.
  k.layouts.elementwise = true;
  return std::optional{std::move(k)};
}

} // namespace hogar::nn
