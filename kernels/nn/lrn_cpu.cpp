// lrn_cpu.cpp: the fast CPU path of LRN for float32. For a stretch of positions of one image,
// the sums of squares over the window of channel c are kept in a buffer and slid to channel
// c + 1 by adding the plane that enters and subtracting the one that leaves (in double, so
// that the running sum does not drift); stretches of positions split over the threads.
#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/nn/lrn.hpp"
#include "kernels/nn/thread_pool.hpp"

namespace hogar::nn {

namespace {

/// Positions per task: the running sums of a stretch stay in the L1 cache.
constexpr std::int64_t stretch = 1024;

void lrn_stretch(const lrn_params& p, const float* x, float* y, std::int64_t n,
                 std::int64_t first, std::int64_t count) {
  std::vector<double> squares(static_cast<std::size_t>(count), 0.0);
  const float* image = x + n * p.channels * p.spatial;
  float* out = y + n * p.channels * p.spatial;
  auto add_plane = [&](std::int64_t c, double sign) {
    if (c < 0 || c >= p.channels)
      return;
    const float* plane = image + c * p.spatial + first;
    for (std::int64_t s = 0; s < count; ++s)
      squares[static_cast<std::size_t>(s)] +=
        sign * static_cast<double>(plane[s]) * static_cast<double>(plane[s]);
  };
  // The window of channel 0: [-before, after].
  for (std::int64_t c = 0; c <= p.after; ++c)
    add_plane(c, 1.0);
  const double scale = p.alpha / static_cast<double>(p.size);
  const float beta = static_cast<float>(p.beta);
  for (std::int64_t c = 0; c < p.channels; ++c) {
    const float* in = image + c * p.spatial + first;
    float* dst = out + c * p.spatial + first;
    for (std::int64_t s = 0; s < count; ++s) {
      // The subtraction may leave a tiny negative residue where the window holds zeros.
      const double sum = std::max(0.0, squares[static_cast<std::size_t>(s)]);
      dst[s] = in[s] / std::pow(static_cast<float>(p.bias + scale * sum), beta);
    }
    add_plane(c + p.after + 1, 1.0);
    add_plane(c - p.before, -1.0);
  }
}

} // namespace

result<std::optional<cpu_kernel>> bind_lrn_cpu(const node_view& view,
                                               std::span<const value_type> outputs) {
  if (outputs[0].type != dtype::float32)
    return std::optional<cpu_kernel>{};
  auto params = lrn_params_of(view);
  if (!params)
    return params.error();
  const auto p = *params;
  const std::int64_t stretches = (p.spatial + stretch - 1) / stretch;
  cpu_kernel k;
  k.run = [p, stretches](const cpu_buffers& io) {
    const auto* x = static_cast<const float*>(io.inputs[0]);
    auto* y = static_cast<float*>(io.outputs[0]);
    parallel_for(io.pool, p.batch * stretches, 1, [&](std::int64_t begin, std::int64_t end) {
      for (auto task = begin; task < end; ++task) {
        const auto n = task / stretches;
        const auto first = task % stretches * stretch;
        lrn_stretch(p, x, y, n, first, std::min(stretch, p.spatial - first));
      }
    });
  };
  return std::optional{std::move(k)};
}

} // namespace hogar::nn
