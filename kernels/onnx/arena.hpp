// arena.hpp: where the intermediate values of a plan live in one block of memory.
//
// Values whose lifetimes do not overlap share bytes; the largest are placed first, each at the
// lowest offset free for its whole lifetime (the greedy-by-size strategy of TFLite's arena
// planner), which keeps a ResNet's activations to a few times its largest layer.
#pragma once

#include <cstddef>
#include <span>
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

/// For each value, the value whose storage it takes over, or -1: the output of a node with an
/// in-place input (layout_traits::in_place_input) takes that input's place where the node
/// reads it last, nothing else reads it there, both live in the arena with one size, and the
/// layout pass gave them one layout.
std::vector<int> in_place_outputs(const plan& p, std::span<const nn::cpu_kernel> kernels,
                                  std::span<const nn::layout_tag> layouts);

/// `takes_place_of` (empty, or one entry per value): the value whose storage a value takes
/// over, or -1. Such a value is written by the node that reads the other one last (an
/// in-place input, layout_traits::in_place_input); both get one offset, held for both lives.
arena_layout plan_arena(const plan& p, std::size_t alignment,
                        std::span<const int> takes_place_of = {});

} // namespace hogar::onnx
