#include "kernels/onnx/attention_fusion.hpp"

#include <optional>
#include <string>
#include <vector>

#include "kernels/nn/broadcast.hpp"
#include "kernels/nn/epilogue.hpp"
#include "kernels/nn/softmax.hpp"

namespace hogar::onnx {

namespace {

bool carries_transpose(const node& n) {
  return n.find(nn::fused_perm_a_attr) || n.find(nn::fused_perm_b_attr) ||
         n.find(nn::fused_perm_y_attr);
}

bool carries_fusion(const node& n) {
  return n.find(nn::fused_activation_attr) || n.find(nn::fused_bias_attr) ||
         n.find(nn::fused_scale_attr) || n.find(nn::fused_mask_attr) ||
         n.find(nn::fused_softmax_attr) || carries_transpose(n);
}

/// Both operands of a MatMul are matrices or stacks of them: a 1-D operand's dimension
/// numpy drops from the output would make the output's last axis (or its rank) other than
/// the product's.
bool matrices(const planned_node& mm) {
  return mm.input_types[0].shape.size() >= 2 && mm.input_types[1].shape.size() >= 2;
}

/// A Transpose's permutation (its default, the reversed axes, for `rank`); nothing when the
/// attribute cannot be read.
std::optional<std::vector<std::int64_t>> permutation(const node& transpose, std::size_t rank) {
  std::vector<std::int64_t> reversed;
  for (auto d = rank; d-- > 0;)
    reversed.push_back(static_cast<std::int64_t>(d));
  auto perm = attribute_reader{transpose}.get_ints("perm", reversed);
  if (!perm || perm->size() != rank)
    return std::nullopt;
  return *perm;
}

} // namespace

std::size_t fuse_attention_softmax(plan& p) {
  auto& nodes = p.nodes_;
  auto& values = p.values_;
  const auto reader = p.sole_readers();
  auto value = [&](int id) -> planned_value& { return values[static_cast<std::size_t>(id)]; };
  // The node after `i` in the chain: the one reader of its output, when there is one.
  auto next = [&](std::size_t i) -> std::optional<std::size_t> {
    const auto& n = nodes[i];
    if (n.outputs.size() != 1 || n.outputs[0] < 0)
      return std::nullopt;
    const int r = reader[static_cast<std::size_t>(n.outputs[0])];
    return r < 0 ? std::nullopt : std::optional{static_cast<std::size_t>(r)};
  };

  std::vector<bool> removed(nodes.size(), false);
  std::size_t fused = 0;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    auto& mm = nodes[i];
    if (removed[i] || mm.source->op_type != "MatMul" || mm.inputs.size() != 2 ||
        mm.outputs.size() != 1 || mm.outputs[0] < 0 || carries_fusion(*mm.source) ||
        !matrices(mm))
      continue;
    const auto scores = value(mm.outputs[0]).type;
    if (scores.type != dtype::float32 || scores.shape.size() < 2)
      continue;
    auto same_shape = [&](int id) {
      return value(id).type.type == dtype::float32 && value(id).type.shape == scores.shape;
    };
    // The operand of binary node n other than `from`, which it must read once.
    auto other_operand = [&](const planned_node& n, int from) -> int {
      if (n.inputs.size() != 2 || n.outputs.size() != 1 || n.outputs[0] < 0 ||
          n.inputs[0] == n.inputs[1] || !same_shape(n.outputs[0]))
        return -1;
      return n.inputs[0] == from ? n.inputs[1] : n.inputs[1] == from ? n.inputs[0] : -1;
    };

    std::vector<std::size_t> chain;
    float scale = 1.0f;
    int mask = -1;
    auto at = next(i);
    int from = mm.outputs[0];
    // Div by a constant (scores first), or Mul by one.
    if (at && (nodes[*at].source->op_type == "Div" || nodes[*at].source->op_type == "Mul")) {
      const auto& n = nodes[*at];
      const int c = other_operand(n, from);
      const tensor* t = c >= 0 ? value(c).constant : nullptr;
      const bool div = n.source->op_type == "Div";
      if (t && t->type() == dtype::float32 && t->element_count() == 1 &&
          (!div || n.inputs[0] == from)) {
        const float v = t->values<float>()[0];
        scale = div ? 1.0f / v : v;
        chain.push_back(*at);
        from = n.outputs[0];
        at = next(*at);
      }
    }
    // Add of a mask computed before the MatMul runs, broadcast to the scores' shape.
    if (at && nodes[*at].source->op_type == "Add") {
      const auto& n = nodes[*at];
      const int m = other_operand(n, from);
      if (m >= 0 && value(m).type.type == dtype::float32 &&
          nn::broadcast_shape(value(m).type.shape, scores.shape) == scores.shape &&
          value(m).producer < static_cast<int>(i)) {
        mask = m;
        chain.push_back(*at);
        from = n.outputs[0];
        at = next(*at);
      }
    }
    if (!at || nodes[*at].source->op_type != "Softmax" || nodes[*at].inputs.size() != 1 ||
        nodes[*at].outputs.size() != 1 || nodes[*at].outputs[0] < 0 ||
        !same_shape(nodes[*at].outputs[0]))
      continue;
    // Each row of the last axis normalised alone.
    auto softmax = nn::softmax_params_of(p.view(*at));
    if (!softmax || softmax->inner != 1 || softmax->axis_size != scores.shape.back())
      continue;
    chain.push_back(*at);

    node rewritten = *mm.source;
    if (scale != 1.0f)
      rewritten.attributes.push_back({std::string{nn::fused_scale_attr}, scale});
    if (mask >= 0) {
      rewritten.inputs.push_back(value(mask).name);
      rewritten.attributes.push_back({std::string{nn::fused_mask_attr}, std::int64_t{1}});
      mm.inputs.push_back(mask);
      mm.input_types.push_back(value(mask).type);
      mm.input_constants.push_back(value(mask).constant);
    }
    rewritten.attributes.push_back({std::string{nn::fused_softmax_attr}, std::int64_t{1}});
    const int out = nodes[chain.back()].outputs[0];
    rewritten.outputs[0] = value(out).name;
    mm.outputs[0] = out;
    mm.output_types[0] = value(out).type;
    value(out).producer = static_cast<int>(i);
    for (auto c : chain)
      removed[c] = true;
    p.adopt_fused(mm, std::move(rewritten));
    ++fused;
  }
  if (fused > 0)
    p.drop_fused(removed);
  return fused;
}

