#include "kernels/onnx/plan.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <unordered_map>

#include <fmt/format.h>

namespace hogar::onnx {

namespace {

/// Scratch memory aligned for vector loads, for one reference call.
struct aligned_buffer {
  explicit aligned_buffer(std::size_t bytes)
    : data(bytes ? std::aligned_alloc(64, (bytes + 63) / 64 * 64) : nullptr) {}
  ~aligned_buffer() { std::free(data); }
  aligned_buffer(const aligned_buffer&) = delete;
  aligned_buffer& operator=(const aligned_buffer&) = delete;
  void* data;
};

} // namespace

std::optional<error_info> check_inputs(const model_graph& model,
                                       std::span<const tensor> inputs) {
  if (inputs.size() != model.inputs.size())
    return fail(errc::invalid_argument,
                fmt::format("{}: the model takes {} input{}, got {}", model.source,
                            model.inputs.size(), model.inputs.size() == 1 ? "" : "s",
                            inputs.size()));
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const auto& want = model.inputs[i];
    const auto& got = inputs[i];
    bool fits = got.type() == want.type && got.rank() == want.shape.size();
    for (std::size_t d = 0; fits && d < want.shape.size(); ++d)
      fits = want.shape[d] < 0 || want.shape[d] == got.shape()[d];
    if (!fits)
      return fail(errc::invalid_argument,
                  fmt::format("{}: input '{}': expected {}, got {}{}", model.source, want.name,
                              to_string(want), to_string(got.type()), to_string(got.shape())));
  }
  return std::nullopt;
}

error_info nan_input_error(const model_graph& model, std::size_t input, std::int64_t element) {
  return fail(errc::invalid_argument, fmt::format("{}: input '{}' holds NaN (element {})",
                                                  model.source, model.inputs[input].name, element));
}

std::optional<error_info> check_request(const model_graph& model, std::span<const tensor> inputs,
                                        bool reject_nan) {
  if (auto problem = check_inputs(model, inputs))
    return problem;
  if (reject_nan)
    for (std::size_t i = 0; i < inputs.size(); ++i)
      if (auto at = first_nan(inputs[i]); at >= 0)
        return nan_input_error(model, i, at);
  return std::nullopt;
}

result<std::vector<tensor>> run_reference(const nn::node_view& view,
                                          std::span<const nn::value_type> output_types,
                                          std::span<const tensor* const> inputs) {
  auto* op = nn::find_op(view.node.op_type);
  if (!op)
    return view.error("is not an operator hogar runs");
  auto kernel = op->bind_reference(view, output_types);
  if (!kernel)
    return kernel.error();
  std::vector<tensor> outputs;
  std::vector<const void*> in(inputs.size(), nullptr);
  std::vector<void*> out;
  try {
    for (std::size_t i = 0; i < inputs.size(); ++i)
      if (inputs[i])
        in[i] = inputs[i]->bytes().data();
    for (auto& t : output_types) {
      outputs.emplace_back(t.type, t.shape);
      out.push_back(outputs.back().mutable_bytes().data());
    }
    aligned_buffer workspace{kernel->workspace_bytes};
    kernel->run(nn::cpu_buffers{in, out, workspace.data, nullptr});
    if (op->selects_rows) {
      planned_value selected{.type = output_types[0], .selects_rows = true};
      outputs[0] = output_tensor(selected, outputs[0].bytes().data());
    }
  } catch (const std::exception& e) {
    return view.error(e.what());
  }
  return outputs;
}

bool output_selects_rows(const model_graph& model, std::string_view name) {
  for (auto& n : model.nodes)
    if (!n.outputs.empty() && n.outputs[0] == name) {
      auto* op = nn::find_op(n.op_type);
      return op && op->selects_rows;
    }
  return false;
}

tensor output_tensor(const planned_value& v, const void* data) {
  shape_t shape = v.type.shape;
  if (v.selects_rows && shape.size() == 2)
    shape[0] = nn::filled_rows(static_cast<const std::int64_t*>(data), shape[0], shape[1]);
  tensor t{v.type.type, std::move(shape)};
  if (t.byte_size() > 0)
    std::memcpy(t.mutable_bytes().data(), data, t.byte_size());
  return t;
}

void plan::recount_lifetimes() {
  for (auto& v : values_) {
    v.producer = -1;
    v.last_use = -1;
  }
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    const int index = static_cast<int>(i);
    for (auto id : nodes_[i].outputs)
      if (id >= 0)
        values_[static_cast<std::size_t>(id)].producer = index;
    for (auto id : nodes_[i].inputs) {
      if (id < 0)
        continue;
      auto& v = values_[static_cast<std::size_t>(id)];
      v.last_use = index;
      if (v.alias_of >= 0)
        values_[static_cast<std::size_t>(v.alias_of)].last_use = index;
    }
  }
  // A view lives in its root's storage, written by the root's producer.
  for (auto& v : values_)
    if (v.alias_of >= 0)
      v.producer = values_[static_cast<std::size_t>(v.alias_of)].producer;
  const int end = static_cast<int>(nodes_.size());
  for (auto id : outputs_) {
    auto& v = values_[static_cast<std::size_t>(id)];
    v.last_use = end;
    if (v.alias_of >= 0)
      values_[static_cast<std::size_t>(v.alias_of)].last_use = end;
  }
}

