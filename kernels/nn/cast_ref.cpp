// cast_ref.cpp: the target type of Cast and CastLike, their shape rule, and their reference
// twin for every pair of dtypes.
#include <array>
#include <string>
#include <string_view>
#include <variant>

#include <fmt/format.h>

#include "kernels/nn/cast.hpp"

namespace hogar::nn {

namespace {

/// ONNX's element types (TensorProto.DataType), by code, with hogar's dtype where it has one.
struct onnx_element_type {
  std::int64_t code;
  std::string_view name;
  std::optional<dtype> type;
};

constexpr std::array<onnx_element_type, 22> onnx_element_types = {{
  {1, "FLOAT", dtype::float32},
  {2, "UINT8", dtype::uint8},
  {3, "INT8", dtype::int8},
  {4, "UINT16", std::nullopt},
  {5, "INT16", std::nullopt},
  {6, "INT32", dtype::int32},
  {7, "INT64", dtype::int64},
  {8, "STRING", std::nullopt},
  {9, "BOOL", dtype::boolean},
  {10, "FLOAT16", std::nullopt},
  {11, "DOUBLE", dtype::float64},
  {12, "UINT32", std::nullopt},
  {13, "UINT64", std::nullopt},
  {14, "COMPLEX64", std::nullopt},
  {15, "COMPLEX128", std::nullopt},
  {16, "BFLOAT16", std::nullopt},
  {17, "FLOAT8E4M3FN", std::nullopt},
  {18, "FLOAT8E4M3FNUZ", std::nullopt},
  {19, "FLOAT8E5M2", std::nullopt},
  {20, "FLOAT8E5M2FNUZ", std::nullopt},
  {21, "UINT4", std::nullopt},
  {22, "INT4", std::nullopt},
}};

constexpr std::string_view hogar_dtypes = "float32, float64, int8, uint8, int32, int64 and bool";

result<dtype> known_target(const node_view& view, const onnx_element_type& t) {
  if (!t.type)
    return view.error(fmt::format("attribute 'to' is {} ({}), a type hogar has no dtype for (it "
                                  "runs {})",
                                  t.name, t.code, hogar_dtypes));
  return *t.type;
}

} // namespace

result<dtype> cast_target_of(const node_view& view) {
  if (view.node.op_type == "CastLike") {
    if (view.inputs.size() != 2 || !view.has(0) || !view.has(1))
      return view.error("needs two inputs, input and target_type");
    return view.inputs[1].type;
  }
  const auto* to = view.node.find("to");
  if (!to)
    return view.error("attribute 'to' is required");
  // An element type's code from opset 6, its name at opset 1.
  if (const auto* code = std::get_if<std::int64_t>(&to->value)) {
    for (auto& t : onnx_element_types)
      if (t.code == *code)
        return known_target(view, t);
    return view.error(fmt::format("attribute 'to' is {}, not an ONNX element type", *code));
  }
  if (const auto* name = std::get_if<std::string>(&to->value)) {
    for (auto& t : onnx_element_types)
      if (t.name == *name)
        return known_target(view, t);
    return view.error(fmt::format("attribute 'to' is '{}', not an ONNX element type", *name));
  }
  return view.error("attribute 'to' must be an INT (an element type's code) or, at opset 1, a "
                    "STRING (its name)");
}

result<std::vector<value_type>> infer_cast(const node_view& view) {
  const bool like = view.node.op_type == "CastLike";
  if (!like && (view.inputs.size() != 1 || !view.has(0)))
    return view.error("needs one input");
  auto target = cast_target_of(view);
  if (!target)
    return target.error();
  return std::vector<value_type>{{*target, view.inputs[0].shape}};
}

result<cpu_kernel> bind_cast_reference(const node_view& view,
                                       std::span<const value_type> outputs) {
  const auto from = view.inputs[0].type, to = outputs[0].type;
  const auto n = element_count(outputs[0].shape);
  cpu_kernel k;
  k.run = [from, to, n](const cpu_buffers& io) {
    visit_cast_type(from, [&](auto from_zero, auto from_bool) {
      visit_cast_type(to, [&](auto to_zero, auto to_bool) {
        using From = decltype(from_zero);
        using To = decltype(to_zero);
        const auto* x = static_cast<const From*>(io.inputs[0]);
        auto* y = static_cast<To*>(io.outputs[0]);
        for (std::int64_t i = 0; i < n; ++i)
          y[i] = cast_value<To, decltype(to_bool)::value, From, decltype(from_bool)::value>(x[i]);
      });
    });
  };
  return k;
}

} // namespace hogar::nn
