// prelu_cpu.cpp: the fast CPU path of PRelu for float32. After merging the dimensions that
// broadcast alike, the innermost one is a run where the slope is either one value (per
// channel) or a contiguous row; runs split over the instance's threads.
#include <algorithm>

#include "kernels/nn/broadcast.hpp"
#include "kernels/nn/prelu.hpp"
#include "kernels/nn/thread_pool.hpp"

namespace hogar::nn {

result<std::optional<cpu_kernel>> bind_prelu_cpu(const node_view& view,
                                                 std::span<const value_type> outputs) {
  if (outputs[0].type != dtype::float32)
    return std::optional<cpu_kernel>{};
  auto types = infer_prelu(view);
  if (!types)
    return types.error();
  const auto& out = outputs[0].shape;
  const auto m = merge_dims(out, broadcast_strides(view.inputs[0].shape, out),
                            broadcast_strides(view.inputs[1].shape, out));
  const auto rank = m.out.size();
  const auto inner = m.out[rank - 1];
  const auto rows = element_count(m.out) / std::max<std::int64_t>(1, inner);
  cpu_kernel k;
  k.run = [m, rank, inner, rows](const cpu_buffers& io) {
    const auto* x = static_cast<const float*>(io.inputs[0]);
    const auto* s = static_cast<const float*>(io.inputs[1]);
    auto* y = static_cast<float*>(io.outputs[0]);
    const auto grain = std::max<std::int64_t>(1, 16384 / std::max<std::int64_t>(1, inner));
    parallel_for(io.pool, rows, grain, [&](std::int64_t begin, std::int64_t end) {
      for (auto r = begin; r < end; ++r) {
        // X is never broadcast (the slope broadcasts to it): its rows are contiguous.
        std::int64_t rest = r, slope_offset = 0;
        for (std::size_t d = rank - 1; d-- > 0;) {
          slope_offset += rest % m.out[d] * m.b[d];
          rest /= m.out[d];
        }
        const float* xr = x + r * inner;
        float* yr = y + r * inner;
        const float* sr = s + slope_offset;
        if (m.b[rank - 1] == 0) {
          const float slope = *sr;
          for (std::int64_t i = 0; i < inner; ++i)
            yr[i] = xr[i] < 0.0f ? slope * xr[i] : xr[i];
        } else {
          for (std::int64_t i = 0; i < inner; ++i)
            yr[i] = xr[i] < 0.0f ? sr[i] * xr[i] : xr[i];
        }
      }
    });
  };
  return std::optional{std::move(k)};
}

} // namespace hogar::nn
