// op_gpu.cpp: the dispatch of the GPU path (gpu.hpp): op type -> family binder, and the status
// checks every GPU file uses.
#include <array>
#include <limits>

#include <fmt/format.h>

#include "kernels/nn/gpu.hpp"

namespace hogar::nn {

namespace {

using binder = result<gpu_kernel> (*)(const node_view&, std::span<const value_type>,
                                      const gpu_context&);

struct gpu_entry {
  std::string_view op_type;
  binder bind;
};

constexpr std::array gpu_table = {
  gpu_entry{"Abs", bind_unary_gpu},
  gpu_entry{"Add", bind_binary_gpu},
  gpu_entry{"And", bind_compare_gpu},
  gpu_entry{"ArgMax", bind_arg_reduce_gpu},
  gpu_entry{"ArgMin", bind_arg_reduce_gpu},
  gpu_entry{"AveragePool", bind_pool_gpu},
  gpu_entry{"BatchNormalization", bind_batch_norm_gpu},
  gpu_entry{"Cast", bind_cast_gpu},
  gpu_entry{"CastLike", bind_cast_gpu},
  gpu_entry{"Ceil", bind_unary_gpu},
  gpu_entry{"Celu", bind_unary_gpu},
  gpu_entry{"Clip", bind_activation_gpu},
  gpu_entry{"Concat", bind_concat_gpu},
  gpu_entry{"Conv", bind_conv_gpu},
  gpu_entry{"ConvTranspose", bind_conv_transpose_gpu},
  gpu_entry{"Cos", bind_unary_gpu},
  gpu_entry{"DepthToSpace", bind_transpose_gpu},
  gpu_entry{"Div", bind_binary_gpu},
  gpu_entry{"Dropout", bind_dropout_gpu},
  gpu_entry{"Elu", bind_unary_gpu},
  gpu_entry{"Equal", bind_compare_gpu},
  gpu_entry{"Erf", bind_unary_gpu},
  gpu_entry{"Exp", bind_unary_gpu},
  gpu_entry{"Expand", bind_strided_copy_gpu},
  gpu_entry{"Flatten", bind_copy_gpu},
  gpu_entry{"Floor", bind_unary_gpu},
  gpu_entry{"Gather", bind_gather_gpu},
  gpu_entry{"Gelu", bind_gelu_gpu},
  gpu_entry{"Gemm", bind_gemm_gpu},
  gpu_entry{"GlobalAveragePool", bind_pool_gpu},
  gpu_entry{"GlobalMaxPool", bind_pool_gpu},
  gpu_entry{"Greater", bind_compare_gpu},
  gpu_entry{"GreaterOrEqual", bind_compare_gpu},
  gpu_entry{"HardSigmoid", bind_unary_gpu},
  gpu_entry{"HardSwish", bind_unary_gpu},
  gpu_entry{"Identity", bind_copy_gpu},
  gpu_entry{"InstanceNormalization", bind_instance_norm_gpu},
  gpu_entry{"LRN", bind_lrn_gpu},
  gpu_entry{"LayerNormalization", bind_layer_norm_gpu},
  gpu_entry{"LeakyRelu", bind_activation_gpu},
  gpu_entry{"Less", bind_compare_gpu},
  gpu_entry{"LessOrEqual", bind_compare_gpu},
  gpu_entry{"Log", bind_unary_gpu},
  gpu_entry{"LogSoftmax", bind_softmax_gpu},
  gpu_entry{"MatMul", bind_matmul_gpu},
  gpu_entry{"Max", bind_nary_gpu},
  gpu_entry{"MaxPool", bind_pool_gpu},
  gpu_entry{"Mean", bind_nary_gpu},
  gpu_entry{"Min", bind_nary_gpu},
  gpu_entry{"Mish", bind_unary_gpu},
  gpu_entry{"Mul", bind_binary_gpu},
  gpu_entry{"Neg", bind_unary_gpu},
  gpu_entry{"NonMaxSuppression", bind_nms_gpu},
  gpu_entry{"Not", bind_compare_gpu},
  gpu_entry{"Or", bind_compare_gpu},
  gpu_entry{"Pow", bind_pow_gpu},
  gpu_entry{"PRelu", bind_prelu_gpu},
  gpu_entry{"Pad", bind_pad_gpu},
  gpu_entry{"Reciprocal", bind_unary_gpu},
  gpu_entry{"ReduceL1", bind_reduce_gpu},
  gpu_entry{"ReduceL2", bind_reduce_gpu},
  gpu_entry{"ReduceLogSum", bind_reduce_gpu},
  gpu_entry{"ReduceLogSumExp", bind_reduce_gpu},
  gpu_entry{"ReduceMax", bind_reduce_gpu},
  gpu_entry{"ReduceMean", bind_reduce_gpu},
  gpu_entry{"ReduceMin", bind_reduce_gpu},
  gpu_entry{"ReduceProd", bind_reduce_gpu},
  gpu_entry{"ReduceSum", bind_reduce_gpu},
  gpu_entry{"ReduceSumSquare", bind_reduce_gpu},
  gpu_entry{"Relu", bind_activation_gpu},
  gpu_entry{"Reshape", bind_copy_gpu},
  gpu_entry{"Squeeze", bind_copy_gpu},
  gpu_entry{"Unsqueeze", bind_copy_gpu},
  gpu_entry{"Resize", bind_resize_gpu},
  gpu_entry{"Round", bind_unary_gpu},
  gpu_entry{"Selu", bind_unary_gpu},
  gpu_entry{"Sigmoid", bind_activation_gpu},
  gpu_entry{"Sign", bind_unary_gpu},
  gpu_entry{"Sin", bind_unary_gpu},
  gpu_entry{"Slice", bind_strided_copy_gpu},
  gpu_entry{"Softmax", bind_softmax_gpu},
  gpu_entry{"SpaceToDepth", bind_transpose_gpu},
  gpu_entry{"Softplus", bind_unary_gpu},
  gpu_entry{"Softsign", bind_unary_gpu},
  gpu_entry{"Split", bind_strided_copy_gpu},
  gpu_entry{"Sqrt", bind_unary_gpu},
  gpu_entry{"Sub", bind_binary_gpu},
  gpu_entry{"Sum", bind_nary_gpu},
  gpu_entry{"Tanh", bind_activation_gpu},
  gpu_entry{"ThresholdedRelu", bind_unary_gpu},
  gpu_entry{"Tile", bind_strided_copy_gpu},
  gpu_entry{"TopK", bind_top_k_gpu},
  gpu_entry{"Transpose", bind_transpose_gpu},
  gpu_entry{"Where", bind_where_gpu},
  gpu_entry{"Xor", bind_compare_gpu},
  gpu_entry{"Upsample", bind_resize_gpu},
};

const gpu_entry* find_entry(std::string_view op_type) noexcept {
  for (auto& e : gpu_table)
    if (e.op_type == op_type)
      return &e;
  return nullptr;
}

} // namespace

std::string describe(cudaError_t status) {
  return fmt::format("{} ({})", cudaGetErrorName(status), cudaGetErrorString(status));
}

std::string describe(cudnnStatus_t status) {
  std::string out = cudnnGetErrorString(status);
  // cuDNN 9 keeps a readable account of its last failure per thread (and then clears it).
  std::array<char, 512> detail{};
  cudnnGetLastErrorString(detail.data(), detail.size());
  detail.back() = '\0';
  if (detail[0] != '\0')
    out += fmt::format(" ({})", detail.data());
  return out;
}

std::string describe(cublasStatus_t status) {
  return fmt::format("{} ({})", cublasGetStatusName(status), cublasGetStatusString(status));
}

void check(cudaError_t status, std::string_view call) {
  if (status != cudaSuccess)
    throw gpu_error(fmt::format("{}: {}", call, describe(status)));
}

void check(cudnnStatus_t status, std::string_view call) {
  if (status != CUDNN_STATUS_SUCCESS)
    throw gpu_error(fmt::format("{}: {}", call, describe(status)));
}

void check(cublasStatus_t status, std::string_view call) {
  if (status != CUBLAS_STATUS_SUCCESS)
    throw gpu_error(fmt::format("{}: {}", call, describe(status)));
}

bool has_gpu_kernel(std::string_view op_type) noexcept {
  return find_entry(op_type) != nullptr;
}

result<gpu_kernel> bind_gpu(const node_view& view, std::span<const value_type> outputs,
                            const gpu_context& ctx) {
  auto* entry = find_entry(view.node.op_type);
  if (!entry)
    return view.error("has no GPU kernel");
  try {
    return entry->bind(view, outputs, ctx);
  } catch (const std::exception& e) {
    return view.error(fmt::format("cannot be bound on the GPU: {}", e.what()));
  }
}

cuda::activation_params to_cuda(const epilogue& e) noexcept {
  cuda::activation_params a;
  switch (e.kind) {
    case activation::none: a.kind = cuda::activation_none; break;
    case activation::relu: a.kind = cuda::activation_relu; break;
    case activation::leaky_relu: a.kind = cuda::activation_leaky_relu; break;
    case activation::clip: a.kind = cuda::activation_clip; break;
    case activation::sigmoid: a.kind = cuda::activation_sigmoid; break;
    case activation::tanh: a.kind = cuda::activation_tanh; break;
    case activation::silu: a.kind = cuda::activation_silu; break;
    case activation::gelu: a.kind = cuda::activation_gelu; break;
  }
  a.alpha = e.alpha;
  a.min = e.min;
  a.max = e.max;
  return a;
}

cuda::dims to_dims(std::span<const std::int64_t> values, std::string_view what) {
  if (values.size() > static_cast<std::size_t>(cuda::max_rank))
    throw gpu_error(fmt::format("{} has {} dimensions; the GPU kernels take at most {}", what,
                                values.size(), cuda::max_rank));
  cuda::dims d;
  d.rank = static_cast<int>(values.size());
  for (std::size_t i = 0; i < values.size(); ++i)
    d.v[i] = values[i];
  return d;
}

launch_broadcast to_launch_broadcast(const merged_dims& m) {
  return {to_dims(m.out, "the broadcast output"), to_dims(m.a, "an operand's strides"),
          to_dims(m.b, "an operand's strides")};
}

bool fits_int(std::int64_t v) noexcept {
  return v >= 0 && v <= std::numeric_limits<int>::max();
}

} // namespace hogar::nn
