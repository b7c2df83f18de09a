// shape_query_ref.cpp: Shape, Size and ConstantOfShape: their shape rules and the kernels
// plans fold them with.
#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "kernels/nn/shape_query.hpp"

namespace hogar::nn {

namespace {

/// Shape's [start, end) over the input's dimensions (opset 15; earlier: all of them),
/// negative ends counted from the back and both clamped, as ONNX defines.
result<std::pair<std::int64_t, std::int64_t>> shape_range(const node_view& view) {
  const auto rank = static_cast<std::int64_t>(view.inputs[0].shape.size());
  auto attrs = view.attributes();
  auto start = attrs.get_int("start", 0);
  auto end = attrs.get_int("end", rank);
  if (!start)
    return start.error();
  if (!end)
    return end.error();
  auto clamp = [rank](std::int64_t v) { return std::clamp(v < 0 ? v + rank : v, std::int64_t{0}, rank); };
  const auto first = clamp(*start);
  return std::pair{first, std::max(first, clamp(*end))};
}

bool one_present_input(const node_view& view) {
  return view.inputs.size() == 1 && view.has(0);
}

} // namespace

result<std::vector<value_type>> infer_shape(const node_view& view) {
  if (!one_present_input(view))
    return view.error("needs exactly one input, data");
  auto range = shape_range(view);
  if (!range)
    return range.error();
  return std::vector<value_type>{{dtype::int64, {range->second - range->first}}};
}

result<cpu_kernel> bind_shape_reference(const node_view& view, std::span<const value_type>) {
  auto range = shape_range(view);
  if (!range)
    return range.error();
  const auto& shape = view.inputs[0].shape;
  const std::vector<std::int64_t> dims(shape.begin() + range->first,
                                       shape.begin() + range->second);
  cpu_kernel k;
  k.run = [dims](const cpu_buffers& io) {
    if (!dims.empty())
      std::memcpy(io.outputs[0], dims.data(), dims.size() * sizeof(std::int64_t));
  };
  return k;
}

result<std::vector<value_type>> infer_size(const node_view& view) {
  if (!one_present_input(view))
    return view.error("needs exactly one input, data");
  return std::vector<value_type>{{dtype::int64, {}}};
}

result<cpu_kernel> bind_size_reference(const node_view& view, std::span<const value_type>) {
  const std::int64_t count = element_count(view.inputs[0].shape);
  cpu_kernel k;
  k.run = [count](const cpu_buffers& io) { std::memcpy(io.outputs[0], &count, sizeof count); };
  return k;
}

namespace {

/// ConstantOfShape's output shape and fill value.
struct constant_of_shape {
  shape_t shape;
  tensor value;
};

result<constant_of_shape> constant_of_shape_of(const node_view& view) {
  if (!one_present_input(view))
    return view.error("needs exactly one input, the shape");
  const auto& in = view.inputs[0];
  if (in.type != dtype::int64 || in.shape.size() != 1)
    return view.error(fmt::format("input 0 ('{}', the shape) is {}{}; it must be a 1-D int64 "
                                  "tensor",
                                  view.node.inputs[0], to_string(in.type), to_string(in.shape)));
  const tensor* shape = view.constant(0);
  if (!shape)
    return view.error(fmt::format("input 0 ('{}', the shape) must be a constant (an "
                                  "initializer, or computed from constants and input shapes "
                                  "only): hogar plans every shape before the first request",
                                  view.node.inputs[0]));
  constant_of_shape c;
  for (auto d : shape->values<std::int64_t>()) {
    if (d < 0)
      return view.error(fmt::format("input 0 (the shape) holds {}; extents must not be "
                                    "negative",
                                    d));
    c.shape.push_back(d);
  }
  auto attrs = view.attributes();
  if (attrs.has("value")) {
    auto value = attrs.require_tensor("value");
    if (!value)
      return value.error();
    if (value->element_count() != 1)
      return attrs.error("value", fmt::format("holds {} elements; it must hold one",
                                              value->element_count()));
    c.value = std::move(*value);
  } else {
    c.value = tensor::scalar(0.0f);
  }
  return c;
}

} // namespace

result<std::vector<value_type>> infer_constant_of_shape(const node_view& view) {
  auto c = constant_of_shape_of(view);
  if (!c)
    return c.error();
  return std::vector<value_type>{{c->value.type(), c->shape}};
}

result<cpu_kernel> bind_constant_of_shape_reference(const node_view& view,
                                                    std::span<const value_type> outputs) {
  auto c = constant_of_shape_of(view);
  if (!c)
    return c.error();
  const auto count = element_count(outputs[0].shape);
  const auto element = dtype_size(outputs[0].type);
  std::vector<char> one(c->value.bytes().begin(), c->value.bytes().end());
  cpu_kernel k;
  k.run = [count, element, one](const cpu_buffers& io) {
    auto* out = static_cast<char*>(io.outputs[0]);
    for (std::int64_t i = 0; i < count; ++i)
      std::memcpy(out + static_cast<std::size_t>(i) * element, one.data(), element);
  };
  return k;
}

} // namespace hogar::nn
