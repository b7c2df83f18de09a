#include "kernels/onnx/layout_pass.hpp"

#include <algorithm>

namespace hogar::onnx {

namespace {

using nn::layout_tag;
using nn::plain_layout;

/// A reader of a value: node `node` takes it as its input `input`.
struct reader {
  std::size_t node;
  std::size_t input;
};

} // namespace

std::vector<layout_tag> choose_layouts(const plan& p, std::span<nn::cpu_kernel> kernels) {
  const auto values = p.values();
  const auto nodes = p.nodes();
  std::vector<layout_tag> tag(values.size(), plain_layout);
  std::vector<bool> pinned(values.size(), false);
  std::vector<std::vector<reader>> readers(values.size());
  for (std::size_t v = 0; v < values.size(); ++v) {
    const auto& value = values[v];
    if (value.constant || value.input >= 0 || value.alias_of >= 0)
      pinned[v] = true;
    if (value.alias_of >= 0)
      pinned[static_cast<std::size_t>(value.alias_of)] = true;
  }
  for (auto id : p.outputs())
    pinned[static_cast<std::size_t>(id)] = true;
  for (std::size_t i = 0; i < nodes.size(); ++i)
    for (std::size_t k = 0; k < nodes[i].inputs.size(); ++k)
      if (nodes[i].inputs[k] >= 0)
        readers[static_cast<std::size_t>(nodes[i].inputs[k])].push_back({i, k});

  auto shape_of = [&](int id) -> const shape_t& { return values[static_cast<std::size_t>(id)].type.shape; };
  // The inputs of element-wise node i that must share its output's layout (those of the
  // output's shape; Clip's scalar bounds need none).
  auto same_shaped_inputs = [&](std::size_t i) {
    std::vector<int> out;
    const auto& n = nodes[i];
    for (auto id : n.inputs)
      if (id >= 0 && shape_of(id) == shape_of(n.outputs[0]))
        out.push_back(id);
    return out;
  };
  // What node i offers to write its single output in, given its inputs' layouts now.
  auto offered = [&](std::size_t i) -> layout_tag {
    const auto& n = nodes[i];
    const auto& traits = kernels[i].layouts;
    if (n.outputs.size() != 1 || n.outputs[0] < 0)
      return plain_layout;
    if (traits.writes != plain_layout)
      return traits.writes;
    if (traits.elementwise) {
      auto inputs = same_shaped_inputs(i);
      if (inputs.empty())
        return plain_layout;
      auto t = tag[static_cast<std::size_t>(inputs.front())];
      for (auto id : inputs)
        if (tag[static_cast<std::size_t>(id)] != t)
          return plain_layout;
      return t;
    }
    if (traits.writes_as_input && !n.inputs.empty() && n.inputs[0] >= 0)
      return tag[static_cast<std::size_t>(n.inputs[0])];
    return plain_layout;
  };
  // Whether every reader of value v takes it in layout t.
  auto readers_agree = [&](std::size_t v, layout_tag t) {
    for (auto [j, k] : readers[v]) {
      const auto& traits = kernels[j].layouts;
      const auto& n = nodes[j];
      if (traits.elementwise && n.outputs.size() == 1 && n.outputs[0] >= 0 &&
          shape_of(static_cast<int>(v)) == shape_of(n.outputs[0])) {
        if (tag[static_cast<std::size_t>(n.outputs[0])] != t)
          return false;
        for (auto id : same_shaped_inputs(j))
          if (tag[static_cast<std::size_t>(id)] != t)
            return false;
        continue;
      }
      if (traits.any_layout_input >= 0 && k == static_cast<std::size_t>(traits.any_layout_input))
        continue;
      if (k != 0 || !(traits.reads == t || std::ranges::count(traits.reads_also, t) > 0))
        return false;
      // A MaxPool reading oneDNN's layout and writing plain would run oneDNN's reference
      // pooling (its fast ones write the layout they read): cheaper to reorder before it.
      if (traits.writes_as_input && n.outputs.size() == 1 && n.outputs[0] >= 0 &&
          tag[static_cast<std::size_t>(n.outputs[0])] != t)
        return false;
    }
    return true;
  };

  // What the writers offer, in node order (a node's inputs are written before it runs)...
  for (std::size_t i = 0; i < nodes.size(); ++i)
    if (nodes[i].outputs.size() == 1 && nodes[i].outputs[0] >= 0) {
      auto out = static_cast<std::size_t>(nodes[i].outputs[0]);
      tag[out] = pinned[out] ? plain_layout : offered(i);
    }
  // ... then back to plain until writers and readers agree everywhere (only ever towards
  // plain, so this ends).
  for (bool changed = true; changed;) {
    changed = false;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      if (nodes[i].outputs.size() != 1 || nodes[i].outputs[0] < 0)
        continue;
      auto out = static_cast<std::size_t>(nodes[i].outputs[0]);
      if (tag[out] == plain_layout)
        continue;
      if (offered(i) != tag[out] || !readers_agree(out, tag[out])) {
        tag[out] = plain_layout;
        changed = true;
      }
    }
  }
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const auto& use = kernels[i].layouts.use;
    if (!use)
      continue;
    const auto& n = nodes[i];
    std::vector<layout_tag> inputs;
    for (auto id : n.inputs)
      inputs.push_back(id >= 0 ? tag[static_cast<std::size_t>(id)] : plain_layout);
    auto output = n.outputs.size() == 1 && n.outputs[0] >= 0
                    ? tag[static_cast<std::size_t>(n.outputs[0])]
                    : plain_layout;
    kernels[i].runs_on_openmp = use(inputs, output);
  }
  return tag;
}

} // namespace hogar::onnx
