// nms_cpu.cpp: NonMaxSuppression on the fast CPU path: the (item, class) pairs are independent,
// so threads select them at once, each into its own rows of the workspace, and the kept boxes
// are then written out in order.
#include <algorithm>

#include "kernels/nn/nms.hpp"
#include "kernels/nn/scratch_slots.hpp"

namespace hogar::nn {

result<std::optional<cpu_kernel>> bind_nms_cpu(const node_view& view,
                                               std::span<const value_type>) {
  auto params = nms_params_of(view);
  if (!params)
    return params.error();
  const auto& p = *params;
  const auto pairs = p.batches * p.classes;
  const auto slots = scratch_slot_count();
  // The workspace: each pair's kept boxes and count, then one selection scratch per slot.
  const auto kept_bytes = static_cast<std::size_t>(pairs * p.keep_per_class) * sizeof(std::int64_t);
  const auto count_bytes = static_cast<std::size_t>(pairs) * sizeof(std::int64_t);
  const auto scratch_bytes = (nms_scratch_bytes(p) + 63) / 64 * 64;
  cpu_kernel k;
  k.workspace_bytes = (kept_bytes + count_bytes + 63) / 64 * 64 +
                      static_cast<std::size_t>(slots) * scratch_bytes;
  k.run = [p, pairs, slots, kept_bytes, count_bytes, scratch_bytes](const cpu_buffers& io) {
    const auto t = nms_thresholds_of(p, io);
    const auto* boxes = static_cast<const float*>(io.inputs[0]);
    const auto* scores = static_cast<const float*>(io.inputs[1]);
    auto* base = static_cast<char*>(io.workspace);
    auto* kept = reinterpret_cast<std::int64_t*>(base);
    auto* counts = reinterpret_cast<std::int64_t*>(base + kept_bytes);
    auto* scratch = base + (kept_bytes + count_bytes + 63) / 64 * 64;
    parallel_with_slots(io.pool, pairs, slots, [&](std::int64_t slot, std::int64_t pair) {
      const auto b = pair / p.classes;
      counts[pair] = nms_select(p, t, boxes + b * p.boxes * 4, scores + pair * p.boxes,
                                scratch + static_cast<std::size_t>(slot) * scratch_bytes,
                                kept + pair * p.keep_per_class);
    });
    auto* rows = static_cast<std::int64_t*>(io.outputs[0]);
    std::int64_t row = 0;
    for (std::int64_t pair = 0; pair < pairs; ++pair)
      for (std::int64_t j = 0; j < counts[pair]; ++j, ++row) {
        rows[row * 3] = pair / p.classes;
        rows[row * 3 + 1] = pair % p.classes;
        rows[row * 3 + 2] = kept[pair * p.keep_per_class + j];
      }
    std::fill(rows + row * 3, rows + p.row_bound() * 3, std::int64_t{-1});
  };
  return std::optional<cpu_kernel>{std::move(k)};
}

} // namespace hogar::nn
