// shape_ops_ref.cpp: the shape rules of Reshape, Flatten, Identity, Transpose, Concat and
// Constant, and their reference twins (every dtype: they only move elements).
#include <algorithm>
#include <cstring>
#include <limits>
#include <numeric>

#include <fmt/format.h>

#include "kernels/nn/shape_ops.hpp"
#include "kernels/ops/common.hpp"

namespace hogar::nn {

namespace {

std::size_t byte_size(const value_type& v) {
  return static_cast<std::size_t>(element_count(v.shape)) * dtype_size(v.type);
}

result<shape_t> reshape_target(const node_view& view) {
  auto attrs = view.attributes();
  const auto& in = view.inputs[0].shape;
  std::vector<std::int64_t> requested;
  if (view.opset < 5) {
    if (view.inputs.size() != 1)
      return view.error("takes one input before opset 5 (the shape is an attribute)");
    auto shape = attrs.require_ints("shape");
    if (!shape)
      return shape.error();
    requested = std::move(*shape);
  } else {
    if (view.inputs.size() != 2 || !view.has(1))
      return view.error("needs two inputs, data and shape");
    const auto& s = view.inputs[1];
    if (s.type != dtype::int64 || s.shape.size() != 1)
      return view.error(fmt::format("input 1 ('{}', the shape) is {}{}; it must be a 1-D int64 "
                                    "tensor",
                                    view.node.inputs[1], to_string(s.type), to_string(s.shape)));
    const tensor* shape = view.constant(1);
    if (!shape)
      return view.error(fmt::format("input 1 ('{}', the shape) must be a constant (an "
                                    "initializer, or computed from constants only): hogar plans "
                                    "every shape before the first request",
                                    view.node.inputs[1]));
    auto values = shape->values<std::int64_t>();
    requested.assign(values.begin(), values.end());
  }
  auto allowzero = attrs.get_int("allowzero", 0);
  if (!allowzero)
    return allowzero.error();
  shape_t out(requested.size());
  std::int64_t known = 1;
  std::optional<std::size_t> inferred;
  for (std::size_t i = 0; i < requested.size(); ++i) {
    const auto r = requested[i];
    if (r == 0 && *allowzero == 0) {
      // 0 copies the input's extent at the same index.
      if (i >= in.size())
        return view.error(fmt::format("shape {} copies extent {} (a 0) of data {}, which has "
                                      "no such dimension",
                                      to_string(requested), i, to_string(in)));
      out[i] = in[i];
    } else if (r == -1) {
      if (inferred)
        return view.error(fmt::format("shape {} has more than one -1", to_string(requested)));
      inferred = i;
      continue;
    } else if (r < -1) {
      return view.error(fmt::format("shape {} holds {}; extents are -1 (inferred), 0 or "
                                    "positive",
                                    to_string(requested), r));
    } else {
      out[i] = r;
    }
    // The shape is a constant of the model file: its extents may multiply past int64.
    if (out[i] != 0 && known > std::numeric_limits<std::int64_t>::max() / out[i])
      return view.error(fmt::format("shape {} holds more elements than an int64 counts",
                                    to_string(requested)));
    known *= out[i];
  }
  const auto total = element_count(in);
  if (inferred) {
    if (known == 0 || total % known != 0)
      return view.error(fmt::format("cannot infer the -1 of shape {} for data {} ({} elements)",
                                    to_string(requested), to_string(in), total));
    out[*inferred] = total / known;
  } else if (known != total) {
    return view.error(fmt::format("shape {} holds {} elements, data {} holds {}",
                                  to_string(requested), known, to_string(in), total));
  }
  return out;
}

bool needs_data(const node_view& view) {
  return !view.inputs.empty() && view.has(0);
}

/// The tensor a Constant node holds: `value`, or one of the value_float(s)/value_int(s)
/// shorthands.
result<tensor> constant_value(const node_view& view) {
  const auto& n = view.node;
  auto attrs = view.attributes();
  const char* present = nullptr;
  for (auto name : {"value", "value_float", "value_floats", "value_int", "value_ints",
                    "value_string", "value_strings", "sparse_value"}) {
    if (!n.find(name))
      continue;
    if (present)
      return view.error(fmt::format("has attributes '{}' and '{}'; a Constant holds exactly one "
                                    "value",
                                    present, name));
    present = name;
  }
  if (!present)
    return view.error("has no value attribute ('value', 'value_float', 'value_floats', "
                      "'value_int' or 'value_ints')");
  const std::string_view name = present;
  if (name == "value")
    return attrs.require_tensor("value");
  if (name == "value_float") {
    auto v = attrs.get_float(name, 0.0f);
    if (!v)
      return v.error();
    return tensor::scalar(*v);
  }
  if (name == "value_floats") {
    auto v = attrs.get_floats(name);
    if (!v)
      return v.error();
    return tensor::from_values<float>(shape_t{static_cast<std::int64_t>(v->size())}, *v);
  }
  if (name == "value_int") {
    auto v = attrs.get_int(name, 0);
    if (!v)
      return v.error();
    return tensor::scalar(*v);
  }
  if (name == "value_ints") {
    auto v = attrs.get_ints(name);
    if (!v)
      return v.error();
    return tensor::from_values<std::int64_t>(shape_t{static_cast<std::int64_t>(v->size())}, *v);
  }
  return attrs.error(name, "holds strings or a sparse tensor, which hogar does not support");
}

} // namespace

result<std::vector<value_type>> infer_reshape(const node_view& view) {
  if (!needs_data(view))
    return view.error("needs input 0, data");
  auto out = reshape_target(view);
  if (!out)
    return out.error();
  return std::vector<value_type>{{view.inputs[0].type, std::move(*out)}};
}

result<std::vector<value_type>> infer_flatten(const node_view& view) {
  if (view.inputs.size() != 1 || !view.has(0))
    return view.error("needs exactly one input");
  const auto& in = view.inputs[0].shape;
  const auto rank = static_cast<std::int64_t>(in.size());
  auto attrs = view.attributes();
  auto axis = attrs.get_int("axis", 1);
  if (!axis)
    return axis.error();
  const auto a = *axis < 0 ? *axis + rank : *axis;
  if (a < 0 || a > rank)
    return attrs.error("axis", fmt::format("is {}, outside [{}, {}] for an input of rank {}",
                                           *axis, -rank, rank, rank));
  const shape_t out{element_count(shape_t(in.begin(), in.begin() + a)),
                    element_count(shape_t(in.begin() + a, in.end()))};
  return std::vector<value_type>{{view.inputs[0].type, out}};
}

namespace {

/// Unsqueeze's and Squeeze's axes: the `axes` attribute before opset 13, the optional input
/// 1 from it (a constant: hogar plans every shape before the first request). nullopt: none
/// given.
result<std::optional<std::vector<std::int64_t>>> axes_of(const node_view& view) {
  if (view.opset < 13) {
    if (view.inputs.size() != 1)
      return view.error("takes one input before opset 13 (the axes are an attribute)");
    auto attrs = view.attributes();
    if (!attrs.has("axes"))
      return std::optional<std::vector<std::int64_t>>{};
    auto axes = attrs.get_ints("axes");
    if (!axes)
      return axes.error();
    return std::optional{std::move(*axes)};
  }
  if (view.inputs.size() > 2)
    return view.error("takes at most two inputs, data and axes");
  if (!view.has(1))
    return std::optional<std::vector<std::int64_t>>{};
  const tensor* axes = view.constant(1);
  if (!axes || axes->type() != dtype::int64)
    return view.error(fmt::format("input 1 ('{}', the axes) must be a constant 1-D int64 "
                                  "tensor (an initializer, or computed from constants and "
                                  "input shapes only): hogar plans every shape before the "
                                  "first request",
                                  view.node.inputs[1]));
  auto v = axes->values<std::int64_t>();
  return std::optional{std::vector<std::int64_t>(v.begin(), v.end())};
}

/// `axes` made non-negative against `rank`; fails on one out of range or given twice.
result<std::vector<std::int64_t>> normalized_axes(const node_view& view,
                                                  std::vector<std::int64_t> axes,
                                                  std::int64_t rank) {
  for (auto& a : axes) {
    if (a < -rank || a >= rank)
      return view.error(fmt::format("axis {} is outside [{}, {}]", a, -rank, rank - 1));
    if (a < 0)
      a += rank;
  }
  std::sort(axes.begin(), axes.end());
  if (std::adjacent_find(axes.begin(), axes.end()) != axes.end())
    return view.error("names an axis twice");
  return axes;
}

} // namespace

result<std::vector<value_type>> infer_unsqueeze(const node_view& view) {
  if (!needs_data(view))
    return view.error("needs input 0, data");
  auto axes = axes_of(view);
  if (!axes)
    return axes.error();
  if (!*axes || (*axes)->empty())
    return view.error("needs the axes to insert");
  const auto& in = view.inputs[0].shape;
  const auto rank = static_cast<std::int64_t>(in.size() + (*axes)->size());
  auto sorted = normalized_axes(view, std::move(**axes), rank);
  if (!sorted)
    return sorted.error();
  shape_t out;
  auto next = in.begin();
  for (std::int64_t d = 0, k = 0; d < rank; ++d) {
    if (k < static_cast<std::int64_t>(sorted->size()) && (*sorted)[static_cast<std::size_t>(k)] == d) {
      out.push_back(1);
      ++k;
    } else {
      out.push_back(*next++);
    }
  }
  return std::vector<value_type>{{view.inputs[0].type, std::move(out)}};
}

result<std::vector<value_type>> infer_squeeze(const node_view& view) {
  if (!needs_data(view))
    return view.error("needs input 0, data");
  auto axes = axes_of(view);
  if (!axes)
    return axes.error();
  const auto& in = view.inputs[0].shape;
  shape_t out;
  if (!*axes) {
    // No axes: every extent of 1 goes.
    for (auto d : in)
      if (d != 1)
        out.push_back(d);
  } else {
    auto sorted = normalized_axes(view, std::move(**axes), static_cast<std::int64_t>(in.size()));
    if (!sorted)
      return sorted.error();
    for (auto a : *sorted)
      if (in[static_cast<std::size_t>(a)] != 1)
        return view.error(fmt::format("axis {} of data {} has extent {}; only extents of 1 "
                                      "can be squeezed",
                                      a, to_string(in), in[static_cast<std::size_t>(a)]));
    for (std::size_t d = 0; d < in.size(); ++d)
      if (!std::binary_search(sorted->begin(), sorted->end(), static_cast<std::int64_t>(d)))
        out.push_back(in[d]);
  }
  return std::vector<value_type>{{view.inputs[0].type, std::move(out)}};
}

result<std::vector<value_type>> infer_identity(const node_view& view) {
  if (view.inputs.size() != 1 || !view.has(0))
    return view.error("needs exactly one input");
  return std::vector<value_type>{view.inputs[0]};
}

result<cpu_kernel> bind_copy_reference(const node_view& view,
                                       std::span<const value_type> outputs) {
  const auto bytes = byte_size(outputs[0]);
  if (!needs_data(view) || byte_size(view.inputs[0]) != bytes)
    return view.error("copies its input, which must hold as many bytes as its output");
  cpu_kernel k;
  k.run = [bytes](const cpu_buffers& io) {
    if (bytes > 0)
      std::memcpy(io.outputs[0], io.inputs[0], bytes);
  };
  return k;
}

namespace {

/// DepthToSpace and SpaceToDepth as the transposes of a 6-D view of X that they are.
result<transpose_params> depth_space_params_of(const node_view& view) {
  const auto& x = view.inputs[0].shape;
  if (x.size() != 4)
    return view.error(fmt::format("input {} must have rank 4: [N, C, H, W]", to_string(x)));
  auto attrs = view.attributes();
  auto block = attrs.require_int("blocksize");
  if (!block)
    return block.error();
  const auto b = *block;
  if (b < 1)
    return attrs.error("blocksize", fmt::format("is {}; it must be at least 1", b));
  const auto n = x[0], c = x[1], h = x[2], w = x[3];
  transpose_params p;
  if (view.node.op_type == "DepthToSpace") {
    auto mode = attrs.get_string("mode", "DCR");
    if (!mode)
      return mode.error();
    if (*mode != "DCR" && *mode != "CRD")
      return attrs.error("mode", fmt::format("is '{}'; it must be DCR or CRD", *mode));
    if (c % (b * b) != 0)
      return view.error(fmt::format("input {} has {} channels, not a multiple of blocksize^2 "
                                    "= {}",
                                    to_string(x), c, b * b));
    const auto depth = c / (b * b);
    if (*mode == "DCR") {
      p.in_shape = {n, b, b, depth, h, w};
      p.perm = {0, 3, 4, 1, 5, 2};
    } else {
      p.in_shape = {n, depth, b, b, h, w};
      p.perm = {0, 1, 4, 2, 5, 3};
    }
  } else {
    if (h % b != 0 || w % b != 0)
      return view.error(fmt::format("input {} has a height or width that is not a multiple "
                                    "of blocksize {}",
                                    to_string(x), b));
    p.in_shape = {n, c, h / b, b, w / b, b};
    p.perm = {0, 3, 5, 1, 2, 4};
  }
  for (auto d : p.perm)
    p.out_shape.push_back(p.in_shape[static_cast<std::size_t>(d)]);
  return p;
}

} // namespace

result<std::vector<value_type>> infer_depth_space(const node_view& view) {
  if (view.inputs.size() != 1 || !view.has(0))
    return view.error("needs exactly one input");
  auto p = depth_space_params_of(view);
  if (!p)
    return p.error();
  const auto& x = view.inputs[0].shape;
  const auto b = *view.attributes().require_int("blocksize");  // checked just above
  const shape_t out = view.node.op_type == "DepthToSpace"
                        ? shape_t{x[0], x[1] / (b * b), x[2] * b, x[3] * b}
                        : shape_t{x[0], x[1] * b * b, x[2] / b, x[3] / b};
  return std::vector<value_type>{{view.inputs[0].type, out}};
}

result<transpose_params> transpose_params_of(const node_view& view) {
  if (view.inputs.size() != 1 || !view.has(0))
    return view.error("needs exactly one input");
  if (view.node.op_type == "DepthToSpace" || view.node.op_type == "SpaceToDepth")
    return depth_space_params_of(view);
  transpose_params p;
  p.in_shape = view.inputs[0].shape;
  const auto rank = p.in_shape.size();
  auto attrs = view.attributes();
  std::vector<std::int64_t> reversed(rank);
  std::iota(reversed.rbegin(), reversed.rend(), 0);
  auto perm = attrs.get_ints("perm", reversed);
  if (!perm)
    return perm.error();
  std::vector<bool> seen(rank, false);
  bool ok = perm->size() == rank;
  for (auto d : *perm) {
    ok = ok && d >= 0 && static_cast<std::size_t>(d) < rank && !seen[static_cast<std::size_t>(d)];
    if (ok)
      seen[static_cast<std::size_t>(d)] = true;
  }
  if (!ok)
    return attrs.error("perm", fmt::format("is {}; it must order the {} dimensions of input {}, "
                                           "each once",
                                           to_string(*perm), rank, to_string(p.in_shape)));
  p.perm = std::move(*perm);
  for (auto d : p.perm)
    p.out_shape.push_back(p.in_shape[static_cast<std::size_t>(d)]);
  return p;
}

result<std::vector<value_type>> infer_transpose(const node_view& view) {
  auto p = transpose_params_of(view);
  if (!p)
    return p.error();
  return std::vector<value_type>{{view.inputs[0].type, p->out_shape}};
}

result<cpu_kernel> bind_transpose_reference(const node_view& view,
                                            std::span<const value_type> outputs) {
  auto params = transpose_params_of(view);
  if (!params)
    return params.error();
  const auto p = *params;
  const auto type = outputs[0].type;
  cpu_kernel k;
  k.run = [p, type](const cpu_buffers& io) {
    const auto rank = p.in_shape.size();
    // Input strides, then read along the output's dimensions.
    std::vector<std::int64_t> in_strides(rank, 1);
    for (std::size_t d = rank; d-- > 1;)
      in_strides[d - 1] = in_strides[d] * p.in_shape[d];
    const auto total = element_count(p.out_shape);
    ops::visit_dtype(type, [&](auto zero) {
      using T = decltype(zero);
      const T* x = static_cast<const T*>(io.inputs[0]);
      T* y = static_cast<T*>(io.outputs[0]);
      for (std::int64_t o = 0; o < total; ++o) {
        std::int64_t rest = o, offset = 0;
        for (std::size_t d = rank; d-- > 0;) {
          offset += rest % p.out_shape[d] * in_strides[static_cast<std::size_t>(p.perm[d])];
          rest /= p.out_shape[d];
        }
        y[o] = x[offset];
      }
    });
  };
  return k;
}

result<concat_params> concat_params_of(const node_view& view) {
  if (view.inputs.empty())
    return view.error("needs at least one input");
  for (std::size_t i = 0; i < view.inputs.size(); ++i)
    if (!view.has(i))
      return view.error(fmt::format("input {} is missing", i));
  const auto& first = view.inputs[0];
  const auto rank = static_cast<std::int64_t>(first.shape.size());
  if (rank == 0)
    return view.error("input 0 is a scalar; Concat joins tensors of rank 1 or more");
  auto attrs = view.attributes();
  // Opset 1 made the axis optional (default 1); from opset 4 it is required.
  auto axis = view.opset < 4 ? attrs.get_int("axis", 1) : attrs.require_int("axis");
  if (!axis)
    return axis.error();
  const auto a = *axis < 0 ? *axis + rank : *axis;
  if (a < 0 || a >= rank)
    return attrs.error("axis", fmt::format("is {}, outside [{}, {}] for inputs of rank {}",
                                           *axis, -rank, rank - 1, rank));
  concat_params p;
  p.axis = a;
  p.out_shape = first.shape;
  p.out_shape[static_cast<std::size_t>(a)] = 0;
  const auto ua = static_cast<std::size_t>(a);
  const auto after = element_count(shape_t(first.shape.begin() + a + 1, first.shape.end()));
  p.outer = element_count(shape_t(first.shape.begin(), first.shape.begin() + a));
  for (std::size_t i = 0; i < view.inputs.size(); ++i) {
    const auto& in = view.inputs[i];
    bool fits = in.type == first.type && in.shape.size() == first.shape.size();
    for (std::size_t d = 0; fits && d < in.shape.size(); ++d)
      fits = d == ua || in.shape[d] == first.shape[d];
    if (!fits)
      return view.error(fmt::format("input {} is {}{}; it must be {} with the extents of input "
                                    "0 {} except along axis {}",
                                    i, to_string(in.type), to_string(in.shape),
                                    to_string(first.type), to_string(first.shape), a));
    p.out_shape[ua] += in.shape[ua];
    p.input_runs.push_back(in.shape[ua] * after);
  }
  return p;
}

result<std::vector<value_type>> infer_concat(const node_view& view) {
  auto p = concat_params_of(view);
  if (!p)
    return p.error();
  return std::vector<value_type>{{view.inputs[0].type, p->out_shape}};
}

result<cpu_kernel> bind_concat_reference(const node_view& view,
                                         std::span<const value_type> outputs) {
  auto params = concat_params_of(view);
  if (!params)
    return params.error();
  const auto p = *params;
  const auto element = dtype_size(outputs[0].type);
  cpu_kernel k;
  k.run = [p, element](const cpu_buffers& io) {
    auto* y = static_cast<char*>(io.outputs[0]);
    // Per outer index, each input's run in turn.
    for (std::int64_t o = 0; o < p.outer; ++o) {
      for (std::size_t i = 0; i < p.input_runs.size(); ++i) {
        const auto bytes = static_cast<std::size_t>(p.input_runs[i]) * element;
        if (bytes == 0)
          continue;
        std::memcpy(y, static_cast<const char*>(io.inputs[i]) + o * bytes, bytes);
        y += bytes;
      }
    }
  };
  return k;
}

result<std::vector<value_type>> infer_constant(const node_view& view) {
  if (!view.inputs.empty())
    return view.error("takes no inputs");
  auto value = constant_value(view);
  if (!value)
    return value.error();
  return std::vector<value_type>{{value->type(), value->shape()}};
}

result<cpu_kernel> bind_constant_reference(const node_view& view,
                                           std::span<const value_type> outputs) {
  auto value = constant_value(view);
  if (!value)
    return value.error();
  cpu_kernel k;
  k.run = [value = std::move(*value)](const cpu_buffers& io) {
    if (value.byte_size() > 0)
      std::memcpy(io.outputs[0], value.bytes().data(), value.byte_size());
  };
  return k;
}

} // namespace hogar::nn
