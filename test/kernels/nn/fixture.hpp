// fixture.hpp: the one fixture of the nn tests: models built in memory (one node, or a few),
// deterministic random tensors, running a model on a device, and the normalised mean squared
// error by which every device is compared with the reference.
#pragma once

#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "kernels/device.hpp"
#include "kernels/nn/op.hpp"
#include "kernels/onnx/executor.hpp"
#include "kernels/onnx/layout_pass.hpp"
#include "kernels/onnx/model_graph.hpp"
#include "kernels/onnx/plan.hpp"
#include "kernels/random_tensor.hpp"

namespace hogar::test {

/// One input of a node, in node order.
struct operand {
  enum class role {
    /// A model input supplied with each request: random, or `value` when it is set.
    request,
    /// An initializer, random (weights, biases, statistics).
    weight,
    /// An initializer of a given value (Reshape's shape, Clip's bounds).
    constant,
    /// An optional input left out (the node's input name is empty).
    omitted,
  };
  role kind = role::request;
  shape_t shape;
  dtype type = dtype::float32;
  std::optional<tensor> value;
  /// Random values lie in [low, low + 2) (variances want positive values).
  double low = -1.0;
};

inline operand data(shape_t shape, dtype type = dtype::float32) {
  return {operand::role::request, std::move(shape), type, std::nullopt};
}
inline operand weight(shape_t shape) {
  return {operand::role::weight, std::move(shape), dtype::float32, std::nullopt};
}
/// A weight with values in [0.5, 2.5): a variance, a scale.
inline operand positive_weight(shape_t shape) {
  return {operand::role::weight, std::move(shape), dtype::float32, std::nullopt, 0.5};
}
inline operand constant(tensor value) {
  auto shape = value.shape();
  auto type = value.type();
  return {operand::role::constant, std::move(shape), type, std::move(value)};
}
inline operand omitted() { return {operand::role::omitted, {}, dtype::float32, std::nullopt}; }
/// A request input of given values (NaN, infinities, the most negative integer: corner cases
/// that must reach the kernels, which folding a constant would keep from them).
inline operand given(tensor value) {
  auto shape = value.shape();
  auto type = value.type();
  return {operand::role::request, std::move(shape), type, std::move(value)};
}

/// A tensor of uniform values in [low, low + 2) for floats; integers in [0, 100).
inline tensor random_values(dtype type, const shape_t& shape, std::uint64_t seed,
                            double low = -1.0) {
  if (type != dtype::float32 && type != dtype::float64)
    return uniform_tensor(type, shape, seed, 100);
  tensor t{type, shape};
  splitmix64 rng{seed};
  if (type == dtype::float32)
    for (auto& v : t.mutable_values<float>())
      v = static_cast<float>(low + 2.0 * rng.next_unit());
  else
    for (auto& v : t.mutable_values<double>())
      v = low + 2.0 * rng.next_unit();
  return t;
}

/// A model and the inputs of one request for it.
struct model_with_inputs {
  std::shared_ptr<const onnx::model_graph> model;
  std::vector<tensor> inputs;
};

/// Builds, piece by piece, a model whose nodes run in the order they are added.
class model_builder {
public:
  explicit model_builder(std::int64_t opset = 17, std::uint64_t seed = 1) : seed_(seed) {
    model_.source = "in-memory model";
    model_.name = "test";
    model_.opset = opset;
  }

  /// Adds a node reading `inputs` (value names; "" for an omitted input); returns the name of
  /// its first output.
  std::string node(std::string op_type, std::vector<std::string> inputs,
                   std::vector<onnx::attribute> attributes = {}, std::string name = {}) {
    onnx::node n;
    n.op_type = std::move(op_type);
    n.name = name.empty() ? fmt::format("{}_{}", n.op_type, model_.nodes.size()) : name;
    n.inputs = std::move(inputs);
    n.outputs = {n.name + "_out"};
    n.attributes = std::move(attributes);
    model_.nodes.push_back(std::move(n));
    return model_.nodes.back().outputs[0];
  }

  /// A value for the next node: a request input, an initializer or nothing, by its role.
  std::string value(const operand& o) {
    if (o.kind == operand::role::omitted)
      return {};
    auto name = fmt::format("v{}", counter_++);
    if (o.kind == operand::role::request) {
      model_.inputs.push_back({name, o.type, o.shape});
      inputs_.push_back(o.value ? *o.value
                                : random_values(o.type, o.shape, seed_ * 7919 + counter_, o.low));
    } else {
      model_.initializers.emplace(
        name, o.value ? *o.value : random_values(o.type, o.shape, seed_ * 7919 + counter_, o.low));
    }
    return name;
  }

