// op_registry.cpp: the table of supported ONNX operators (op.hpp), and what can run where.
#include <algorithm>
#include <vector>

#include <fmt/format.h>

#include "kernels/nn/activation.hpp"
#include "kernels/nn/batch_norm.hpp"
#include "kernels/nn/binary.hpp"
#include "kernels/nn/cast.hpp"
#include "kernels/nn/compare.hpp"
#include "kernels/nn/conv.hpp"
#include "kernels/nn/conv_transpose.hpp"
#include "kernels/nn/dropout.hpp"
#include "kernels/nn/gather.hpp"
#include "kernels/nn/gelu.hpp"
#include "kernels/nn/gemm.hpp"
#include "kernels/nn/instance_norm.hpp"
#include "kernels/nn/layer_norm.hpp"
#include "kernels/nn/lrn.hpp"
#include "kernels/nn/nary.hpp"
#include "kernels/nn/nms.hpp"
#include "kernels/nn/op.hpp"
#include "kernels/nn/pad.hpp"
#include "kernels/nn/pool.hpp"
#include "kernels/nn/pow.hpp"
#include "kernels/nn/prelu.hpp"
#include "kernels/nn/range.hpp"
#include "kernels/nn/reduce.hpp"
#include "kernels/nn/resize.hpp"
#include "kernels/nn/shape_ops.hpp"
#include "kernels/nn/shape_query.hpp"
#include "kernels/nn/softmax.hpp"
#include "kernels/nn/strided_copy.hpp"
#include "kernels/nn/top_k.hpp"
#include "kernels/nn/unary.hpp"
#include "kernels/nn/where.hpp"