std::size_t fuse_attention_transposes(plan& p) {
  auto& nodes = p.nodes_;
  auto& values = p.values_;
  const auto sole_reader = p.sole_readers();
  auto value = [&](int id) -> planned_value& { return values[static_cast<std::size_t>(id)]; };
  // The Transpose node whose output is exactly value `id`, read by nothing else.
  auto transpose_into = [&](int id) -> int {
    if (id < 0 || sole_reader[static_cast<std::size_t>(id)] < 0 || value(id).alias_of >= 0)
      return -1;
    const int t = value(id).producer;
    const auto& n = nodes[static_cast<std::size_t>(t)];
    return n.source->op_type == "Transpose" && n.inputs.size() == 1 && n.inputs[0] >= 0 &&
               n.outputs.size() == 1 && n.outputs[0] == id
             ? t
             : -1;
  };

  std::vector<bool> removed(nodes.size(), false);
  std::size_t fused = 0;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    auto& mm = nodes[i];
    // Products of two computed operands only: a dense layer (constant weights) keeps the
    // product whose weights are packed once, which strided operands would give up.
    if (mm.source->op_type != "MatMul" || mm.inputs.size() < 2 || mm.outputs.size() != 1 ||
        mm.outputs[0] < 0 || carries_transpose(*mm.source) || mm.input_constants[1] ||
        !matrices(mm) || value(mm.outputs[0]).type.type != dtype::float32)
      continue;
    node rewritten = *mm.source;
    bool changed = false;
    // The operands: A's rows must stay contiguous (the last axis kept last), B's rows or
    // columns (the packing reads either).
    for (std::size_t operand : {0, 1}) {
      const int t = transpose_into(mm.inputs[operand]);
      if (t < 0 || removed[static_cast<std::size_t>(t)])
        continue;
      const auto& transpose = nodes[static_cast<std::size_t>(t)];
      const int x = transpose.inputs[0];
      const auto rank = value(x).type.shape.size();
      auto perm = permutation(*transpose.source, rank);
      if (!perm || rank < 2 ||
          !((*perm)[rank - 1] == static_cast<std::int64_t>(rank) - 1 ||
            (operand == 1 && (*perm)[rank - 2] == static_cast<std::int64_t>(rank) - 1)))
        continue;
      rewritten.inputs[operand] = value(x).name;
      rewritten.attributes.push_back(
        {std::string{operand == 0 ? nn::fused_perm_a_attr : nn::fused_perm_b_attr}, *perm});
      mm.inputs[operand] = x;
      mm.input_types[operand] = value(x).type;
      mm.input_constants[operand] = value(x).constant;
      removed[static_cast<std::size_t>(t)] = true;
      changed = true;
    }
    // The product transposed after it, its rows kept contiguous; not behind a fused mask.
    const int y = mm.outputs[0];
    const int t = sole_reader[static_cast<std::size_t>(y)];
    if (t >= 0 && !mm.source->find(nn::fused_mask_attr)) {
      const auto& transpose = nodes[static_cast<std::size_t>(t)];
      const auto rank = value(y).type.shape.size();
      auto perm = transpose.source->op_type == "Transpose" && transpose.outputs.size() == 1 &&
                      transpose.outputs[0] >= 0
                    ? permutation(*transpose.source, rank)
                    : std::nullopt;
      if (perm && rank >= 2 && (*perm)[rank - 1] == static_cast<std::int64_t>(rank) - 1) {
        const int out = transpose.outputs[0];
        rewritten.outputs[0] = value(out).name;
        rewritten.attributes.push_back({std::string{nn::fused_perm_y_attr}, *perm});
        mm.outputs[0] = out;
        mm.output_types[0] = value(out).type;
        value(out).producer = static_cast<int>(i);
        removed[static_cast<std::size_t>(t)] = true;
        changed = true;
      }
    }
    if (!changed)
      continue;
    p.adopt_fused(mm, std::move(rewritten));
    ++fused;
  }
  if (fused > 0)
    p.drop_fused(removed);
  return fused;
}

} // namespace hogar::onnx
