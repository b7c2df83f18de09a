// fixture.hpp: the one fixture of the kernels tests: operator specs built by hand the way the
// validator leaves them (every schema parameter present, defaults from graph/kinds.cpp), and a
// short way to call an operation on some records.
#pragma once

#include <chrono>
#include <initializer_list>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <doctest/doctest.h>

#include "graph/kinds.hpp"
#include "graph/spec.hpp"
#include "kernels/operation.hpp"
#include "kernels/tensor.hpp"

namespace hogar::test {

/// A validated-looking spec of `kind`: `params` override the schema's defaults; `inputs` name
/// the data inputs (one "in" when empty).
inline graph::operator_spec make_spec(std::string kind,
                                      std::vector<std::pair<std::string, graph::param_value>> params = {},
                                      std::vector<std::string> inputs = {},
                                      std::string name = "op") {
  graph::operator_spec spec;
  spec.name = std::move(name);
  spec.kind = std::move(kind);
  if (inputs.empty())
    inputs.push_back("in");
  for (auto& input : inputs)
    spec.inputs.push_back({input, {}});
  for (auto& [key, value] : params)
    spec.params.push_back({key, value, {}});
  if (auto* schema = graph::find_kind(spec.kind))
    for (auto& p : schema->params)
      if (p.default_value && spec.find_param(p.name) == nullptr)
        spec.params.push_back({std::string{p.name}, *p.default_value, {}});
  return spec;
}

/// make_operation that must succeed.
inline std::unique_ptr<operation> make_op(const graph::operator_spec& spec) {
  auto op = make_operation(spec);
  REQUIRE_MESSAGE(op.has_value(), (op.has_value() ? "" : op.error().message));
  return std::move(*op);
}

using time_point = std::chrono::steady_clock::time_point;

/// Runs `op` once; nullptr entries are absent inputs.
inline result<op_output> call(operation& op, std::vector<const record*> inputs,
                              std::uint64_t request_id = 1, time_point now = time_point{}) {
  // Non-owning shared pointers: the caller's records outlive the call.
  std::vector<record_ptr> shared;
  for (auto* r : inputs)
    shared.push_back(r ? record_ptr{r, [](const record*) {}} : nullptr);
  op_call c;
  c.request_id = request_id;
  c.inputs = shared;
  c.now = now;
  return op.run(c);
}

/// call() with one input.
inline result<op_output> call1(operation& op, const record& input, std::uint64_t request_id = 1,
                               time_point now = time_point{}) {
  return call(op, {&input}, request_id, now);
}

/// Runs and requires success.
inline op_output ok(result<op_output> r) {
  REQUIRE_MESSAGE(r.has_value(), (r.has_value() ? "" : r.error().message));
  return std::move(*r);
}

/// A tensor of `shape` holding `values` (std::vector<bool> has no data(), so bools go by hand).
template <class T>
tensor make(shape_t shape, std::vector<T> values) {
  if constexpr (std::is_same_v<T, bool>) {
    tensor t{dtype::boolean, std::move(shape)};
    auto out = t.mutable_values<bool>();
    REQUIRE(out.size() == values.size());
    for (std::size_t i = 0; i < values.size(); ++i)
      out[i] = values[i];
    return t;
  } else {
    REQUIRE(static_cast<std::size_t>(element_count(shape)) == values.size());
    return tensor::from_values<T>(std::move(shape), values);
  }
}

template <class T>
std::vector<T> values_of(const tensor& t) {
  auto v = t.values<T>();
  return {v.begin(), v.end()};
}

/// The tensor `name` of an output, required to exist.
inline const tensor& get(const op_output& out, std::string_view name) {
  auto* t = find_tensor(out.value, name);
  REQUIRE_MESSAGE(t != nullptr, "no tensor ", std::string{name});
  return *t;
}

} // namespace hogar::test