namespace hogar::nn {

namespace {

/// Sorted by op type (all_ops() promises it; find_op relies on it).
std::vector<op_definition> make_table() {
  constexpr auto f32 = gpu_support::float32;
  constexpr auto any = gpu_support::any_dtype;
  constexpr auto arithmetic = gpu_support::arithmetic;
  constexpr auto numeric_and_bool = gpu_support::numeric_and_bool;
  // Views: output 0 is input 0's storage (plans run no kernel; the copy serves folding).
  constexpr int view_of_input0 = 0;
  std::vector<op_definition> ops = {
    // Element-wise arithmetic with broadcasting.
    {"Add", infer_binary, bind_binary_reference, bind_binary_cpu, arithmetic},
    {"Div", infer_binary, bind_binary_reference, bind_binary_cpu, gpu_support::floating},
    {"Mul", infer_binary, bind_binary_reference, bind_binary_cpu, arithmetic},
    {"Sub", infer_binary, bind_binary_reference, bind_binary_cpu, arithmetic},
    {"Pow", infer_pow, bind_pow_reference, bind_pow_cpu, gpu_support::floating},
    // Comparisons and logic, bool out (broadcasting as Add), and Where's three-way select.
    {"Equal", infer_compare, bind_compare_reference, bind_compare_cpu, numeric_and_bool},
    {"Greater", infer_compare, bind_compare_reference, bind_compare_cpu, numeric_and_bool},
    {"GreaterOrEqual", infer_compare, bind_compare_reference, bind_compare_cpu,
     numeric_and_bool},
    {"Less", infer_compare, bind_compare_reference, bind_compare_cpu, numeric_and_bool},
    {"LessOrEqual", infer_compare, bind_compare_reference, bind_compare_cpu, numeric_and_bool},
    {"And", infer_compare, bind_compare_reference, bind_compare_cpu, numeric_and_bool},
    {"Not", infer_compare, bind_compare_reference, bind_compare_cpu, numeric_and_bool},
    {"Or", infer_compare, bind_compare_reference, bind_compare_cpu, numeric_and_bool},
    {"Xor", infer_compare, bind_compare_reference, bind_compare_cpu, numeric_and_bool},
    {"Where", infer_where, bind_where_reference, bind_where_cpu, numeric_and_bool},
    // Conversions between every pair of dtypes.
    {"Cast", infer_cast, bind_cast_reference, bind_cast_cpu, numeric_and_bool},
    {"CastLike", infer_cast, bind_cast_reference, bind_cast_cpu, numeric_and_bool},
    // Any number of inputs, broadcast together.
    {"Max", infer_nary, bind_nary_reference, bind_nary_cpu, arithmetic},
    {"Mean", infer_nary, bind_nary_reference, bind_nary_cpu, gpu_support::floating},
    {"Min", infer_nary, bind_nary_reference, bind_nary_cpu, arithmetic},
    {"Sum", infer_nary, bind_nary_reference, bind_nary_cpu, gpu_support::floating},
    // Activations.
    {"Clip", infer_activation, bind_activation_reference, bind_activation_cpu, f32},
    {"LeakyRelu", infer_activation, bind_activation_reference, bind_activation_cpu, f32},
    {"Relu", infer_activation, bind_activation_reference, bind_activation_cpu, f32},
    {"Sigmoid", infer_activation, bind_activation_reference, bind_activation_cpu, f32},
    {"Tanh", infer_activation, bind_activation_reference, bind_activation_cpu, f32},
    {"PRelu", infer_prelu, bind_prelu_reference, bind_prelu_cpu, f32},
    // Gelu of the default domain (opset 20) or of com.microsoft, at any opset.
    {"Gelu", infer_gelu, bind_gelu_reference, bind_gelu_cpu, f32},
    // Element-wise unary math (integer Neg, Abs and Sign on the CPU paths only).
    {"Abs", infer_unary, bind_unary_reference, bind_unary_cpu, f32},
    {"Ceil", infer_unary, bind_unary_reference, bind_unary_cpu, f32},
    {"Celu", infer_unary, bind_unary_reference, bind_unary_cpu, f32},
    {"Cos", infer_unary, bind_unary_reference, bind_unary_cpu, f32},
    {"Elu", infer_unary, bind_unary_reference, bind_unary_cpu, f32},
    {"Erf", infer_unary, bind_unary_reference, bind_unary_cpu, f32},
    {"Exp", infer_unary, bind_unary_reference, bind_unary_cpu, f32},
    {"Floor", infer_unary, bind_unary_reference, bind_unary_cpu, f32},
    {"HardSigmoid", infer_unary, bind_unary_reference, bind_unary_cpu, f32},
    {"HardSwish", infer_unary, bind_unary_reference, bind_unary_cpu, f32},
    {"Log", infer_unary, bind_unary_reference, bind_unary_cpu, f32},
    {"Mish", infer_unary, bind_unary_reference, bind_unary_cpu, f32},
    {"Neg", infer_unary, bind_unary_reference, bind_unary_cpu, f32},
    {"Reciprocal", infer_unary, bind_unary_reference, bind_unary_cpu, f32},
    {"Round", infer_unary, bind_unary_reference, bind_unary_cpu, f32},
    {"Selu", infer_unary, bind_unary_reference, bind_unary_cpu, f32},
    {"Sign", infer_unary, bind_unary_reference, bind_unary_cpu, f32},
    {"Sin", infer_unary, bind_unary_reference, bind_unary_cpu, f32},
    {"Softplus", infer_unary, bind_unary_reference, bind_unary_cpu, f32},
    {"Softsign", infer_unary, bind_unary_reference, bind_unary_cpu, f32},
    {"Sqrt", infer_unary, bind_unary_reference, bind_unary_cpu, f32},
    {"ThresholdedRelu", infer_unary, bind_unary_reference, bind_unary_cpu, f32},
    // Convolution, pooling, normalization.
    {"Conv", infer_conv, bind_conv_reference, bind_conv_cpu, f32},
    {"ConvTranspose", infer_conv_transpose, bind_conv_transpose_reference,
     bind_conv_transpose_cpu, f32},
    {"MaxPool", infer_pool, bind_pool_reference, bind_pool_cpu, f32},
    {"AveragePool", infer_pool, bind_pool_reference, bind_pool_cpu, f32},
    {"GlobalAveragePool", infer_pool, bind_pool_reference, bind_pool_cpu, f32},
    {"GlobalMaxPool", infer_pool, bind_pool_reference, bind_pool_cpu, f32},
    // Resampling.
    {"Resize", infer_resize, bind_resize_reference, bind_resize_cpu, f32},
    {"Upsample", infer_resize, bind_resize_reference, bind_resize_cpu, f32},
    {"LRN", infer_lrn, bind_lrn_reference, bind_lrn_cpu, f32},
    {"InstanceNormalization", infer_instance_norm, bind_instance_norm_reference,
     bind_instance_norm_cpu, f32},
    {"BatchNormalization", infer_batch_norm, bind_batch_norm_reference, bind_batch_norm_cpu,
     f32},
    {"LayerNormalization", infer_layer_norm, bind_layer_norm_reference, bind_layer_norm_cpu,
     f32},
    // Matrix products.
    {"Gemm", infer_gemm, bind_gemm_reference, bind_gemm_cpu, f32},
    {"MatMul", infer_matmul, bind_matmul_reference, bind_matmul_cpu, f32},
    {"Softmax", infer_softmax, bind_softmax_reference, bind_softmax_cpu, f32},
    {"LogSoftmax", infer_softmax, bind_softmax_reference, bind_softmax_cpu, f32},
    // Reductions (integer Sum, Prod, Max and Min on the CPU paths only), ArgMax and ArgMin.
    {"ReduceL1", infer_reduce, bind_reduce_reference, bind_reduce_cpu, f32},
    {"ReduceL2", infer_reduce, bind_reduce_reference, bind_reduce_cpu, f32},
    {"ReduceLogSum", infer_reduce, bind_reduce_reference, bind_reduce_cpu, f32},
    {"ReduceLogSumExp", infer_reduce, bind_reduce_reference, bind_reduce_cpu, f32},
    {"ReduceMax", infer_reduce, bind_reduce_reference, bind_reduce_cpu, f32},
    {"ReduceMean", infer_reduce, bind_reduce_reference, bind_reduce_cpu, f32},
    {"ReduceMin", infer_reduce, bind_reduce_reference, bind_reduce_cpu, f32},
    {"ReduceProd", infer_reduce, bind_reduce_reference, bind_reduce_cpu, f32},
    {"ReduceSum", infer_reduce, bind_reduce_reference, bind_reduce_cpu, f32},
    {"ReduceSumSquare", infer_reduce, bind_reduce_reference, bind_reduce_cpu, f32},
    {"ArgMax", infer_arg_reduce, bind_arg_reduce_reference, bind_arg_reduce_cpu, f32},
    {"ArgMin", infer_arg_reduce, bind_arg_reduce_reference, bind_arg_reduce_cpu, f32},
    // TopK: every numeric dtype on the CPU paths, float32 on the GPU.
    {"TopK", infer_top_k, bind_top_k_reference, bind_top_k_cpu, f32},
    // NonMaxSuppression: float32 boxes and scores; as many rows out as it keeps.
    {"NonMaxSuppression", infer_nms, bind_nms_reference, bind_nms_cpu, f32, -1, false, true},
    // Data movement, every dtype.
    {"Reshape", infer_reshape, bind_copy_reference, nullptr, any, view_of_input0},
    {"Flatten", infer_flatten, bind_copy_reference, nullptr, any, view_of_input0},
    {"Identity", infer_identity, bind_copy_reference, nullptr, any, view_of_input0},
    // A view too, unless the node names its mask (the reference then copies and fills it:
    // one memcpy and one fill, nothing a fast kernel could do better).
    {"Dropout", infer_dropout, bind_dropout_reference, nullptr, gpu_support::floating,
     view_of_input0},
    {"Transpose", infer_transpose, bind_transpose_reference, bind_transpose_cpu, any},
    {"Unsqueeze", infer_unsqueeze, bind_copy_reference, nullptr, any, view_of_input0},
    {"Squeeze", infer_squeeze, bind_copy_reference, nullptr, any, view_of_input0},
    // Every data dtype on the GPU too (its gpu_support is judged on the data, input 0; the
    // indices, int32 or int64, go with any).
    {"Gather", infer_gather, bind_gather_reference, bind_gather_cpu, any},
    // Shape computations: folded by plans (shape_query.hpp), never run per request.
    {"Shape", infer_shape, bind_shape_reference, nullptr, any, -1, true},
    {"Size", infer_size, bind_size_reference, nullptr, any, -1, true},
    {"ConstantOfShape", infer_constant_of_shape, bind_constant_of_shape_reference, nullptr, any},
    {"DepthToSpace", infer_depth_space, bind_transpose_reference, bind_transpose_cpu, any},
    {"SpaceToDepth", infer_depth_space, bind_transpose_reference, bind_transpose_cpu, any},
    {"Concat", infer_concat, bind_concat_reference, nullptr, any},
    {"Constant", infer_constant, bind_constant_reference, nullptr, any},
    // Strided copies of input 0 (strided_copy.hpp), and Pad: shape arguments constant.
    {"Slice", infer_strided_copy, bind_strided_copy_reference, bind_strided_copy_cpu, any},
    {"Split", infer_strided_copy, bind_strided_copy_reference, bind_strided_copy_cpu, any},
    {"Expand", infer_strided_copy, bind_strided_copy_reference, bind_strided_copy_cpu, any},
    {"Tile", infer_strided_copy, bind_strided_copy_reference, bind_strided_copy_cpu, any},
    {"Pad", infer_pad, bind_pad_reference, bind_pad_cpu, any},
    // Every input constant: folded by plans, never run per request.
    {"Range", infer_range, bind_range_reference, nullptr, any},
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

std::int64_t filled_rows(const std::int64_t* data, std::int64_t rows,
                         std::int64_t columns) noexcept {
  // Filled rows begin with a batch index (>= 0) and come first: a partition point.
  std::int64_t low = 0, high = rows;
  while (low < high) {
    const auto mid = low + (high - low) / 2;
    if (data[mid * columns] >= 0)
      low = mid + 1;
    else
      high = mid;
  }
  return low;
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
    case gpu_support::numeric_and_bool: return "float32, float64, int8, uint8, int32, int64, bool";
  }
  return "-";
}

} // namespace hogar::nn
