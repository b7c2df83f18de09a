#include "kernels/onnx/arena.hpp"

#include <algorithm>

namespace hogar::onnx {

bool lives_in_arena(const planned_value& v) noexcept {
  return !v.constant && v.input < 0 && v.alias_of < 0 && v.producer >= 0;
}

arena_layout plan_arena(const plan& p, std::size_t alignment) {
  struct item {
    std::size_t value;
    std::size_t bytes;
    int first;
    int last;
  };
  const auto values = p.values();
  std::vector<item> items;
  for (std::size_t v = 0; v < values.size(); ++v) {
    const auto& value = values[v];
    if (!lives_in_arena(value))
      continue;
    auto bytes = static_cast<std::size_t>(element_count(value.type.shape)) *
                 dtype_size(value.type.type);
    bytes = (std::max<std::size_t>(bytes, 1) + alignment - 1) / alignment * alignment;
    items.push_back({v, bytes, value.producer, std::max(value.last_use, value.producer)});
  }
  std::stable_sort(items.begin(), items.end(),
                   [](const item& a, const item& b) { return a.bytes > b.bytes; });
  arena_layout layout;
  layout.offsets.assign(values.size(), 0);
  struct placed {
    std::size_t offset;
    std::size_t bytes;
    int first;
    int last;
  };
  std::vector<placed> done;
  std::vector<placed> overlapping;
  for (auto& it : items) {
    overlapping.clear();
    for (auto& d : done)
      if (d.first <= it.last && it.first <= d.last)
        overlapping.push_back(d);
    std::sort(overlapping.begin(), overlapping.end(),
              [](const placed& a, const placed& b) { return a.offset < b.offset; });
    std::size_t offset = 0;
    for (auto& d : overlapping) {
      if (d.offset >= offset + it.bytes)
        break;
      offset = std::max(offset, d.offset + d.bytes);
    }
    layout.offsets[it.value] = offset;
    layout.bytes = std::max(layout.bytes, offset + it.bytes);
    done.push_back({offset, it.bytes, it.first, it.last});
  }
  return layout;
}

} // namespace hogar::onnx
