// activation_cpu.cpp: the fast CPU path of the activations for float32: the epilogue loops of
// simd.hpp (Relu, LeakyRelu and Clip as vectors) over chunks split among the instance's
// threads.
#include <algorithm>
#include <cmath>

#include "kernels/nn/activation.hpp"
#include "kernels/nn/simd.hpp"
#include "kernels/nn/thread_pool.hpp"

namespace hogar::nn {

namespace {

/// Elements per chunk: enough to amortise handing a chunk to a thread.
constexpr std::int64_t chunk_elements = 16384;

} // namespace

result<std::optional<cpu_kernel>> bind_activation_cpu(const node_view& view,
                                                      std::span<const value_type> outputs) {
  if (outputs[0].type != dtype::float32)
    return std::optional<cpu_kernel>{};
  epilogue e;
  const bool clip = view.node.op_type == "Clip";
  if (clip) {
    e.kind = activation::clip;
  } else if (auto a = activation_of(view); a) {
    e = *a;
  } else {
    return a.error();
  }
  const auto bounds = clip_bounds_of(view);
  const auto n = element_count(outputs[0].shape);
  cpu_kernel k;
  k.run = [=](const cpu_buffers& io) {
    auto run_e = e;
    if (clip) {
      double lo = bounds.min, hi = bounds.max;
      if (bounds.from_inputs) {
        if (io.inputs.size() > 1 && io.inputs[1])
          lo = *static_cast<const float*>(io.inputs[1]);
        if (io.inputs.size() > 2 && io.inputs[2])
          hi = *static_cast<const float*>(io.inputs[2]);
      }
      run_e.min = static_cast<float>(lo);
      run_e.max = static_cast<float>(hi);
    }
    const auto* x = static_cast<const float*>(io.inputs[0]);
    auto* y = static_cast<float*>(io.outputs[0]);
    const auto chunks = (n + chunk_elements - 1) / chunk_elements;
    parallel_for(io.pool, chunks, 1, [&](std::int64_t begin, std::int64_t end) {
      const auto first = begin * chunk_elements;
      const auto last = std::min(n, end * chunk_elements);
      simd::activate(x + first, y + first, last - first, run_e);
    });
  };
  // Element by element: any layout of X is the same layout of Y (Clip's bounds are scalars).
  k.layouts.elementwise = true;
  return std::optional{std::move(k)};
}

} // namespace hogar::nn
