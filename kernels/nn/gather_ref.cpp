// gather_ref.cpp: Gather's parameters and shape rule, and its reference twin (one element at
// a time).
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

#include "kernels/nn/gather.hpp"

namespace hogar::nn {

std::int64_t gathered_row(const gather_params& p, const void* indices, std::int64_t j) {
  const std::int64_t i = p.indices_int64 ? static_cast<const std::int64_t*>(indices)[j]
                                         : static_cast<const std::int32_t*>(indices)[j];
  const auto row = i < 0 ? i + p.extent : i;
  if (row < 0 || row >= p.extent)
    throw std::out_of_range(fmt::format("index {} (element {} of the indices) is outside [{}, "
                                        "{}) for the gathered axis",
                                        i, j, -p.extent, p.extent));
  return row;
}

namespace {

struct gather_shapes {
  gather_params params;
  shape_t out;
};

result<gather_shapes> gather_shapes_of(const node_view& view) {
  if (view.inputs.size() != 2 || !view.has(0) || !view.has(1))
    return view.error("needs two inputs, data and indices");
  const auto& data = view.inputs[0];
  const auto& indices = view.inputs[1];
  if (indices.type != dtype::int64 && indices.type != dtype::int32)
    return view.error(fmt::format("input indices is {}; it must be int32 or int64",
                                  to_string(indices.type)));
  const auto rank = static_cast<std::int64_t>(data.shape.size());
  if (rank == 0)
    return view.error("input data is a scalar; it needs an axis to gather along");
  auto attrs = view.attributes();
  auto axis = attrs.get_int("axis", 0);
  if (!axis)
    return axis.error();
  if (*axis < -rank || *axis >= rank)
    return attrs.error("axis", fmt::format("is {}, outside [{}, {}] for data {}", *axis, -rank,
                                           rank - 1, to_string(data.shape)));
  const auto a = static_cast<std::size_t>(*axis < 0 ? *axis + rank : *axis);
  gather_shapes g;
  auto& p = g.params;
  for (std::size_t d = 0; d < a; ++d)
    p.outer *= data.shape[d];
  p.extent = data.shape[a];
  for (std::size_t d = a + 1; d < data.shape.size(); ++d)
    p.inner *= data.shape[d];
  p.indices = element_count(indices.shape);
  p.indices_int64 = indices.type == dtype::int64;
  p.element_size = dtype_size(data.type);
  g.out.assign(data.shape.begin(), data.shape.begin() + static_cast<std::ptrdiff_t>(a));
  g.out.insert(g.out.end(), indices.shape.begin(), indices.shape.end());
  g.out.insert(g.out.end(), data.shape.begin() + static_cast<std::ptrdiff_t>(a) + 1,
               data.shape.end());
  return g;
}

} // namespace

result<gather_params> gather_params_of(const node_view& view) {
  auto g = gather_shapes_of(view);
  if (!g)
    return g.error();
  return g->params;
}

result<std::vector<value_type>> infer_gather(const node_view& view) {
  auto g = gather_shapes_of(view);
  if (!g)
    return g.error();
  return std::vector<value_type>{{view.inputs[0].type, g->out}};
}

result<cpu_kernel> bind_gather_reference(const node_view& view, std::span<const value_type>) {
  auto params = gather_params_of(view);
  if (!params)
    return params.error();
  const auto p = *params;
  cpu_kernel k;
  k.run = [p](const cpu_buffers& io) {
    const auto* data = static_cast<const char*>(io.inputs[0]);
    auto* out = static_cast<char*>(io.outputs[0]);
    const auto element = static_cast<std::int64_t>(p.element_size);
    for (std::int64_t o = 0; o < p.outer; ++o)
      for (std::int64_t j = 0; j < p.indices; ++j) {
        const auto index = gathered_row(p, io.inputs[1], j);
        for (std::int64_t i = 0; i < p.inner; ++i)
          std::memcpy(out + ((o * p.indices + j) * p.inner + i) * element,
                      data + ((o * p.extent + index) * p.inner + i) * element,
                      p.element_size);
      }
  };
  return k;
}

} // namespace hogar::nn
