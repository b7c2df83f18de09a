// dropout_ref.cpp: Dropout's rules at inference (dropout.hpp) and its reference kernel.
#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "kernels/nn/dropout.hpp"

namespace hogar::nn {

namespace {

bool is_floating(dtype type) noexcept { return type == dtype::float32 || type == dtype::float64; }

/// From opset 12 the ratio and the mode are inputs 1 and 2.
constexpr std::size_t ratio_input = 1;
constexpr std::size_t training_mode_input = 2;

} // namespace

result<std::vector<value_type>> infer_dropout(const node_view& view) {
  const std::size_t max_inputs = view.opset >= 12 ? 3 : 1;
  if (view.inputs.empty() || view.inputs.size() > max_inputs || !view.has(0))
    return view.error(max_inputs == 1 ? "needs exactly one input"
                                      : "needs input data and optionally ratio and training_mode");
  const auto type = view.inputs[0].type;
  if (!is_floating(type))
    return view.error(fmt::format("input data is {}; Dropout takes float32 or float64",
                                  to_string(type)));
  auto attrs = view.attributes();
  if (view.opset < 7) {
    // Before opset 7 the mode is an attribute, and training (is_test 0) is its default.
    auto is_test = attrs.get_int("is_test", 0);
    if (!is_test)
      return is_test.error();
    if (*is_test == 0)
      return attrs.error("is_test", "is 0 (training mode, random output); hogar runs Dropout "
                                    "at inference only");
  }
  if (view.has(ratio_input)) {
    const auto& ratio = view.inputs[ratio_input];
    if (!is_floating(ratio.type) || element_count(ratio.shape) != 1)
      return view.error(fmt::format("input 1 ('{}', the ratio) is {}{}; it must be one float "
                                    "value",
                                    view.node.inputs[ratio_input], to_string(ratio.type),
                                    to_string(ratio.shape)));
  }
  if (view.has(training_mode_input)) {
    const auto& name = view.node.inputs[training_mode_input];
    const auto& mode = view.inputs[training_mode_input];
    if (mode.type != dtype::boolean || element_count(mode.shape) != 1)
      return view.error(fmt::format("input 2 ('{}', training_mode) is {}{}; it must be one bool",
                                    name, to_string(mode.type), to_string(mode.shape)));
    // A mode given with each request could ask for training, which hogar does not run.
    const tensor* value = view.constant(training_mode_input);
    if (!value)
      return view.error(fmt::format("input 2 ('{}', training_mode) must be a constant false to "
                                    "be known before any request; hogar runs Dropout at "
                                    "inference only",
                                    name));
    if (value->value_as_double(0) != 0.0)
      return view.error(fmt::format("input 2 ('{}', training_mode) is true; hogar runs Dropout "
                                    "at inference only",
                                    name));
  }
  // The mask became bool in opset 10; before, it had the data's type.
  const auto mask_type = view.opset >= 10 ? dtype::boolean : type;
  return std::vector<value_type>{{type, view.inputs[0].shape},
                                 {mask_type, view.inputs[0].shape}};
}

result<cpu_kernel> bind_dropout_reference(const node_view& view,
                                          std::span<const value_type> outputs) {
  const auto n = element_count(outputs[0].shape);
  const auto bytes = static_cast<std::size_t>(n) * dtype_size(outputs[0].type);
  if (!view.has(0) || element_count(view.inputs[0].shape) != n)
    return view.error("copies its input, which must hold as many elements as its output");
  const auto mask_type = outputs.size() > 1 ? outputs[1].type : dtype::boolean;
  cpu_kernel k;
  k.run = [n, bytes, mask_type](const cpu_buffers& io) {
    if (io.outputs[0] && bytes > 0)
      std::memcpy(io.outputs[0], io.inputs[0], bytes);
    if (io.outputs.size() < 2 || !io.outputs[1])
      return;
    switch (mask_type) {
      case dtype::float32: std::fill_n(static_cast<float*>(io.outputs[1]), n, 1.0f); break;
      case dtype::float64: std::fill_n(static_cast<double*>(io.outputs[1]), n, 1.0); break;
      default: std::fill_n(static_cast<std::uint8_t*>(io.outputs[1]), n, std::uint8_t{1}); break;
    }
  };
  return k;
}

} // namespace hogar::nn
