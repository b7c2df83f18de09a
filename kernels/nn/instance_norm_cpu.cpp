// instance_norm_cpu.cpp: the fast CPU path of InstanceNormalization for float32: per (image,
// channel) plane a pass for the mean and one for the variance (in double, four accumulators
// so that the loop vectorises), then one that writes scale * (x - mean) * rstd + B; planes
// split over the instance's threads.
#include <cmath>

#include "kernels/nn/instance_norm.hpp"
#include "kernels/nn/thread_pool.hpp"

namespace hogar::nn {

namespace {

void normalize_plane(const float* x, float* y, std::int64_t n, float scale, float bias,
                     double epsilon) {
  double s[4] = {0, 0, 0, 0};
  std::int64_t i = 0;
  for (; i + 4 <= n; i += 4)
    for (int k = 0; k < 4; ++k)
      s[k] += static_cast<double>(x[i + k]);
  double sum = s[0] + s[1] + s[2] + s[3];
  for (; i < n; ++i)
    sum += static_cast<double>(x[i]);
  const double mean = n > 0 ? sum / static_cast<double>(n) : 0;
  double q[4] = {0, 0, 0, 0};
  for (i = 0; i + 4 <= n; i += 4)
    for (int k = 0; k < 4; ++k) {
      const double d = static_cast<double>(x[i + k]) - mean;
      q[k] += d * d;
    }
  double squares = q[0] + q[1] + q[2] + q[3];
  for (; i < n; ++i) {
    const double d = static_cast<double>(x[i]) - mean;
    squares += d * d;
  }
  const double variance = n > 0 ? squares / static_cast<double>(n) : 0;
  const auto factor = static_cast<float>(scale / std::sqrt(variance + epsilon));
  const auto shift = static_cast<float>(bias - mean * factor);
  for (i = 0; i < n; ++i)
    y[i] = x[i] * factor + shift;
}

} // namespace

result<std::optional<cpu_kernel>> bind_instance_norm_cpu(const node_view& view,
                                                         std::span<const value_type> outputs) {
  if (outputs[0].type != dtype::float32)
    return std::optional<cpu_kernel>{};
  auto params = instance_norm_params_of(view);
  if (!params)
    return params.error();
  const auto p = *params;
  cpu_kernel k;
  k.run = [p](const cpu_buffers& io) {
    const auto* x = static_cast<const float*>(io.inputs[0]);
    const auto* scale = static_cast<const float*>(io.inputs[1]);
    const auto* bias = static_cast<const float*>(io.inputs[2]);
    auto* y = static_cast<float*>(io.outputs[0]);
    parallel_for(io.pool, p.batch * p.channels, 1, [&](std::int64_t begin, std::int64_t end) {
      for (auto plane = begin; plane < end; ++plane) {
        const auto c = plane % p.channels;
        normalize_plane(x + plane * p.plane, y + plane * p.plane, p.plane, scale[c], bias[c],
                        p.epsilon);
      }
    });
  };
  return std::optional{std::move(k)};
}

} // namespace hogar::nn
