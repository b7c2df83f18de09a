// arena.hpp: where the intermediate values of a plan live in one block of memory.
//
// Values whose lifetimes do not overlap share bytes; the largest are placed first, each at the
// lowest offset free for its whole lifetime (the greedy-by-size strategy of TFLite's arena
// planner), which keeps a ResNet's activations to a few times its largest layer.
#pragma once

#include <cstddef>
#include <vector>

#include "kernels/onnx/plan.hpp"

namespace hogar::onnx {

struct arena_layout {
  /// Byte offset of every value that lives in the arena (indexed by value id; others 0).
  std::vector<std::size_t> offsets;
  std::size_t bytes = 0;
};

/// Whether value v of the plan needs arena memory: written by a node, not a view.
bool lives_in_arena(const planned_value& v) noexcept;

arena_layout plan_arena(const plan& p, std::size_t alignment);

} // namespace hogar::onnx
