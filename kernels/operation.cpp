#include "kernels/operation.hpp"

#include <exception>
#include <optional>
#include <string_view>
#include <variant>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "graph/spec.hpp"
#include "graph/topology.hpp"
#include "kernels/ops/cache.hpp"
#include "kernels/ops/classify.hpp"
#include "kernels/ops/detected.hpp"
#include "kernels/ops/ensemble.hpp"
#include "kernels/ops/identity.hpp"
#include "kernels/ops/sequence.hpp"
#include "kernels/ops/image.hpp"
#include "kernels/ops/merge.hpp"
#include "kernels/ops/model.hpp"
#include "kernels/ops/select.hpp"
#include "kernels/ops/simulate.hpp"

namespace hogar {

void operation::fill(std::uint64_t, std::size_t, const record&,
                     std::chrono::steady_clock::time_point) {
}

void operation::learn_label(std::uint64_t, std::int64_t) {}

std::vector<member_outcome> operation::member_outcomes() const { return {}; }

record operation::save_state(std::chrono::steady_clock::time_point) const {
  return {};
}

result<bool> operation::load_state(const record& state, std::chrono::steady_clock::time_point) {
  if (state.empty())
    return true;
  return fail(errc::invalid_argument, "this operation keeps no state");
}

namespace {

using factory = result<std::unique_ptr<operation>> (*)(const graph::operator_spec&,
                                                       const operation_context&);

/// Adapts the factories of kinds that need nothing but their spec.
template <result<std::unique_ptr<operation>> (*make)(const graph::operator_spec&)>
result<std::unique_ptr<operation>> spec_only(const graph::operator_spec& spec,
                                             const operation_context&) {
  return make(spec);
}

using signature_fn = result<record_signature> (*)(const signature_call&);

struct kind_factory {
  std::string_view kind;
  factory make;
  /// What make()'s operation emits, before any request (beside each op's run()).
  signature_fn signature;
};

/// One entry per built-in kind of graph/kinds.cpp.
constexpr kind_factory factories[] = {
  {"identity", spec_only<ops::make_identity>, ops::identity_signature},
  {"simulate", spec_only<ops::make_simulate>, ops::simulate_signature},
  {"resize", spec_only<ops::make_resize>, ops::resize_signature},
  {"normalize", spec_only<ops::make_normalize>, ops::normalize_signature},
  {"crop", spec_only<ops::make_crop>, ops::crop_signature},
  {"classify", spec_only<ops::make_classify>, ops::classify_signature},
  {"threshold", spec_only<ops::make_threshold>, ops::threshold_signature},
  {"detected", spec_only<ops::make_detected>, ops::detected_signature},
  {"merge", spec_only<ops::make_merge>, ops::merge_signature},
  {"ensemble", spec_only<ops::make_ensemble>, ops::ensemble_signature},
  {"select", ops::make_select, ops::select_signature},
  {"cache", spec_only<ops::make_cache>, ops::cache_signature},
  {"sequence", spec_only<ops::make_sequence>, ops::sequence_signature},
  {"model", ops::make_model, ops::model_signature},
};

/// Extents of two alternatives of one tensor: equal ones stay, others become -1.
result<shape_t> unify_shapes(const tensor_signature& a, const tensor_signature& b,
                             std::string_view what) {
  if (a.shape.size() != b.shape.size())
    return fail(errc::invalid_argument,
                fmt::format("tensor '{}' has rank {} ({}) or rank {} ({}) depending on the "
                            "request ({})",
                            a.name, a.shape.size(), to_string(a.shape), b.shape.size(),
                            to_string(b.shape), what));
  shape_t out = a.shape;
  for (std::size_t d = 0; d < out.size(); ++d)
    if (a.shape[d] != b.shape[d])
      out[d] = -1;
  return out;
}

/// The producer of edge `source`: a graph input's record or an operator's result.
using signatures = std::vector<result<record_signature>>;

const result<record_signature>& source_signature(const graph::edge_source& source,
                                                 const signatures& inputs, const signatures& ops) {
  return source.from == graph::edge_source::origin::input ? inputs[source.index]
                                                          : ops[source.index];
}

/// One pass over the operators in topology order; `filled` gives each cache the record of its
/// `fill_from` operator from an earlier pass (empty on the first).
std::vector<result<record_signature>>
signature_pass(const graph::topology& topo, const std::vector<result<record_signature>>& inputs,
               const std::vector<result<record_signature>>& filled,
               const operation_context& context,
               std::vector<std::shared_ptr<const void>>& keep_alive) {
  std::vector<result<record_signature>> ops(
    topo.ops.size(), result<record_signature>{fail(errc::internal, "not inferred")});
  for (auto index : topo.order) {
    const auto& node = topo.ops[index];
    const auto& spec = *node.spec;
    std::vector<record_signature> given;
    std::optional<error_info> upstream;
    bool all_may_be_absent = !node.data_inputs.empty();
    for (auto& source : node.data_inputs) {
      const auto& sig = source_signature(source, inputs, ops);
      if (!sig) {
        upstream = sig.error();
        break;
      }
      all_may_be_absent = all_may_be_absent && sig->may_be_absent;
      given.push_back(*sig);
    }
    if (upstream) {
      // The first operator that could not be typed is named in the message already.
      ops[index] = *upstream;
      continue;
    }
    const record_signature* fill = nullptr;
    if (spec.kind == "cache") {
      auto* from = spec.find_param("fill_from");
      auto* name = from ? std::get_if<std::string>(from) : nullptr;
      auto at = name ? topo.op_index(*name) : graph::topology::npos;
      if (at != graph::topology::npos && at < filled.size() && filled[at])
        fill = &*filled[at];
    }
    signature_call call{spec, given, context, fill, &keep_alive};
    auto out = output_signature(call);
    if (out)
      out->may_be_absent = node.gate.has_value() || all_may_be_absent;
    ops[index] = std::move(out);
  }
  return ops;
}

} // namespace

result<std::unique_ptr<operation>> make_operation(const graph::operator_spec& spec,
                                                  const operation_context& context) {
  for (auto& entry : factories) {
    if (entry.kind != spec.kind)
      continue;
    try {
      return entry.make(spec, context);
    } catch (const std::exception& e) {
      // param_reader throws for a missing or mistyped parameter, which validation prevents.
      return fail(errc::invalid_argument,
                  fmt::format("operator '{}' ({}): bad parameters: {}", spec.name, spec.kind,
                              e.what()));
    }
  }
  return fail(errc::invalid_argument,
              fmt::format("operator '{}': unknown kind '{}'", spec.name, spec.kind));
}

const tensor_signature* record_signature::find(std::string_view name) const noexcept {
  for (auto& t : tensors)
    if (t.name == name)
      return &t;
  return nullptr;
}

result<record_signature> output_signature(const signature_call& call) {
  const auto& spec = call.spec;
  for (auto& entry : factories) {
    if (entry.kind != spec.kind)
      continue;
    result<record_signature> out = fail(errc::internal, "no signature");
    try {
      out = entry.signature(call);
    } catch (const std::exception& e) {
      // param_reader throws for a missing or mistyped parameter, which validation prevents.
      out = fail(errc::invalid_argument, fmt::format("bad parameters: {}", e.what()));
    }
    if (!out)
      return fail(out.error().code,
                  fmt::format("operator '{}' ({}): {}", spec.name, spec.kind, out.error().message));
    return out;
  }
  return fail(errc::invalid_argument,
              fmt::format("operator '{}': unknown kind '{}'", spec.name, spec.kind));
}

result<record_signature> unify_alternatives(const record_signature& a, const record_signature& b,
                                            std::string_view what) {
  record_signature out;
  for (auto& t : a.tensors) {
    auto merged = t;
    if (auto* other = b.find(t.name)) {
      if (other->type != t.type)
        return fail(errc::invalid_argument,
                    fmt::format("tensor '{}' is {} or {} depending on the request ({})", t.name,
                                to_string(t.type), to_string(other->type), what));
      auto shape = unify_shapes(t, *other, what);
      if (!shape)
        return shape.error();
      merged.shape = std::move(*shape);
      merged.optional = t.optional || other->optional;
    } else {
      merged.optional = true;
    }
    out.tensors.push_back(std::move(merged));
  }
  for (auto& t : b.tensors)
    if (!a.find(t.name)) {
      out.tensors.push_back(t);
      out.tensors.back().optional = true;
    }
  return out;
}

graph_signature infer_graph_signature(const graph::topology& topo,
                                      const operation_context& context) {
  const auto& g = *topo.spec;
  std::vector<result<record_signature>> inputs;
  for (auto& in : g.inputs)
    inputs.push_back(record_signature{{{in.name, in.type, in.shape, false}}, false});
  std::vector<std::shared_ptr<const void>> keep_alive;
  graph_signature out;
  auto with_graph = context;
  with_graph.graph = topo.spec;
  out.ops = signature_pass(topo, inputs, {}, with_graph, keep_alive);
  // A cache comes before its fill_from operator: a second pass gives it that record (and the
  // operators after it theirs). The fill_from operator never reads the cache's tensors (the
  // validator refuses such a cycle), so two passes settle.
  bool has_cache = false;
  for (auto& op : topo.ops)
    has_cache = has_cache || op.spec->kind == "cache";
  if (has_cache)
    out.ops = signature_pass(topo, inputs, out.ops, with_graph, keep_alive);

  for (std::size_t o = 0; o < g.outputs.size(); ++o) {
    const auto& spec = g.outputs[o];
    const result<record_signature>* source = nullptr;
    for (std::size_t i = 0; i < topo.ops.size() && !source; ++i)
      for (auto slot : topo.ops[i].output_slots)
        if (slot == o)
          source = &out.ops[i];
    for (std::size_t i = 0; i < topo.input_output_slots.size() && !source; ++i)
      for (auto slot : topo.input_output_slots[i])
        if (slot == o)
          source = &inputs[i];
    if (!source) {
      out.problems.push_back(fmt::format("output '{}': no producer '{}'", spec.name,
                                         spec.from.name));
      out.uninferred.push_back(o);
      continue;
    }
    if (!*source) {
      out.problems.push_back(fmt::format("output '{}': {}", spec.name, source->error().message));
      out.uninferred.push_back(o);
      continue;
    }
    const auto& record = **source;
    const auto first_of_output = out.answers.size();
    auto add = [&](const tensor_signature& t, std::string name, bool optional) {
      answer_tensor a{t, o};
      a.tensor.name = std::move(name);
      a.tensor.optional = optional || t.optional || record.may_be_absent;
      // Several tensors that may each come alone share the output's name: one entry.
      for (auto i = first_of_output; i < out.answers.size(); ++i) {
        auto& listed = out.answers[i].tensor;
        if (listed.name != a.tensor.name)
          continue;
        auto shape = unify_shapes(listed, a.tensor, fmt::format("output '{}'", spec.name));
        if (listed.type != a.tensor.type || !shape)
          out.problems.push_back(fmt::format("output '{}': its tensor '{}' may be {}{} or {}{} "
                                             "depending on the request; listed as the first",
                                             spec.name, listed.name, to_string(listed.type),
                                             to_string(listed.shape), to_string(a.tensor.type),
                                             to_string(a.tensor.shape)));
        else
          listed.shape = std::move(*shape);
        return;
      }
      out.answers.push_back(std::move(a));
    };
    if (!spec.tensor.empty()) {
      auto* t = record.find(spec.tensor);
      if (!t) {
        std::vector<std::string_view> names;
        for (auto& x : record.tensors)
          names.push_back(x.name);
        out.problems.push_back(fmt::format("output '{}': '{}' emits no tensor '{}' (it emits: {})",
                                           spec.name, spec.from.name, spec.tensor,
                                           fmt::join(names, ", ")));
        out.uninferred.push_back(o);
        continue;
      }
      add(*t, spec.name, false);
      continue;
    }
    // The ingress names a record of one tensor after the output, and the tensors of a record
    // of several OUTPUT.TENSOR; a record whose size depends on the request (optional tensors)
    // can come either way, so such a tensor is listed under both names, each optional.
    std::size_t required = 0;
    for (auto& t : record.tensors)
      required += t.optional ? 0 : 1;
    const auto total = record.tensors.size();
    for (auto& t : record.tensors) {
      // Alone: the record holds t only (t is its one required tensor, or it has none).
      bool alone_possible = required == 1 ? !t.optional : required == 0;
      bool several_possible = total >= 2;
      if (alone_possible && !several_possible)
        add(t, spec.name, false);
      else if (several_possible && !alone_possible)
        add(t, spec.name + "." + t.name, false);
      else {
        add(t, spec.name, true);
        add(t, spec.name + "." + t.name, true);
      }
    }
  }
  return out;
}

} // namespace hogar
