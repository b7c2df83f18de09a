#include "kernels/onnx/optimize.hpp"

#include <cmath>
#include <limits>
#include <set>
#include <unordered_map>

#include <fmt/format.h>

#include "kernels/nn/epilogue.hpp"

namespace hogar::onnx {

namespace {

/// How many node inputs read each value, graph outputs counted as readers too (nodes an
/// earlier rewrite removed are not).
std::unordered_map<std::string, int> reader_counts(const model_graph& m,
                                                   const std::vector<bool>& removed) {
  std::unordered_map<std::string, int> counts;
  for (std::size_t i = 0; i < m.nodes.size(); ++i)
    if (!removed[i])
      for (auto& in : m.nodes[i].inputs)
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
  auto readers = reader_counts(m, removed);
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

/// Who reads each value: the index of every node input that names it (a node reading a value
/// twice is there twice).
std::unordered_map<std::string, std::vector<std::size_t>> consumers(const model_graph& m,
                                                                   const std::vector<bool>& removed) {
  std::unordered_map<std::string, std::vector<std::size_t>> out;
  for (std::size_t i = 0; i < m.nodes.size(); ++i)
    if (!removed[i])
      for (auto& in : m.nodes[i].inputs)
        if (!in.empty())
          out[in].push_back(i);
  return out;
}

/// The value of a float32 constant of one element.
std::optional<float> scalar_constant(const model_graph& m, const std::string& name) {
  auto* t = m.find_initializer(name);
  if (!t || t->type() != dtype::float32 || t->element_count() != 1)
    return std::nullopt;
  return t->values<float>()[0];
}

bool near(float v, double want) {
  return std::abs(static_cast<double>(v) - want) <= 1e-6 * std::abs(want);
}

/// The graph as the rewrites see it: every value's producer and readers, kept up to date
/// only as far as the rewrites need (a fused node keeps the name of the value it ends in).
struct graph_index {
  const model_graph& m;
  std::unordered_map<std::string, int> readers;
  std::unordered_map<std::string, std::size_t> producer;
  std::unordered_map<std::string, std::vector<std::size_t>> readers_of;

  graph_index(const model_graph& graph, const std::vector<bool>& removed)
    : m(graph), readers(reader_counts(graph, removed)), producer(producers(graph, removed)),
      readers_of(consumers(graph, removed)) {}

  /// The node that makes `value`, when it is of `op` with one output.
  std::optional<std::size_t> made_by(const std::string& value, std::string_view op) const {
    auto it = producer.find(value);
    if (it == producer.end() || m.nodes[it->second].op_type != op ||
        m.nodes[it->second].outputs.size() != 1)
      return std::nullopt;
    return it->second;
  }
  /// The one node reading `value` when nothing else does (no other node, no graph output),
  /// if it is of `op` with one output.
  std::optional<std::size_t> only_reader(const std::string& value, std::string_view op) const {
    auto count = readers.find(value);
    auto who = readers_of.find(value);
    if (count == readers.end() || count->second != 1 || who == readers_of.end() ||
        who->second.size() != 1)
      return std::nullopt;
    const auto i = who->second[0];
    if (m.nodes[i].op_type != op || m.nodes[i].outputs.size() != 1)
      return std::nullopt;
    return i;
  }
  int reader_count(const std::string& value) const {
    auto it = readers.find(value);
    return it == readers.end() ? 0 : it->second;
  }
};

/// The operand of binary node `n` other than `value` (which it reads once), or nothing.
std::optional<std::string> other_operand(const node& n, const std::string& value) {
  if (n.inputs.size() != 2 || n.inputs[0] == n.inputs[1])
    return std::nullopt;
  if (n.inputs[0] == value)
    return n.inputs[1];
  if (n.inputs[1] == value)
    return n.inputs[0];
  return std::nullopt;
}

/// Whether a ReduceMean keeps its dimensions and reduces the last axis only (axes [-1] as
/// the attribute, or from opset 18 as a constant input).
bool reduces_last_axis(const model_graph& m, const node& n) {
  attribute_reader attrs{n};
  auto keepdims = attrs.get_int("keepdims", 1);
  if (!keepdims || *keepdims != 1 || n.inputs.empty())
    return false;
  std::vector<std::int64_t> axes;
  if (n.has_input(1)) {
    auto* t = m.find_initializer(n.inputs[1]);
    if (!t || t->type() != dtype::int64 || n.inputs.size() > 2)
      return false;
    auto v = t->values<std::int64_t>();
    axes.assign(v.begin(), v.end());
  } else {
    auto a = attrs.get_ints("axes");
    if (!a)
      return false;
    axes = *a;
  }
  return axes == std::vector<std::int64_t>{-1};
}

/// A float32 constant of rank 0 or 1 for Mul/Add after a normalisation: one value per
/// column or one in all.
const tensor* row_constant(const model_graph& m, const std::string& name) {
  auto* t = m.find_initializer(name);
  return t && t->type() == dtype::float32 && t->rank() <= 1 && t->element_count() > 0 ? t : nullptr;
}

/// "encoder.layer.0.output.LayerNorm" for "encoder.layer.0.output.LayerNorm.mean".
std::string fused_name(const std::string& first, std::string_view op) {
  auto dot = first.rfind('.');
  return dot == std::string::npos || dot == 0 ? fmt::format("{}/{}", first, op)
                                              : first.substr(0, dot);
}

/// LayerNorm as torch.onnx writes it before opset 17, from ReduceMean over the last axis:
///   mean = ReduceMean(x); d = x - mean; var = ReduceMean(Pow(d, 2) or d * d);
///   y = d / Sqrt(var + eps) [* Scale] [+ B]
/// becomes one LayerNormalization (axis -1) when every value in between has no other reader
/// and eps, Scale and B are constants.
void fuse_layer_norms(model_graph& m, std::vector<bool>& removed) {
  graph_index g{m, removed};
  for (std::size_t i = 0; i < m.nodes.size(); ++i) {
    if (removed[i] || m.nodes[i].op_type != "ReduceMean" || m.nodes[i].outputs.size() != 1 ||
        !reduces_last_axis(m, m.nodes[i]))
      continue;
    const auto& x = m.nodes[i].inputs[0];
    auto sub = g.only_reader(m.nodes[i].outputs[0], "Sub");
    if (!sub || m.nodes[*sub].inputs.size() != 2 || m.nodes[*sub].inputs[0] != x ||
        m.nodes[*sub].inputs[1] != m.nodes[i].outputs[0])
      continue;
    const auto& d = m.nodes[*sub].outputs[0];
    // d is read by the square (once as Pow, twice as Mul) and by the Div, by nothing else.
    auto who = g.readers_of.find(d);
    if (who == g.readers_of.end())
      continue;
    std::optional<std::size_t> square, div;
    for (auto r : who->second) {
      const auto& n = m.nodes[r];
      if (n.op_type == "Pow" && n.inputs.size() == 2 && n.inputs[0] == d &&
          scalar_constant(m, n.inputs[1]).value_or(0.0f) == 2.0f)
        square = r;
      else if (n.op_type == "Mul" && n.inputs.size() == 2 && n.inputs[0] == d && n.inputs[1] == d)
        square = r;
      else if (n.op_type == "Div" && n.inputs.size() == 2 && n.inputs[0] == d && n.inputs[1] != d)
        div = r;
    }
    if (!square || !div || m.nodes[*square].outputs.size() != 1 ||
        g.reader_count(d) != (m.nodes[*square].op_type == "Mul" ? 3 : 2))
      continue;
    auto var = g.only_reader(m.nodes[*square].outputs[0], "ReduceMean");
    if (!var || !reduces_last_axis(m, m.nodes[*var]))
      continue;
    auto add_eps = g.only_reader(m.nodes[*var].outputs[0], "Add");
    if (!add_eps)
      continue;
    auto eps_name = other_operand(m.nodes[*add_eps], m.nodes[*var].outputs[0]);
    auto eps = eps_name ? scalar_constant(m, *eps_name) : std::nullopt;
    if (!eps || !(*eps >= 0.0f))
      continue;
    auto sqrt = g.only_reader(m.nodes[*add_eps].outputs[0], "Sqrt");
    if (!sqrt || g.only_reader(m.nodes[*sqrt].outputs[0], "Div") != div ||
        m.nodes[*div].inputs[1] != m.nodes[*sqrt].outputs[0])
      continue;
    std::vector<std::size_t> pattern{i, *sub, *square, *var, *add_eps, *sqrt, *div};
    std::size_t last = *div;
    const tensor* scale = nullptr;
    std::string scale_name, bias_name;
    if (auto mul = g.only_reader(m.nodes[last].outputs[0], "Mul")) {
      auto other = other_operand(m.nodes[*mul], m.nodes[last].outputs[0]);
      if (other && (scale = row_constant(m, *other))) {
        scale_name = *other;
        pattern.push_back(*mul);
        last = *mul;
      }
    }
    if (auto add = g.only_reader(m.nodes[last].outputs[0], "Add")) {
      auto other = other_operand(m.nodes[*add], m.nodes[last].outputs[0]);
      if (other && row_constant(m, *other)) {
        bias_name = *other;
        pattern.push_back(*add);
        last = *add;
      }
    }
    if (!scale) {
      tensor ones{dtype::float32, {1}};
      ones.mutable_values<float>()[0] = 1.0f;
      scale_name = fresh_name(m, m.nodes[i].name + "/ones");
      m.initializers.emplace(scale_name, std::move(ones));
    }
    node ln;
    ln.op_type = "LayerNormalization";
    ln.name = fused_name(m.nodes[i].name, ln.op_type);
    ln.inputs = {x, scale_name};
    if (!bias_name.empty())
      ln.inputs.push_back(bias_name);
    ln.outputs = {m.nodes[last].outputs[0]};
    ln.attributes = {{"axis", std::int64_t{-1}}, {"epsilon", *eps}};
    for (auto p : pattern)
      removed[p] = true;
    // The last node's place: everything it reads is made before it.
    m.nodes[last] = std::move(ln);
    removed[last] = false;
  }
}

/// Gelu as torch.onnx writes it with Erf: y = x * (Erf(x / sqrt(2)) + 1) * 0.5 (either product
/// first, operands in either order, x / sqrt(2) also as x * (1 / sqrt(2))) becomes one Gelu
/// node when the values in between have no other reader.
void fuse_gelus(model_graph& m, std::vector<bool>& removed) {
  graph_index g{m, removed};
  constexpr double sqrt2 = 1.4142135623730951;
  for (std::size_t i = 0; i < m.nodes.size(); ++i) {
    const auto& erf = m.nodes[i];
    if (removed[i] || erf.op_type != "Erf" || erf.inputs.size() != 1 || erf.outputs.size() != 1)
      continue;
    // x / sqrt(2)
    auto scaled = g.producer.find(erf.inputs[0]);
    if (scaled == g.producer.end() || g.reader_count(erf.inputs[0]) != 1)
      continue;
    const auto& s = m.nodes[scaled->second];
    if (s.inputs.size() != 2 || s.outputs.size() != 1)
      continue;
    std::string x;
    if (s.op_type == "Div" && near(scalar_constant(m, s.inputs[1]).value_or(0.0f), sqrt2)) {
      x = s.inputs[0];
    } else if (s.op_type == "Mul") {
      for (int k = 0; k < 2; ++k)
        if (near(scalar_constant(m, s.inputs[1 - k]).value_or(0.0f), 1.0 / sqrt2))
          x = s.inputs[k];
    }
    if (x.empty() || m.find_initializer(x))
      continue;
    // Erf(...) + 1
    auto gate = g.only_reader(erf.outputs[0], "Add");
    if (!gate)
      continue;
    auto one = other_operand(m.nodes[*gate], erf.outputs[0]);
    if (!one || scalar_constant(m, *one) != 1.0f)
      continue;
    auto product = g.only_reader(m.nodes[*gate].outputs[0], "Mul");
    if (!product)
      continue;
    auto factor = other_operand(m.nodes[*product], m.nodes[*gate].outputs[0]);
    if (!factor)
      continue;
    std::vector<std::size_t> pattern{scaled->second, i, *gate, *product};
    std::size_t last = *product;
    if (*factor == x) {
      // (x * gate) * 0.5
      auto half = g.only_reader(m.nodes[*product].outputs[0], "Mul");
      if (!half)
        continue;
      auto h = other_operand(m.nodes[*half], m.nodes[*product].outputs[0]);
      if (!h || scalar_constant(m, *h) != 0.5f)
        continue;
      pattern.push_back(*half);
      last = *half;
    } else {
      // (x * 0.5) * gate
      auto half = g.made_by(*factor, "Mul");
      if (!half || g.reader_count(*factor) != 1)
        continue;
      auto h = other_operand(m.nodes[*half], x);
      if (!h || scalar_constant(m, *h) != 0.5f)
        continue;
      pattern.push_back(*half);
    }
    node gelu;
    gelu.op_type = "Gelu";
    gelu.name = fused_name(erf.name, gelu.op_type);
    gelu.inputs = {x};
    gelu.outputs = {m.nodes[last].outputs[0]};
    for (auto p : pattern)
      removed[p] = true;
    m.nodes[last] = std::move(gelu);
    removed[last] = false;
  }
}

/// SiLU (swish) after a Conv or Gemm: y = x * Sigmoid(x), x the product (read by nothing
/// else) becomes the node's "Silu" epilogue.
void fuse_silus(model_graph& m, std::vector<bool>& removed) {
  graph_index g{m, removed};
  for (std::size_t i = 0; i < m.nodes.size(); ++i) {
    const auto& sigmoid = m.nodes[i];
    if (removed[i] || sigmoid.op_type != "Sigmoid" || sigmoid.inputs.size() != 1 ||
        sigmoid.outputs.size() != 1)
      continue;
    const auto& x = sigmoid.inputs[0];
    auto mul = g.only_reader(sigmoid.outputs[0], "Mul");
    if (!mul || other_operand(m.nodes[*mul], sigmoid.outputs[0]) != x || g.reader_count(x) != 2)
      continue;
    auto it = g.producer.find(x);
    if (it == g.producer.end())
      continue;
    auto& prev = m.nodes[it->second];
    if ((prev.op_type != "Conv" && prev.op_type != "Gemm") || prev.outputs.size() != 1 ||
        prev.find(nn::fused_activation_attr) || !float_constant(m, prev, 1))
      continue;
    prev.attributes.push_back({std::string{nn::fused_activation_attr}, std::string{"Silu"}});
    prev.outputs[0] = m.nodes[*mul].outputs[0];
    removed[i] = true;
    removed[*mul] = true;
  }
}

/// A dense layer as MatMul + Add: MatMul(A, W) + b with W a constant matrix [K, N] and b a
/// constant [N] becomes the MatMul with the bias fused (epilogue.hpp's hogar_bias).
void fuse_matmul_biases(model_graph& m, std::vector<bool>& removed) {
  graph_index g{m, removed};
  for (std::size_t i = 0; i < m.nodes.size(); ++i) {
    auto& mm = m.nodes[i];
    if (removed[i] || mm.op_type != "MatMul" || mm.inputs.size() != 2 || mm.outputs.size() != 1 ||
        mm.find(nn::fused_activation_attr) || mm.find(nn::fused_bias_attr))
      continue;
    auto* w = float_constant(m, mm, 1);
    if (!w || w->rank() != 2)
      continue;
    auto add = g.only_reader(mm.outputs[0], "Add");
    if (!add)
      continue;
    auto bias_name = other_operand(m.nodes[*add], mm.outputs[0]);
    auto* bias = bias_name ? m.find_initializer(*bias_name) : nullptr;
    if (!bias || bias->type() != dtype::float32 || bias->rank() != 1 ||
        bias->shape()[0] != w->shape()[1])
      continue;
    mm.inputs.push_back(*bias_name);
    mm.attributes.push_back({std::string{nn::fused_bias_attr}, std::int64_t{1}});
    mm.outputs[0] = m.nodes[*add].outputs[0];
    removed[*add] = true;
  }
}

} // namespace

std::optional<std::vector<attribute>> epilogue_attributes(const model_graph& m, const node& act) {
  std::vector<attribute> attrs{{std::string{nn::fused_activation_attr}, act.op_type}};
  attribute_reader reader{act};
  if (act.op_type == "Relu" || act.op_type == "Sigmoid" || act.op_type == "Tanh")
    return attrs;
  if (act.op_type == "Gelu") {
    // The erf form only, of the domains hogar runs Gelu from.
    auto approximate = reader.get_string("approximate", "none");
    if (!approximate || *approximate != "none" || act.inputs.size() != 1 ||
        (!act.domain.empty() && act.domain != "com.microsoft"))
      return std::nullopt;
    return attrs;
  }
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

/// Fuses activations into the Conv, Gemm or MatMul before them.
void fuse_activations(model_graph& m, std::vector<bool>& removed) {
  auto readers = reader_counts(m, removed);
  auto producer = producers(m, removed);
  for (std::size_t i = 0; i < m.nodes.size(); ++i) {
    auto& act = m.nodes[i];
    if (removed[i] || act.inputs.empty() || act.outputs.size() != 1)
      continue;
    auto it = producer.find(act.inputs[0]);
    if (it == producer.end() || readers[act.inputs[0]] != 1)
      continue;
    auto& prev = m.nodes[it->second];
    if ((prev.op_type != "Conv" && prev.op_type != "Gemm" && prev.op_type != "MatMul") ||
        prev.outputs.size() != 1 || prev.find(nn::fused_activation_attr))
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
  fuse_layer_norms(m, removed);
  fuse_gelus(m, removed);
  fuse_silus(m, removed);
  fuse_matmul_biases(m, removed);
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