std::vector<int> plan::sole_readers() const {
  std::vector<int> readers(values_.size(), 0), reader(values_.size(), -1);
  for (std::size_t i = 0; i < nodes_.size(); ++i)
    for (auto id : nodes_[i].inputs)
      if (id >= 0) {
        ++readers[static_cast<std::size_t>(id)];
        reader[static_cast<std::size_t>(id)] = static_cast<int>(i);
      }
  for (auto id : outputs_)
    reader[static_cast<std::size_t>(id)] = -1;
  for (std::size_t v = 0; v < values_.size(); ++v) {
    if (values_[v].alias_of >= 0)
      reader[static_cast<std::size_t>(values_[v].alias_of)] = -1;
    if (readers[v] != 1 || values_[v].producer < 0)
      reader[v] = -1;
  }
  return reader;
}

void plan::adopt_fused(planned_node& planned, node n) {
  fused_nodes_.push_back(std::move(n));
  planned.source = &fused_nodes_.back();
}

void plan::drop_fused(const std::vector<bool>& removed) {
  std::vector<planned_node> remaining;
  remaining.reserve(nodes_.size());
  for (std::size_t i = 0; i < nodes_.size(); ++i)
    if (!removed[i])
      remaining.push_back(std::move(nodes_[i]));
  nodes_ = std::move(remaining);
  recount_lifetimes();
}

nn::node_view plan::view(std::size_t i) const {
  const auto& n = nodes_[i];
  return nn::node_view{*n.source, model_->opset, n.input_types, n.input_constants};
}

result<plan> plan::make(std::shared_ptr<const model_graph> model,
                        std::span<const tensor> inputs) {
  std::vector<shape_t> shapes;
  for (auto& t : inputs)
    shapes.push_back(t.shape());
  return make(std::move(model), shapes);
}

