// where_ref.cpp: Where's type and shape rules, the merging of its three broadcasts, and its
// reference twin.
#include <fmt/format.h>

#include "kernels/nn/broadcast.hpp"
#include "kernels/nn/where.hpp"
#include "kernels/ops/common.hpp"

namespace hogar::nn {

result<std::vector<value_type>> infer_where(const node_view& view) {
  if (view.inputs.size() != 3 || !view.has(0) || !view.has(1) || !view.has(2))
    return view.error("needs three inputs, condition, X and Y");
  const auto& condition = view.inputs[0];
  const auto& x = view.inputs[1];
  const auto& y = view.inputs[2];
  if (condition.type != dtype::boolean)
    return view.error(fmt::format("input condition is {}; Where takes a bool condition",
                                  to_string(condition.type)));
  if (x.type != y.type)
    return view.error(fmt::format("X is {} but Y is {}; both must have one type",
                                  to_string(x.type), to_string(y.type)));
  auto xy = broadcast_shape(x.shape, y.shape);
  if (!xy)
    return view.error(fmt::format("inputs X {} and Y {} do not broadcast", to_string(x.shape),
                                  to_string(y.shape)));
  auto out = broadcast_shape(condition.shape, *xy);
  if (!out)
    return view.error(fmt::format("input condition {} does not broadcast with {}, the shape of "
                                  "X and Y",
                                  to_string(condition.shape), to_string(*xy)));
  return std::vector<value_type>{{x.type, std::move(*out)}};
}

where_dims where_dims_of(const node_view& view, const shape_t& out) {
  const auto sc = broadcast_strides(view.inputs[0].shape, out);
  const auto sx = broadcast_strides(view.inputs[1].shape, out);
  const auto sy = broadcast_strides(view.inputs[2].shape, out);
  where_dims m;
  for (std::size_t d = 0; d < out.size(); ++d) {
    if (out[d] == 1)
      continue;
    if (!m.out.empty()) {
      const auto last = m.out.size() - 1;
      // Mergeable: the outer stride is the inner stride times the inner extent, for all three.
      if (m.condition[last] == sc[d] * out[d] && m.x[last] == sx[d] * out[d] &&
          m.y[last] == sy[d] * out[d]) {
        m.out[last] *= out[d];
        m.condition[last] = sc[d];
        m.x[last] = sx[d];
        m.y[last] = sy[d];
        continue;
      }
    }
    m.out.push_back(out[d]);
    m.condition.push_back(sc[d]);
    m.x.push_back(sx[d]);
    m.y.push_back(sy[d]);
  }
  if (m.out.empty()) {
    m.out = {1};
    m.condition = {0};
    m.x = {0};
    m.y = {0};
  }
  return m;
}

result<cpu_kernel> bind_where_reference(const node_view& view,
                                        std::span<const value_type> outputs) {
  const auto out = outputs[0].shape;
  const auto sc = broadcast_strides(view.inputs[0].shape, out);
  const auto sx = broadcast_strides(view.inputs[1].shape, out);
  const auto sy = broadcast_strides(view.inputs[2].shape, out);
  const auto type = outputs[0].type;
  cpu_kernel k;
  k.run = [=](const cpu_buffers& io) {
    ops::visit_dtype(type, [&](auto zero) {
      using T = decltype(zero);
      const auto* c = static_cast<const std::uint8_t*>(io.inputs[0]);
      const auto* x = static_cast<const T*>(io.inputs[1]);
      const auto* y = static_cast<const T*>(io.inputs[2]);
      auto* z = static_cast<T*>(io.outputs[0]);
      const auto n = element_count(out);
      for (std::int64_t i = 0; i < n; ++i) {
        // Element i's offsets in each input: its index decomposed over the output's extents.
        std::int64_t rest = i, ic = 0, ix = 0, iy = 0;
        for (std::size_t d = out.size(); d-- > 0;) {
          const auto index = rest % out[d];
          rest /= out[d];
          ic += index * sc[d];
          ix += index * sx[d];
          iy += index * sy[d];
        }
        z[i] = c[ic] != 0 ? x[ix] : y[iy];
      }
    });
  };
  return k;
}

} // namespace hogar::nn