  /// Declares `value` the model's output, with the type and shape planning infers for it
  /// (float32[] when the model does not plan: the tests of errors).
  model_with_inputs finish(const std::string& output) {
    model_.outputs.push_back({output, dtype::float32, {}});
    std::vector<shape_t> shapes;
    for (auto& in : inputs_)
      shapes.push_back(in.shape());
    auto probe = std::make_shared<const onnx::model_graph>(model_);
    if (auto p = onnx::plan::make(probe, shapes)) {
      const auto& v = p->values()[static_cast<std::size_t>(p->outputs()[0])];
      model_.outputs.back().type = v.type.type;
      model_.outputs.back().shape = v.type.shape;
    }
    return {std::make_shared<const onnx::model_graph>(model_), inputs_};
  }

private:
  onnx::model_graph model_;
  std::vector<tensor> inputs_;
  std::uint64_t seed_;
  int counter_ = 0;
};

/// One node of `op_type` over `operands`, its output the model's output.
inline model_with_inputs one_node_model(const std::string& op_type,
                                        const std::vector<operand>& operands,
                                        std::vector<onnx::attribute> attributes = {},
                                        std::int64_t opset = 17, std::uint64_t seed = 1,
                                        std::string node_name = {}) {
  model_builder b{opset, seed};
  std::vector<std::string> names;
  for (auto& o : operands)
    names.push_back(b.value(o));
  auto out = b.node(op_type, names, std::move(attributes), std::move(node_name));
  return b.finish(out);
}

/// Runs `m` once on `d`; fails the test when the executor cannot be made or the run fails.
inline result<std::vector<tensor>> run_on(const model_with_inputs& m, nn::device d,
                                          std::size_t threads = 1) {
  onnx::executor_options options;
  options.device = d;
  options.intra_op_threads = threads;
  // The tables feed NaN on purpose; refusing it is the request check's business
  // (test/kernels/onnx), not the kernels'.
  options.reject_nan_inputs = false;
  auto exec = onnx::make_executor(m.model, options);
  if (!exec)
    return exec.error();
  return (*exec)->run(m.inputs);
}

/// sum((a - b)^2) / sum(b^2) over every element (float32 or float64), 0 when both are zero;
/// +inf when dtypes or shapes differ. NaN where the expected value is NaN, and the expected
/// value's own infinity, count as exact; any other NaN or infinity gives +inf.
inline double nmse(const tensor& actual, const tensor& expected) {
  if (actual.type() != expected.type() || actual.shape() != expected.shape())
    return INFINITY;
  double err = 0, norm = 0;
  for (std::int64_t i = 0; i < expected.element_count(); ++i) {
    const double a = actual.value_as_double(i), b = expected.value_as_double(i);
    if (!std::isfinite(a) || !std::isfinite(b)) {
      if ((std::isnan(a) && std::isnan(b)) || a == b)
        continue;
      return INFINITY;
    }
    err += (a - b) * (a - b);
    norm += b * b;
  }
  if (err == 0)
    return 0;
  return norm > 0 ? err / norm : INFINITY;
}

/// The fast CPU path, on 1 and 2 intra-op threads (or those given), gives the reference's
/// answers for `m` (normalised squared error under 1e-9).
inline void check_fast_path_matches_reference(const model_with_inputs& m,
                                              std::initializer_list<std::size_t> thread_counts = {1, 2}) {
  auto expected = run_on(m, nn::device::reference);
  REQUIRE_MESSAGE(expected.has_value(), expected.error().message);
  for (std::size_t threads : thread_counts) {
    auto actual = run_on(m, nn::device::cpu, threads);
    REQUIRE_MESSAGE(actual.has_value(), actual.error().message);
    CHECK_MESSAGE(nmse(actual->front(), expected->front()) < 1e-9, "on ", threads, " thread(s)");
  }
}

/// The layouts the pass chooses for plan `p` of `m` on the fast CPU path (without optimize()'s
/// fusions; the reference's kernel where the fast path has none); with `bound`, the kernels
/// too, as the pass left them.
inline std::vector<nn::layout_tag> layouts_of(const model_with_inputs& m, const onnx::plan& p,
                                              std::vector<nn::cpu_kernel>* bound = nullptr) {
  std::vector<nn::cpu_kernel> kernels;
  for (std::size_t i = 0; i < p.nodes().size(); ++i) {
    const auto& n = p.nodes()[i];
    auto view = p.view(i);
    std::optional<nn::cpu_kernel> k;
    if (n.op->bind_cpu) {
      auto fast = n.op->bind_cpu(view, n.output_types);
      REQUIRE(fast.has_value());
      k = std::move(*fast);
    }
    if (!k) {
      auto ref = n.op->bind_reference(view, n.output_types);
      REQUIRE(ref.has_value());
      k = std::move(*ref);
    }
    kernels.push_back(std::move(*k));
  }
  auto tags = onnx::choose_layouts(p, kernels);
  if (bound)
    *bound = std::move(kernels);
  return tags;
}

/// The name of the kernel the fast CPU path binds for each node of `m`, in node order.
inline std::vector<std::string> kernel_names(const model_with_inputs& m) {
  auto p = onnx::plan::make(m.model, m.inputs);
  REQUIRE(p.has_value());
  std::vector<nn::cpu_kernel> kernels;
  layouts_of(m, *p, &kernels);
  std::vector<std::string> names;
  for (const auto& k : kernels)
    names.push_back(k.name);
  return names;
}

inline onnx::attribute attr(std::string name, onnx::attribute_value value) {
  return {std::move(name), std::move(value)};
}
inline onnx::attribute ints(std::string name, std::vector<std::int64_t> values) {
  return {std::move(name), std::move(values)};
}

} // namespace hogar::test