result<plan> plan::make(std::shared_ptr<const model_graph> model,
                        std::span<const shape_t> input_shapes) {
  plan p;
  p.model_ = std::move(model);
  const auto& m = *p.model_;
  if (input_shapes.size() != m.inputs.size())
    return fail(errc::invalid_argument,
                fmt::format("{}: the model takes {} inputs, got {}", m.source, m.inputs.size(),
                            input_shapes.size()));

  // Names are copied: values_ grows, and views into its strings would dangle.
  std::unordered_map<std::string, int> ids;
  auto add_value = [&](const std::string& name, nn::value_type type) {
    planned_value v;
    v.name = name;
    v.type = std::move(type);
    p.values_.push_back(std::move(v));
    int id = static_cast<int>(p.values_.size() - 1);
    ids[p.values_.back().name] = id;
    return id;
  };
  for (std::size_t i = 0; i < m.inputs.size(); ++i) {
    const auto& want = m.inputs[i];
    const auto& got = input_shapes[i];
    bool fits = got.size() == want.shape.size();
    for (std::size_t d = 0; fits && d < got.size(); ++d)
      fits = got[d] >= 0 && (want.shape[d] < 0 || want.shape[d] == got[d]);
    if (!fits)
      return fail(errc::invalid_argument,
                  fmt::format("{}: input '{}': expected shape {}, got {}", m.source, want.name,
                              to_string(want.shape), to_string(got)));
    // A request may send [0, 2^62, 2^62]: no elements, yet extents that would overflow the
    // shape arithmetic of the ops.
    if (!shape_within_limit(got))
      return fail(errc::invalid_argument,
                  fmt::format("{}: input '{}': shape {} holds more than the {} elements a value "
                              "may have",
                              m.source, want.name, to_string(got), max_value_elements));
    int id = add_value(want.name, {want.type, got});
    p.values_[static_cast<std::size_t>(id)].input = static_cast<int>(i);
  }
  for (auto& [name, t] : m.initializers) {
    // A graph input of the same name overrides the initializer (its default value).
    if (ids.count(name))
      continue;
    int id = add_value(name, {t.type(), t.shape()});
    p.values_[static_cast<std::size_t>(id)].constant = &t;
  }

  for (std::size_t index = 0; index < m.nodes.size(); ++index) {
    const auto& n = m.nodes[index];
    planned_node pn;
    pn.source = &n;
    pn.op = nn::find_op(n.op_type);
    if (!pn.op)
      return fail(errc::invalid_argument, fmt::format("{}: {}: hogar does not run this operator",
                                                      m.source, n.describe()));
    // Every op writes its first output: a node that names none would get no buffer for it.
    if (n.outputs.empty() || n.outputs[0].empty())
      return fail(errc::invalid_argument,
                  fmt::format("{}: {}: names no first output; every node writes one", m.source,
                              n.describe()));
    bool all_constant = true;
    for (auto& name : n.inputs) {
      if (name.empty()) {
        pn.inputs.push_back(-1);
        pn.input_types.push_back({});
        pn.input_constants.push_back(nullptr);
        continue;
      }
      auto it = ids.find(name);
      if (it == ids.end())
        return fail(errc::invalid_argument,
                    fmt::format("{}: {}: input '{}' is not defined before it", m.source,
                                n.describe(), name));
      const auto& v = p.values_[static_cast<std::size_t>(it->second)];
      if (v.selects_rows)
        return fail(errc::unsupported,
                    fmt::format("{}: {} reads '{}', which {} writes with as many rows as it "
                                "selects, known only when it runs; hogar serves such a value as "
                                "a model output only",
                                m.source, n.describe(), name,
                                p.nodes_[static_cast<std::size_t>(v.producer)].source->describe()));
      pn.inputs.push_back(it->second);
      pn.input_types.push_back(v.type);
      pn.input_constants.push_back(v.constant);
      all_constant = all_constant && v.constant;
    }
    nn::node_view view{n, m.opset, pn.input_types, pn.input_constants};
    auto types = pn.op->infer(view);
    if (!types)
      return fail(types.error().code, fmt::format("{}: {}", m.source, types.error().message));
    if (types->size() < n.outputs.size())
      return fail(errc::invalid_argument,
                  fmt::format("{}: {}: the op makes {} outputs, the node names {}", m.source,
                              n.describe(), types->size(), n.outputs.size()));
    types->resize(n.outputs.size());
    // Ops check their attributes, not the size of what they make: a Reshape or a Conv with
    // extreme constants must not hand the next op (or the arena) a shape past the limit.
    for (std::size_t o = 0; o < types->size(); ++o)
      if (!shape_within_limit((*types)[o].shape))
        return fail(errc::invalid_argument,
                    fmt::format("{}: {}: output {} would have shape {}, more than the {} "
                                "elements a value may have",
                                m.source, n.describe(), o, to_string((*types)[o].shape),
                                max_value_elements));
    pn.output_types = *types;

    if (all_constant || pn.op->reads_shapes_only) {
      // Every input is known now (or all the op reads of them, their shapes): compute the
      // outputs once, here.
      auto outs = run_reference(view, pn.output_types, pn.input_constants);
      if (!outs)
        return fail(outs.error().code, fmt::format("{}: {}", m.source, outs.error().message));
      for (std::size_t o = 0; o < n.outputs.size(); ++o) {
        if (n.outputs[o].empty())
          continue;
        p.folded_.push_back(std::move((*outs)[o]));
        // The folded value's own shape: an op that selects rows filled only some.
        int id = add_value(n.outputs[o], {p.folded_.back().type(), p.folded_.back().shape()});
        p.values_[static_cast<std::size_t>(id)].constant = &p.folded_.back();
      }
      continue;
    }
    for (std::size_t o = 0; o < n.outputs.size(); ++o)
      pn.outputs.push_back(n.outputs[o].empty() ? -1 : add_value(n.outputs[o], pn.output_types[o]));
    const int node_index = static_cast<int>(p.nodes_.size());
    // A node that names outputs besides output 0 (Dropout's mask) runs its kernel to write
    // them, so it cannot be a view.
    const bool writes_only_output0 =
      std::all_of(pn.outputs.begin() + 1, pn.outputs.end(), [](int id) { return id < 0; });
    if (pn.op->alias_input >= 0 && writes_only_output0) {
      // A view: output 0 shares its input's storage; nothing runs.
      auto source = pn.inputs[static_cast<std::size_t>(pn.op->alias_input)];
      auto& in = p.values_[static_cast<std::size_t>(source)];
      auto& out = p.values_[static_cast<std::size_t>(pn.outputs[0])];
      out.alias_of = in.alias_of >= 0 ? in.alias_of : source;
      out.producer = in.producer;
      continue;
    }
    for (auto id : pn.outputs)
      if (id >= 0)
        p.values_[static_cast<std::size_t>(id)].producer = node_index;
    if (pn.op->selects_rows)
      p.values_[static_cast<std::size_t>(pn.outputs[0])].selects_rows = true;
    for (auto id : pn.inputs) {
      if (id < 0)
        continue;
      auto& v = p.values_[static_cast<std::size_t>(id)];
      v.last_use = node_index;
      if (v.alias_of >= 0)
        p.values_[static_cast<std::size_t>(v.alias_of)].last_use = node_index;
    }
    p.nodes_.push_back(std::move(pn));
  }

  const int end = static_cast<int>(p.nodes_.size());
  for (auto& out : m.outputs) {
    auto it = ids.find(out.name);
    if (it == ids.end())
      return fail(errc::invalid_argument,
                  fmt::format("{}: output '{}' is produced by no node", m.source, out.name));
    auto& v = p.values_[static_cast<std::size_t>(it->second)];
    v.last_use = end;
    if (v.alias_of >= 0)
      p.values_[static_cast<std::size_t>(v.alias_of)].last_use = end;
    p.outputs_.push_back(it->second);
  }
  return p;
}

} // namespace hogar::onnx
