// op_registry.cpp: the table of supported ONNX operators (op.hpp), and what can run where.
#include <algorithm>
#include <vector>

#include <fmt/format.h>

#include "kernels/nn/activation.hpp"
#include "kernels/nn/batch_norm.hpp"
#include "kernels/nn/binary.hpp"
#include "kernels/nn/conv.hpp"
#include "kernels/nn/gemm.hpp"
#include "kernels/nn/op.hpp"
#include "kernels/nn/pool.hpp"
#include "kernels/nn/shape_ops.hpp"
#include "kernels/nn/softmax.hpp"

namespace hogar::nn {

namespace {

/// Sorted by op type (all_ops() promises it; find_op relies on it).
std::vector<op_definition> make_table() {
  constexpr auto f32 = gpu_support::float32;
  constexpr auto any = gpu_support::any_dtype;
  constexpr auto arithmetic = gpu_support::arithmetic;
  // Views: output 0 is input 0's storage (plans run no kernel; the copy serves folding).
  constexpr int view_of_input0 = 0;
  std::vector<op_definition> ops = {
    // Element-wise arithmetic with broadcasting.
    {"Add", infer_binary, bind_binary_reference, bind_binary_cpu, arithmetic},
    {"Div", infer_binary, bind_binary_reference, bind_binary_cpu, gpu_support::floating},
    {"Mul", infer_binary, bind_binary_reference, bind_binary_cpu, arithmetic},
    {"Sub", infer_binary, bind_binary_reference, bind_binary_cpu, arithmetic},
    // Activations.
    {"Clip", infer_activation, bind_activation_reference, bind_activation_cpu, f32},
    {"LeakyRelu", infer_activation, bind_activation_reference, bind_activation_cpu, f32},
    {"Relu", infer_activation, bind_activation_reference, bind_activation_cpu, f32},
    {"Sigmoid", infer_activation, bind_activation_reference, bind_activation_cpu, f32},
    {"Tanh", infer_activation, bind_activation_reference, bind_activation_cpu, f32},
    // Convolution, pooling, normalization.
    {"Conv", infer_conv, bind_conv_reference, bind_conv_cpu, f32},
    {"MaxPool", infer_pool, bind_pool_reference, bind_pool_cpu, f32},
    {"AveragePool", infer_pool, bind_pool_reference, bind_pool_cpu, f32},
    {"GlobalAveragePool", infer_pool, bind_pool_reference, bind_pool_cpu, f32},
    {"BatchNormalization", infer_batch_norm, bind_batch_norm_reference, bind_batch_norm_cpu,
     f32},
    // Matrix products.
    {"Gemm", infer_gemm, bind_gemm_reference, bind_gemm_cpu, f32},
    {"MatMul", infer_matmul, bind_matmul_reference, bind_matmul_cpu, f32},
    {"Softmax", infer_softmax, bind_softmax_reference, bind_softmax_cpu, f32},
    {"LogSoftmax", infer_softmax, bind_softmax_reference, bind_softmax_cpu, f32},
    // Data movement, every dtype.
    {"Reshape", infer_reshape, bind_copy_reference, nullptr, any, view_of_input0},
    {"Flatten", infer_flatten, bind_copy_reference, nullptr, any, view_of_input0},
    {"Identity", infer_identity, bind_copy_reference, nullptr, any, view_of_input0},
    {"Transpose", infer_transpose, bind_transpose_reference, bind_transpose_cpu, any},
    {"Concat", infer_concat, bind_concat_reference, nullptr, any},
    {"Constant", infer_constant, bind_constant_reference, nullptr, any},
  };
  std::sort(ops.begin(), ops.end(),
            [](auto& a, auto& b) { return a.op_type < b.op_type; });
  return ops;
}

const std::vector<op_definition>& table() {
  static const std::vector<op_definition> ops = make_table();
  return ops;
}

} // namespace

std::string_view to_string(device d) noexcept {
  switch (d) {
    case device::reference: return "reference";
    case device::cpu: return "cpu";
    case device::gpu: return "gpu";
  }
  return "?";
}

std::optional<device> device_from_string(std::string_view name) noexcept {
  for (auto d : {device::reference, device::cpu, device::gpu})
    if (name == to_string(d))
      return d;
  return std::nullopt;
}

error_info node_view::error(std::string_view message) const {
  return fail(errc::invalid_argument, fmt::format("{}: {}", node.describe(), message));
}

const op_definition* find_op(std::string_view op_type) noexcept {
  auto& ops = table();
  auto it = std::lower_bound(ops.begin(), ops.end(), op_type,
                             [](const op_definition& d, std::string_view t) { return d.op_type < t; });
  return it != ops.end() && it->op_type == op_type ? &*it : nullptr;
}

std::span<const op_definition> all_ops() noexcept {
  return table();
}

std::string supported_op_list() {
  std::vector<std::string_view> names;
  for (auto& op : table())
    names.push_back(op.op_type);
  return fmt::format("{}", fmt::join(names, ", "));
}

support supports(std::string_view op_type, device d, dtype type) {
  auto* op = find_op(op_type);
  if (!op)
    return {false, fmt::format("{} is not an operator hogar runs", op_type)};
  switch (d) {
    case device::reference:
    case device::cpu:
      // The reference twin runs every dtype the op's inference accepts; the fast path falls
      // back to it per node.
      return {};
    case device::gpu:
      if (op->gpu == gpu_support::none)
        return {false, fmt::format("{} has no GPU kernel", op_type)};
      if (!gpu_runs(op->gpu, type))
        return {false, fmt::format("{} runs {} on the GPU, not {}", op_type, to_string(op->gpu),
                                   to_string(type))};
      return {};
  }
  return {false, "unknown device"};
}

std::string_view to_string(gpu_support s) noexcept {
  switch (s) {
    case gpu_support::none: return "-";
    case gpu_support::float32: return "float32";
    case gpu_support::floating: return "float32, float64";
    case gpu_support::arithmetic: return "float32, float64, int32, int64";
    case gpu_support::any_dtype: return "every dtype";
  }
  return "-";
}

} // namespace hogar::nn
