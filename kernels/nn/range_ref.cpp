// range_ref.cpp: Range's shape rule (which reads its constant inputs) and its reference twin,
// which plans run to fold the node.
#include <cmath>
#include <type_traits>

#include <fmt/format.h>

#include "kernels/nn/range.hpp"
#include "kernels/ops/common.hpp"

namespace hogar::nn {

namespace {

constexpr const char* input_names[] = {"start", "limit", "delta"};

bool range_dtype(dtype t) {
  return t == dtype::float32 || t == dtype::float64 || t == dtype::int32 || t == dtype::int64;
}

/// The element count of start, limit, delta (of type T), or an error naming the node.
template <class T>
result<std::int64_t> element_count_of(const node_view& view, T start, T limit, T delta) {
  const auto limit_count = onnx::max_value_elements;
  if constexpr (std::is_floating_point_v<T>) {
    if (!std::isfinite(start) || !std::isfinite(limit) || !std::isfinite(delta) || delta == 0)
      return view.error(fmt::format("start {}, limit {} and delta {} must be finite, delta "
                                    "nonzero",
                                    start, limit, delta));
    // In the dtype, as ONNX's reference computes it.
    const T count = std::ceil((limit - start) / delta);
    if (!(count <= static_cast<T>(limit_count)))
      return view.error(fmt::format("start {}, limit {} and delta {} make more than the {} "
                                    "elements a value may have",
                                    start, limit, delta, limit_count));
    return count > 0 ? static_cast<std::int64_t>(count) : 0;
  } else {
    if (delta == 0)
      return view.error(fmt::format("delta is 0 (start {}, limit {})", start, limit));
    // Exact: 128 bits hold the difference of any two int64 values.
    const __int128 diff = static_cast<__int128>(limit) - start;
    const __int128 step = delta;
    __int128 count = 0;
    if (step > 0 && diff > 0)
      count = (diff + step - 1) / step;
    else if (step < 0 && diff < 0)
      count = (-diff - step - 1) / -step;
    if (count > limit_count)
      return view.error(fmt::format("start {}, limit {} and delta {} make more than the {} "
                                    "elements a value may have",
                                    start, limit, delta, limit_count));
    return static_cast<std::int64_t>(count);
  }
}

} // namespace

result<std::vector<value_type>> infer_range(const node_view& view) {
  if (view.inputs.size() != 3)
    return view.error("needs three inputs, start, limit and delta");
  for (std::size_t i = 0; i < 3; ++i) {
    if (!view.has(i))
      return view.error(fmt::format("input {} ({}) is missing", i, input_names[i]));
    const auto& v = view.inputs[i];
    if (v.type != view.inputs[0].type || !range_dtype(v.type) || element_count(v.shape) != 1)
      return view.error(fmt::format("input {} ('{}', the {}) is {}{}; start, limit and delta "
                                    "must be scalars of one dtype, float32, float64, int32 or "
                                    "int64",
                                    i, view.node.inputs[i], input_names[i], to_string(v.type),
                                    to_string(v.shape)));
    if (!view.constant(i))
      return view.error(fmt::format("input {} ('{}', the {}) must be a constant (an "
                                    "initializer, or computed from constants only): the length "
                                    "of Range's output depends on it, and hogar plans every "
                                    "shape before the first request",
                                    i, view.node.inputs[i], input_names[i]));
  }
  const auto type = view.inputs[0].type;
  auto count = ops::visit_dtype(type, [&](auto zero) -> result<std::int64_t> {
    using T = decltype(zero);
    return element_count_of<T>(view, ops::raw_values<T>(*view.constant(0))[0],
                               ops::raw_values<T>(*view.constant(1))[0],
                               ops::raw_values<T>(*view.constant(2))[0]);
  });
  if (!count)
    return count.error();
  return std::vector<value_type>{{type, shape_t{*count}}};
}

result<cpu_kernel> bind_range_reference(const node_view& view,
                                        std::span<const value_type> outputs) {
  const auto type = outputs[0].type;
  const auto count = element_count(outputs[0].shape);
  if (!range_dtype(type))
    return view.error(fmt::format("makes {}; Range runs float32, float64, int32 and int64",
                                  to_string(type)));
  cpu_kernel k;
  k.run = [type, count](const cpu_buffers& io) {
    ops::visit_dtype(type, [&](auto zero) {
      using T = decltype(zero);
      const T start = *static_cast<const T*>(io.inputs[0]);
      const T delta = *static_cast<const T*>(io.inputs[2]);
      T* y = static_cast<T*>(io.outputs[0]);
      for (std::int64_t i = 0; i < count; ++i) {
        if constexpr (std::is_floating_point_v<T>)
          y[i] = start + static_cast<T>(i) * delta;
        else
          y[i] = static_cast<T>(static_cast<__int128>(start) + static_cast<__int128>(i) * delta);
      }
    });
  };
  return k;
}

} // namespace hogar::nn
