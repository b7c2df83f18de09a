#include "kernels/onnx/arena.hpp"

#include <algorithm>
#include <cstdint>

namespace hogar::onnx {

bool lives_in_arena(const planned_value& v) noexcept {
  return !v.constant && v.input < 0 && v.alias_of < 0 && v.producer >= 0;
}

std::vector<int> in_place_outputs(const plan& p, std::span<const nn::cpu_kernel> kernels,
                                  std::span<const nn::layout_tag> layouts) {
  const auto values = p.values();
  const auto nodes = p.nodes();
  std::vector<int> takes(values.size(), -1);
  auto bytes_of = [&](int id) {
    const auto& t = values[static_cast<std::size_t>(id)].type;
    return element_count(t.shape) * static_cast<std::int64_t>(dtype_size(t.type));
  };
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const int k = kernels[i].layouts.in_place_input;
    const auto& n = nodes[i];
    if (k < 0 || static_cast<std::size_t>(k) >= n.inputs.size() || n.outputs.size() != 1)
      continue;
    const int in = n.inputs[static_cast<std::size_t>(k)];
    const int out = n.outputs[0];
    if (in < 0 || out < 0)
      continue;
    const auto& from = values[static_cast<std::size_t>(in)];
    const auto& to = values[static_cast<std::size_t>(out)];
    // The node writes over the input: no later node, view or other input of its own may
    // still need it.
    bool read_elsewhere = from.last_use != static_cast<int>(i);
    for (std::size_t j = 0; j < n.inputs.size(); ++j) {
      const int other = n.inputs[j];
      if (j != static_cast<std::size_t>(k) && other >= 0 &&
          (other == in || values[static_cast<std::size_t>(other)].alias_of == in))
        read_elsewhere = true;
    }
    if (!lives_in_arena(from) || !lives_in_arena(to) || read_elsewhere ||
        bytes_of(in) != bytes_of(out) ||
        layouts[static_cast<std::size_t>(in)] != layouts[static_cast<std::size_t>(out)])
      continue;
    takes[static_cast<std::size_t>(out)] = in;
  }
  return takes;
}

arena_layout plan_arena(const plan& p, std::size_t alignment, std::span<const int> takes_place_of) {
  struct item {
    std::size_t value;
    std::size_t bytes;
    int first;
    int last;
  };
  const auto values = p.values();
  // A chain of values that take each other's place lives as one item, its first value's.
  auto owner = [&](std::size_t v) {
    while (v < takes_place_of.size() && takes_place_of[v] >= 0)
      v = static_cast<std::size_t>(takes_place_of[v]);
    return v;
  };
  std::vector<item> items;
  std::vector<std::size_t> item_of(values.size(), 0);
  for (std::size_t v = 0; v < values.size(); ++v) {
    const auto& value = values[v];
    if (!lives_in_arena(value) || owner(v) != v)
      continue;
    auto bytes = static_cast<std::size_t>(element_count(value.type.shape)) *
                 dtype_size(value.type.type);
    bytes = (std::max<std::size_t>(bytes, 1) + alignment - 1) / alignment * alignment;
    item_of[v] = items.size();
    items.push_back({v, bytes, value.producer, std::max(value.last_use, value.producer)});
  }
  for (std::size_t v = 0; v < values.size(); ++v)
    if (lives_in_arena(values[v]) && owner(v) != v) {
      auto& it = items[item_of[owner(v)]];
      it.last = std::max({it.last, values[v].last_use, values[v].producer});
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
  for (std::size_t v = 0; v < values.size(); ++v)
    if (lives_in_arena(values[v]) && owner(v) != v)
      layout.offsets[v] = layout.offsets[owner(v)];
  return layout;
}

} // namespace hogar::onnx
