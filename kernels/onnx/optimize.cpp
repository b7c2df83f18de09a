#include "kernels/onnx/optimize.hpp"

#include <cmath>
#include <limits>
#include <set>
#include <unordered_map>

#include <fmt/format.h>

#include "kernels/nn/epilogue.hpp"

namespace hogar::onnx {

namespace {

/// How many node inputs read each value, graph outputs counted as readers too.
std::unordered_map<std::string, int> reader_counts(const model_graph& m) {
  std::unordered_map<std::string, int> counts;
  for (auto& n : m.nodes)
    for (auto& in : n.inputs)
      if (!in.empty())
        ++counts[in];
  for (auto& out : m.outputs)
    ++counts[out.name];
  return counts;
}

/// The producer node index of every value.
std::unordered_map<std::string, std::size_t> producers(const model_graph& m,
                                                       const std::vector<bool>& removed) {
  std::unordered_map<std::string, std::size_t> out;
  for (std::size_t i = 0; i < m.nodes.size(); ++i)
    if (!removed[i])
      for (auto& o : m.nodes[i].outputs)
        out[o] = i;
  return out;
}

/// A name for a new initializer that no value has yet.
std::string fresh_name(const model_graph& m, const std::string& base) {
  std::string name = base;
  for (int k = 1; m.initializers.count(name); ++k)
    name = fmt::format("{}_{}", base, k);
  return name;
}

const tensor* float_constant(const model_graph& m, const node& n, std::size_t input) {
  if (!n.has_input(input))
    return nullptr;
  auto* t = m.find_initializer(n.inputs[input]);
  return t && t->type() == dtype::float32 ? t : nullptr;
}

/// Folds BatchNormalization nodes into the Conv before them.
void fold_batch_norms(model_graph& m, std::vector<bool>& removed) {
  auto readers = reader_counts(m);
  auto producer = producers(m, removed);
  for (std::size_t i = 0; i < m.nodes.size(); ++i) {
    auto& bn = m.nodes[i];
    if (removed[i] || bn.op_type != "BatchNormalization" || bn.inputs.size() < 5)
      continue;
    // Training-mode outputs (running mean and variance) cannot be folded away.
    if (bn.outputs.size() > 1) {
      bool extra = false;
      for (std::size_t o = 1; o < bn.outputs.size(); ++o)
        extra = extra || !bn.outputs[o].empty();
      if (extra)
        continue;
    }
    auto it = producer.find(bn.inputs[0]);
    if (it == producer.end() || readers[bn.inputs[0]] != 1)
      continue;
    auto& conv = m.nodes[it->second];
    if (conv.op_type != "Conv" || conv.outputs.size() != 1 || conv.find(nn::fused_activation_attr))
      continue;
    auto* w = float_constant(m, conv, 1);
    auto* conv_bias = float_constant(m, conv, 2);
    auto* gamma = float_constant(m, bn, 1);
    auto* beta = float_constant(m, bn, 2);
    auto* mean = float_constant(m, bn, 3);
    auto* var = float_constant(m, bn, 4);
    if (!w || !gamma || !beta || !mean || !var || w->rank() < 3 || (conv.has_input(2) && !conv_bias))
      continue;
    const auto channels = w->shape()[0];
    if (gamma->element_count() != channels || beta->element_count() != channels ||
        mean->element_count() != channels || var->element_count() != channels ||
        (conv_bias && conv_bias->element_count() != channels))
      continue;
    auto eps = attribute_reader{bn}.get_float("epsilon", 1e-5f);
    // Opsets before 9 had `spatial`: 0 normalizes per activation, not per channel.
    auto spatial = attribute_reader{bn}.get_int("spatial", 1);
    if (!eps || !spatial || *spatial == 0)
      continue;
    tensor new_w{dtype::float32, w->shape()};
    tensor new_b{dtype::float32, {channels}};
    auto wv = w->values<float>();
    auto nw = new_w.mutable_values<float>();
    auto nb = new_b.mutable_values<float>();
    const auto per_channel = static_cast<std::int64_t>(wv.size()) / channels;
    for (std::int64_t c = 0; c < channels; ++c) {
      const double s = static_cast<double>(gamma->values<float>()[c]) /
                       std::sqrt(static_cast<double>(var->values<float>()[c]) + *eps);
      for (std::int64_t k = 0; k < per_channel; ++k)
        nw[c * per_channel + k] = static_cast<float>(wv[c * per_channel + k] * s);
      const double b = conv_bias ? conv_bias->values<float>()[c] : 0.0;
      nb[c] = static_cast<float>((b - mean->values<float>()[c]) * s + beta->values<float>()[c]);
    }
    auto w_name = fresh_name(m, conv.name + "/folded_weight");
    m.initializers.emplace(w_name, std::move(new_w));
    auto b_name = fresh_name(m, conv.name + "/folded_bias");
    m.initializers.emplace(b_name, std::move(new_b));
    conv.inputs.resize(3);
    conv.inputs[1] = w_name;
    conv.inputs[2] = b_name;
    conv.outputs[0] = bn.outputs[0];
    removed[i] = true;
  }
}

} // namespace

std::optional<std::vector<attribute>> epilogue_attributes(const model_graph& m, const node& act) {
  std::vector<attribute> attrs{{std::string{nn::fused_activation_attr}, act.op_type}};
  attribute_reader reader{act};
  if (act.op_type == "Relu" || act.op_type == "Sigmoid" || act.op_type == "Tanh")
    return attrs;
  if (act.op_type == "LeakyRelu") {
    auto alpha = reader.get_float("alpha", 0.01f);
    if (!alpha)
      return std::nullopt;
    attrs.push_back({std::string{nn::fused_alpha_attr}, *alpha});
    return attrs;
  }
  if (act.op_type == "Clip") {
    float lo = -std::numeric_limits<float>::infinity();
    float hi = std::numeric_limits<float>::infinity();
    if (m.opset < 11) {
      auto a = reader.get_float("min", lo);
      auto b = reader.get_float("max", hi);
      if (!a || !b)
        return std::nullopt;
      lo = *a;
      hi = *b;
    } else {
      // Bounds are inputs from opset 11: fusable only when they are constants.
      for (std::size_t k = 1; k < 3; ++k) {
        if (!act.has_input(k))
          continue;
        auto* t = float_constant(m, act, k);
        if (!t || t->element_count() != 1)
          return std::nullopt;
        (k == 1 ? lo : hi) = t->values<float>()[0];
      }
    }
    attrs.push_back({std::string{nn::fused_min_attr}, lo});
    attrs.push_back({std::string{nn::fused_max_attr}, hi});
    return attrs;
  }
  return std::nullopt;
}

namespace {

/// Fuses activations into the Conv or Gemm before them.
void fuse_activations(model_graph& m, std::vector<bool>& removed) {
  auto readers = reader_counts(m);
  auto producer = producers(m, removed);
  for (std::size_t i = 0; i < m.nodes.size(); ++i) {
    auto& act = m.nodes[i];
    if (removed[i] || act.inputs.empty() || act.outputs.size() != 1)
      continue;
    auto it = producer.find(act.inputs[0]);
    if (it == producer.end() || readers[act.inputs[0]] != 1)
      continue;
    auto& prev = m.nodes[it->second];
    if ((prev.op_type != "Conv" && prev.op_type != "Gemm") || prev.outputs.size() != 1 ||
        prev.find(nn::fused_activation_attr))
      continue;
    auto attrs = epilogue_attributes(m, act);
    if (!attrs)
      continue;
    // Epilogues are float32: fused only behind float32 weights.
    if (!float_constant(m, prev, 1))
      continue;
    for (auto& a : *attrs)
      prev.attributes.push_back(std::move(a));
    prev.outputs[0] = act.outputs[0];
    removed[i] = true;
  }
}

} // namespace

model_graph optimize(const model_graph& model) {
  model_graph m = model;
  std::vector<bool> removed(m.nodes.size(), false);
  fold_batch_norms(m, removed);
  fuse_activations(m, removed);
  std::vector<node> kept;
  kept.reserve(m.nodes.size());
  for (std::size_t i = 0; i < m.nodes.size(); ++i)
    if (!removed[i])
      kept.push_back(std::move(m.nodes[i]));
  m.nodes = std::move(kept);
  // Initializers no node reads any more (the unfolded weights) are dropped.
  std::set<std::string, std::less<>> used;
  for (auto& n : m.nodes)
    used.insert(n.inputs.begin(), n.inputs.end());
  for (auto& out : m.outputs)
    used.insert(out.name);
  for (auto it = m.initializers.begin(); it != m.initializers.end();)
    it = used.count(it->first) ? std::next(it) : m.initializers.erase(it);
  return m;
}

} // namespace hogar::onnx
