// strided_copy_ref.cpp: the shape rules of Slice, Split, Expand and Tile as strided views of
// their input, and their reference twin (one element at a time, every dtype).
#include <algorithm>
#include <cstring>
#include <limits>
#include <numeric>

#include <fmt/format.h>

#include "kernels/nn/broadcast.hpp"
#include "kernels/nn/strided_copy.hpp"

namespace hogar::nn {

namespace {

/// The whole of `shape`, read in order.
strided_view identity_view(const shape_t& shape) {
  return {shape, row_major_strides(shape), 0};
}

/// The values of input `i` as int64: it must be a constant int32 or int64 tensor of rank 0
/// or 1 (`what` names it in messages: "the starts").
result<std::vector<std::int64_t>> constant_ints(const node_view& view, std::size_t i,
                                                std::string_view what) {
  const tensor* t = view.constant(i);
  if (!t)
    return view.error(fmt::format("input {} ('{}', {}) must be a constant (an initializer, or "
                                  "computed from constants and input shapes only): hogar plans "
                                  "every shape before the first request",
                                  i, view.node.inputs[i], what));
  if ((t->type() != dtype::int64 && t->type() != dtype::int32) || t->shape().size() > 1)
    return view.error(fmt::format("input {} ('{}', {}) is {}{}; it must be a 1-D int32 or "
                                  "int64 tensor",
                                  i, view.node.inputs[i], what, to_string(t->type()),
                                  to_string(t->shape())));
  std::vector<std::int64_t> out;
  if (t->type() == dtype::int64) {
    auto v = t->values<std::int64_t>();
    out.assign(v.begin(), v.end());
  } else {
    auto v = t->values<std::int32_t>();
    out.assign(v.begin(), v.end());
  }
  return out;
}

/// `axis` made non-negative against `rank`, or an error naming `what` ("axes", "axis").
result<std::int64_t> normalized_axis(const node_view& view, std::int64_t axis, std::int64_t rank,
                                     std::string_view what) {
  if (axis < -rank || axis >= rank)
    return view.error(fmt::format("{} {} is outside [{}, {}] for data {}", what, axis, -rank,
                                  rank - 1, to_string(view.inputs[0].shape)));
  return axis < 0 ? axis + rank : axis;
}

bool has_data(const node_view& view) {
  return !view.inputs.empty() && view.has(0);
}

result<strided_copy_params> slice_params(const node_view& view) {
  const auto& in = view.inputs[0].shape;
  const auto rank = static_cast<std::int64_t>(in.size());
  auto attrs = view.attributes();
  std::vector<std::int64_t> starts, ends, axes, steps;
  bool has_axes = false, has_steps = false;
  if (view.opset < 10) {
    if (view.inputs.size() != 1)
      return view.error("takes one input before opset 10 (starts, ends and axes are "
                        "attributes)");
    auto s = attrs.require_ints("starts");
    if (!s)
      return s.error();
    auto e = attrs.require_ints("ends");
    if (!e)
      return e.error();
    starts = std::move(*s);
    ends = std::move(*e);
    if (attrs.has("axes")) {
      auto a = attrs.get_ints("axes");
      if (!a)
        return a.error();
      axes = std::move(*a);
      has_axes = true;
    }
  } else {
    if (view.inputs.size() < 3 || view.inputs.size() > 5 || !view.has(1) || !view.has(2))
      return view.error("needs inputs data, starts and ends (axes and steps optional)");
    auto s = constant_ints(view, 1, "the starts");
    if (!s)
      return s.error();
    auto e = constant_ints(view, 2, "the ends");
    if (!e)
      return e.error();
    starts = std::move(*s);
    ends = std::move(*e);
    if (view.has(3)) {
      auto a = constant_ints(view, 3, "the axes");
      if (!a)
        return a.error();
      axes = std::move(*a);
      has_axes = true;
    }
    if (view.has(4)) {
      auto st = constant_ints(view, 4, "the steps");
      if (!st)
        return st.error();
      steps = std::move(*st);
      has_steps = true;
    }
  }
  if (starts.size() != ends.size())
    return view.error(fmt::format("starts {} and ends {} differ in length", to_string(starts),
                                  to_string(ends)));
  if (!has_axes) {
    axes.resize(starts.size());
    std::iota(axes.begin(), axes.end(), 0);
  } else if (axes.size() != starts.size()) {
    return view.error(fmt::format("axes {} and starts {} differ in length", to_string(axes),
                                  to_string(starts)));
  }
  if (!has_steps)
    steps.assign(starts.size(), 1);
  else if (steps.size() != starts.size())
    return view.error(fmt::format("steps {} and starts {} differ in length", to_string(steps),
                                  to_string(starts)));

  const auto in_strides = row_major_strides(in);
  strided_view v = identity_view(in);
  std::vector<bool> seen(in.size(), false);
  for (std::size_t k = 0; k < starts.size(); ++k) {
    auto axis = normalized_axis(view, axes[k], rank, "axis");
    if (!axis)
      return axis.error();
    const auto a = static_cast<std::size_t>(*axis);
    if (seen[a])
      return view.error(fmt::format("axes {} name axis {} twice", to_string(axes), a));
    seen[a] = true;
    const auto step = steps[k];
    if (step == 0)
      return view.error(fmt::format("steps {} hold a 0 (for axis {})", to_string(steps), a));
    const auto dim = in[a];
    // Negative starts and ends count from the back; then both are clamped into the axis
    // (ONNX's rule; INT64_MAX as an end means "to the end").
    auto start = starts[k], end = ends[k];
    if (start < 0)
      start += dim;
    if (end < 0)
      end += dim;
    std::int64_t count = 0;
    if (dim > 0 && step > 0) {
      start = std::clamp<std::int64_t>(start, 0, dim);
      end = std::clamp<std::int64_t>(end, 0, dim);
      count = end > start ? (end - start - 1) / step + 1 : 0;
    } else if (dim > 0) {
      start = std::clamp<std::int64_t>(start, 0, dim - 1);
      end = std::clamp<std::int64_t>(end, -1, dim - 1);
      // |step| without overflow: any magnitude past the extent takes one element.
      const auto magnitude =
        step == std::numeric_limits<std::int64_t>::min() ? dim : std::min(-step, dim);
      count = start > end ? (start - end - 1) / magnitude + 1 : 0;
    }
    v.extents[a] = count;
    if (count > 0)
      v.offset += start * in_strides[a];
    // With two elements or more the step is below the extent: the product stays in range.
    v.strides[a] = count > 1 ? in_strides[a] * step : 0;
  }
  strided_copy_params p;
  p.shapes.push_back(v.extents);
  p.views.push_back(std::move(v));
  return p;
}

result<strided_copy_params> split_params(const node_view& view) {
  const auto& in = view.inputs[0].shape;
  const auto rank = static_cast<std::int64_t>(in.size());
  const auto parts = view.node.outputs.size();
  if (parts == 0)
    return view.error("names no outputs");
  if (rank == 0)
    return view.error("input 0 is a scalar; Split needs an axis to split along");
  auto attrs = view.attributes();
  auto axis_attr = attrs.get_int("axis", 0);
  if (!axis_attr)
    return axis_attr.error();
  if (*axis_attr < -rank || *axis_attr >= rank)
    return attrs.error("axis", fmt::format("is {}, outside [{}, {}] for data {}", *axis_attr,
                                           -rank, rank - 1, to_string(in)));
  const auto a = static_cast<std::size_t>(*axis_attr < 0 ? *axis_attr + rank : *axis_attr);
  std::optional<std::vector<std::int64_t>> split;
  if (view.opset >= 13) {
    if (view.inputs.size() > 2)
      return view.error("takes at most two inputs, data and split");
    if (view.has(1)) {
      auto s = constant_ints(view, 1, "the split");
      if (!s)
        return s.error();
      split = std::move(*s);
    }
  } else {
    // Opset 1 took the split as an attribute or an optional input; opsets 2 to 12 as an
    // attribute only.
    if (view.inputs.size() > (view.opset < 2 ? 2u : 1u))
      return view.error("takes one input before opset 13 (the split is an attribute)");
    if (attrs.has("split")) {
      auto s = attrs.get_ints("split");
      if (!s)
        return s.error();
      split = std::move(*s);
    } else if (view.has(1)) {
      auto s = constant_ints(view, 1, "the split");
      if (!s)
        return s.error();
      split = std::move(*s);
    }
  }
  const auto dim = in[a];
  const auto n = static_cast<std::int64_t>(parts);
  if (!split) {
    if (dim % n != 0)
      return view.error(fmt::format("data {} has extent {} along axis {}, which does not "
                                    "split into {} equal parts (one per output)",
                                    to_string(in), dim, a, n));
    split = std::vector<std::int64_t>(parts, dim / n);
  }
  if (split->size() != parts)
    return view.error(fmt::format("split {} has {} parts; the node names {} outputs",
                                  to_string(*split), split->size(), parts));
  std::int64_t sum = 0;
  for (auto s : *split) {
    if (s < 0 || s > dim)
      return view.error(fmt::format("split {} holds {}; parts are 0 to {} long (the extent of "
                                    "axis {})",
                                    to_string(*split), s, dim, a));
    sum += s;
    if (sum > dim)
      break;
  }
  if (sum != dim)
    return view.error(fmt::format("split {} does not add up to {}, the extent of axis {} of "
                                  "data {}",
                                  to_string(*split), dim, a, to_string(in)));
  const auto strides = row_major_strides(in);
  strided_copy_params p;
  std::int64_t begin = 0;
  for (auto s : *split) {
    strided_view v = identity_view(in);
    v.extents[a] = s;
    v.offset = s > 0 ? begin * strides[a] : 0;
    begin += s;
    p.shapes.push_back(v.extents);
    p.views.push_back(std::move(v));
  }
  return p;
}

result<strided_copy_params> expand_params(const node_view& view) {
  if (view.inputs.size() != 2 || !view.has(1))
    return view.error("needs two inputs, data and shape");
  const auto& in = view.inputs[0].shape;
  auto shape = constant_ints(view, 1, "the shape");
  if (!shape)
    return shape.error();
  for (auto e : *shape)
    if (e < 0)
      return view.error(fmt::format("input 1 ('{}', the shape) is {}; extents are 0 or more",
                                    view.node.inputs[1], to_string(*shape)));
  auto out = broadcast_shape(in, shape_t(shape->begin(), shape->end()));
  if (!out)
    return view.error(fmt::format("cannot broadcast data {} and shape {} together",
                                  to_string(in), to_string(*shape)));
  strided_copy_params p;
  p.views.push_back({*out, broadcast_strides(in, *out), 0});
  p.shapes.push_back(std::move(*out));
  return p;
}

result<strided_copy_params> tile_params(const node_view& view) {
  const auto& in = view.inputs[0].shape;
  const auto rank = static_cast<std::int64_t>(in.size());
  std::vector<std::int64_t> repeats;
  if (view.opset < 6) {
    // Tile-1: inputs tiles (a count) and axis, both scalars.
    if (view.inputs.size() != 3 || !view.has(1) || !view.has(2))
      return view.error("needs three inputs before opset 6: input, tiles and axis");
    auto tiles = constant_ints(view, 1, "the tiles");
    if (!tiles)
      return tiles.error();
    auto axis = constant_ints(view, 2, "the axis");
    if (!axis)
      return axis.error();
    if (tiles->size() != 1 || axis->size() != 1)
      return view.error("inputs tiles and axis must hold one value each");
    auto a = normalized_axis(view, axis->front(), rank, "axis");
    if (!a)
      return a.error();
    repeats.assign(in.size(), 1);
    repeats[static_cast<std::size_t>(*a)] = tiles->front();
  } else {
    if (view.inputs.size() != 2 || !view.has(1))
      return view.error("needs two inputs, input and repeats");
    auto r = constant_ints(view, 1, "the repeats");
    if (!r)
      return r.error();
    repeats = std::move(*r);
  }
  if (static_cast<std::int64_t>(repeats.size()) != rank)
    return view.error(fmt::format("repeats {} must hold one count per dimension of input {}",
                                  to_string(repeats), to_string(in)));
  strided_copy_params p;
  strided_view v;
  shape_t out;
  const auto strides = row_major_strides(in);
  for (std::size_t d = 0; d < in.size(); ++d) {
    const auto r = repeats[d];
    if (r < 0)
      return view.error(fmt::format("repeats {} hold {}; counts are 0 or more",
                                    to_string(repeats), r));
    if (in[d] != 0 && r > onnx::max_value_elements / in[d])
      return view.error(fmt::format("repeats {} make more than the {} elements a value may have "
                                    "from input {}",
                                    to_string(repeats), onnx::max_value_elements, to_string(in)));
    // Output axis d, of extent r * in[d], read as [r, in[d]]: the repeat steps by nothing.
    v.extents.push_back(r);
    v.strides.push_back(0);
    v.extents.push_back(in[d]);
    v.strides.push_back(strides[d]);
    out.push_back(r * in[d]);
  }
  p.views.push_back(std::move(v));
  p.shapes.push_back(std::move(out));
  return p;
}

} // namespace

result<strided_copy_params> strided_copy_params_of(const node_view& view) {
  if (!has_data(view))
    return view.error("needs input 0, data");
  const auto& op = view.node.op_type;
  if (op == "Slice")
    return slice_params(view);
  if (op == "Split")
    return split_params(view);
  if (op == "Expand")
    return expand_params(view);
  if (op == "Tile")
    return tile_params(view);
  return view.error("is not a strided copy (Slice, Split, Expand or Tile)");
}

strided_view merged(const strided_view& v) {
  strided_view m;
  m.offset = v.offset;
  for (std::size_t d = 0; d < v.extents.size(); ++d) {
    const auto extent = v.extents[d];
    if (extent == 1)
      continue;
    // The outer neighbour steps over this whole dimension: one dimension of both extents.
    if (!m.extents.empty() && m.strides.back() == v.strides[d] * extent) {
      m.extents.back() *= extent;
      m.strides.back() = v.strides[d];
      continue;
    }
    m.extents.push_back(extent);
    m.strides.push_back(v.strides[d]);
  }
  if (m.extents.empty()) {
    m.extents = {1};
    m.strides = {0};
  }
  return m;
}

result<std::vector<value_type>> infer_strided_copy(const node_view& view) {
  auto p = strided_copy_params_of(view);
  if (!p)
    return p.error();
  std::vector<value_type> out;
  for (auto& s : p->shapes)
    out.push_back({view.inputs[0].type, s});
  return out;
}

result<cpu_kernel> bind_strided_copy_reference(const node_view& view,
                                               std::span<const value_type>) {
  auto params = strided_copy_params_of(view);
  if (!params)
    return params.error();
  const auto element = dtype_size(view.inputs[0].type);
  cpu_kernel k;
  k.run = [views = std::move(params->views), element](const cpu_buffers& io) {
    const auto* x = static_cast<const char*>(io.inputs[0]);
    for (std::size_t o = 0; o < views.size() && o < io.outputs.size(); ++o) {
      auto* y = static_cast<char*>(io.outputs[o]);
      if (!y)
        continue;
      const auto& v = views[o];
      const auto total = element_count(v.extents);
      for (std::int64_t i = 0; i < total; ++i) {
        std::int64_t rest = i, at = v.offset;
        for (std::size_t d = v.extents.size(); d-- > 0;) {
          at += rest % v.extents[d] * v.strides[d];
          rest /= v.extents[d];
        }
        std::memcpy(y + static_cast<std::size_t>(i) * element,
                    x + static_cast<std::size_t>(at) * element, element);
      }
    }
  };
  return k;
}

} // namespace hogar::nn
