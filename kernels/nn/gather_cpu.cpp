// gather_cpu.cpp: the fast CPU path of Gather for every dtype: the indices checked once per
// call, then each (outer, index) pair's inner block copied whole, pairs split over the
// instance's threads.
#include <algorithm>
#include <cstring>
#include <vector>

#include "kernels/nn/gather.hpp"
#include "kernels/nn/thread_pool.hpp"

namespace hogar::nn {

result<std::optional<cpu_kernel>> bind_gather_cpu(const node_view& view,
                                                  std::span<const value_type>) {
  auto params = gather_params_of(view);
  if (!params)
    return params.error();
  const auto p = *params;
  cpu_kernel k;
  k.run = [p](const cpu_buffers& io) {
    // Checked before any copy: a bad index fails the batch without a partial output.
    std::vector<std::int64_t> rows(static_cast<std::size_t>(p.indices));
    for (std::int64_t j = 0; j < p.indices; ++j)
      rows[static_cast<std::size_t>(j)] = gathered_row(p, io.inputs[1], j);
    const auto* data = static_cast<const char*>(io.inputs[0]);
    auto* out = static_cast<char*>(io.outputs[0]);
    const auto block = static_cast<std::size_t>(p.inner) * p.element_size;
    const auto grain = std::max<std::int64_t>(1, 16384 / static_cast<std::int64_t>(std::max<std::size_t>(1, block)));
    parallel_for(io.pool, p.outer * p.indices, grain, [&](std::int64_t begin, std::int64_t end) {
      for (auto pair = begin; pair < end; ++pair) {
        const auto o = pair / p.indices;
        const auto j = pair % p.indices;
        std::memcpy(out + static_cast<std::size_t>(pair) * block,
                    data + static_cast<std::size_t>(o * p.extent + rows[static_cast<std::size_t>(j)]) * block,
                    block);
      }
    });
  };
  return std::optional{std::move(k)};
}

} // namespace hogar::nn
