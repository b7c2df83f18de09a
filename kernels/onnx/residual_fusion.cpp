#include "kernels/onnx/residual_fusion.hpp"

#include <utility>

#include "kernels/nn/epilogue.hpp"
#include "kernels/onnx/optimize.hpp"

namespace hogar::onnx {

namespace {

/// A Conv, or a dense layer: a MatMul of A [..., K] by constant weights [K, N] (its bias
/// fused or not), which the CPU path runs as one product with a tile epilogue.
bool takes_residual(const planned_node& n) {
  if (n.source->op_type == "Conv")
    return true;
  const auto& mm = *n.source;
  if (mm.op_type != "MatMul" || n.inputs.size() < 2 || n.inputs.size() > 3 ||
      mm.find(nn::fused_mask_attr) || mm.find(nn::fused_scale_attr) ||
      mm.find(nn::fused_softmax_attr) || mm.find(nn::fused_perm_a_attr) ||
      mm.find(nn::fused_perm_b_attr) || mm.find(nn::fused_perm_y_attr))
    return false;
  const tensor* w = n.input_constants[1];
  return w && w->type() == dtype::float32 && w->rank() == 2 && n.input_types[0].shape.size() >= 2;
}

} // namespace

std::size_t fuse_residual_adds(plan& p) {
  auto& nodes = p.nodes_;
  auto& values = p.values_;
  const auto& model = *p.model_;

  const auto sole_reader = p.sole_readers();
  auto read_once = [&](int id) { return sole_reader[static_cast<std::size_t>(id)] >= 0; };
  auto value = [&](int id) -> planned_value& { return values[static_cast<std::size_t>(id)]; };

  std::vector<bool> removed(nodes.size(), false);
  std::size_t fused = 0;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const auto& add = nodes[i];
    if (removed[i] || add.source->op_type != "Add" || add.inputs.size() != 2 ||
        add.outputs.size() != 1 || add.outputs[0] < 0 || add.inputs[0] < 0 ||
        add.inputs[1] < 0 || add.inputs[0] == add.inputs[1])
      continue;
    const int y = add.outputs[0];
    const auto& y_type = value(y).type;
    auto same = [&](int id) {
      return value(id).type.type == y_type.type && value(id).type.shape == y_type.shape;
    };
    if (y_type.type != dtype::float32 || !same(add.inputs[0]) || !same(add.inputs[1]))
      continue;

    // The Conv that takes the sum: the later of the operands' producers that qualify.
    int conv = -1, residual = -1;
    for (auto [operand, other] : {std::pair{add.inputs[0], add.inputs[1]},
                                  std::pair{add.inputs[1], add.inputs[0]}}) {
      const int producer = value(operand).producer;
      if (producer < 0 || removed[static_cast<std::size_t>(producer)] || !read_once(operand))
        continue;
      const auto& c = nodes[static_cast<std::size_t>(producer)];
      if (!takes_residual(c) || c.outputs.size() != 1 || c.outputs[0] != operand ||
          c.source->find(nn::fused_activation_attr) || c.source->find(nn::fused_residual_attr))
        continue;
      // The residual must be ready when the Conv runs.
      if (value(other).producer >= producer)
        continue;
      if (producer > conv) {
        conv = producer;
        residual = other;
      }
    }
    if (conv < 0)
      continue;

    auto& c = nodes[static_cast<std::size_t>(conv)];
    node rewritten = *c.source;
    rewritten.inputs.resize(nn::residual_input);
    rewritten.inputs.push_back(value(residual).name);
    rewritten.attributes.push_back({std::string{nn::fused_residual_attr}, std::int64_t{1}});
    c.inputs.resize(nn::residual_input, -1);
    c.input_types.resize(nn::residual_input);
    c.input_constants.resize(nn::residual_input, nullptr);
    c.inputs.push_back(residual);
    c.input_types.push_back(value(residual).type);
    c.input_constants.push_back(value(residual).constant);
    int out = y;
    removed[i] = true;

    // An activation whose only input is the Add's output.
    if (read_once(y)) {
      for (std::size_t j = i + 1; j < nodes.size(); ++j) {
        const auto& act = nodes[j];
        bool reads_y = false;
        for (auto id : act.inputs)
          reads_y = reads_y || id == y;
        if (!reads_y)
          continue;
        auto attrs = epilogue_attributes(model, *act.source);
        if (attrs && act.inputs[0] == y && act.outputs.size() == 1 && act.outputs[0] >= 0 &&
            same(act.outputs[0])) {
          for (auto& a : *attrs)
            rewritten.attributes.push_back(std::move(a));
          out = act.outputs[0];
          removed[j] = true;
        }
        break;
      }
    }
    rewritten.outputs[0] = value(out).name;
    c.outputs[0] = out;
    value(out).producer = conv;
    c.output_types[0] = value(out).type;
    p.adopt_fused(c, std::move(rewritten));
    ++fused;
  }
  if (fused > 0)
    p.drop_fused(removed);
  return fused;
}

} // namespace hogar::onnx
