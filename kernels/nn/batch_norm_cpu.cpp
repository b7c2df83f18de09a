// batch_norm_cpu.cpp: the fast CPU path of BatchNormalization for float32 (what optimize()
// could not fold into a Conv): the per-channel statistics become one multiplier and one
// offset per channel, then every plane is y = x * s + t, split over the instance's threads.
#include <cmath>

#include "kernels/nn/batch_norm.hpp"
#include "kernels/nn/simd.hpp"
#include "kernels/nn/thread_pool.hpp"

namespace hogar::nn {

result<std::optional<cpu_kernel>> bind_batch_norm_cpu(const node_view& view,
                                                      std::span<const value_type> outputs) {
  auto params = batch_norm_params_of(view);
  if (!params)
    return params.error();
  if (outputs[0].type != dtype::float32)
    return std::optional<cpu_kernel>{};
  const auto p = *params;
  cpu_kernel k;
  // The multipliers, then the offsets.
  k.workspace_bytes = static_cast<std::size_t>(2 * p.channels) * sizeof(float);
  k.run = [p](const cpu_buffers& io) {
    const auto* x = static_cast<const float*>(io.inputs[0]);
    const auto* scale = static_cast<const float*>(io.inputs[1]);
    const auto* bias = static_cast<const float*>(io.inputs[2]);
    const auto* mean = static_cast<const float*>(io.inputs[3]);
    const auto* var = static_cast<const float*>(io.inputs[4]);
    auto* y = static_cast<float*>(io.outputs[0]);
    auto* s = static_cast<float*>(io.workspace);
    auto* t = s + p.channels;
    for (std::int64_t c = 0; c < p.channels; ++c) {
      const double m = scale[c] / std::sqrt(static_cast<double>(var[c]) + p.epsilon);
      s[c] = static_cast<float>(m);
      t[c] = static_cast<float>(bias[c] - mean[c] * m);
    }
    const auto planes = p.batch * p.channels;
    const auto size = p.spatial_size;
    const auto grain = std::max<std::int64_t>(1, 16384 / std::max<std::int64_t>(1, size));
    parallel_for(io.pool, planes, grain, [&](std::int64_t begin, std::int64_t end) {
      for (auto plane = begin; plane < end; ++plane) {
        const auto c = plane % p.channels;
        simd::scale_shift(x + plane * size, y + plane * size, size, s[c], t[c]);
      }
    });
  };
  return std::optional{std::move(k)};
}

} // namespace hogar::nn
