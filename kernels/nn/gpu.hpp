// gpu.hpp: the contract of the GPU path, the twin of op.hpp's cpu_kernel for nodes that run
// on a CUDA device.
//
// The GPU executor (kernels/onnx/gpu_executor.cpp) owns one gpu_context per instance: a CUDA
// stream and the cuDNN and cuBLAS handles bound to it. Per input shape it binds every node once
// with bind_gpu(): cuDNN descriptors are made, convolution algorithms picked and workspaces
// sized there, weights stay where the executor uploaded them; a call then only enqueues work.
// Kernels never allocate, never synchronise and never throw anything but gpu_error, which
// carries the failing call and its status string; the executor adds the node's name.
//
// What a kernel finds wrong in its inputs on the device (Gather's index outside its axis)
// cannot be thrown there and must not be clamped away: such a kernel gives itself a
// describe_fault, and the executor then hands its run a fault record (gpu_fault.cuh) zeroed
// for the batch, reads the records back with the outputs, and fails the batch naming the
// first node, in plan order, whose record holds a fault, in that node's words.
//
// A family's GPU files share its stem: `conv_gpu.cpp` (C++20, binds the node, calls cuDNN,
// cuBLAS and the launchers) and, where hogar has kernels of its own, `conv.cuh` (plain
// launchers, C++17) with `conv.cu` (the kernels).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <cudnn.h>

#include "kernels/nn/broadcast.hpp"
#include "kernels/nn/epilogue.hpp"
#include "kernels/nn/gpu_common.cuh"
#include "kernels/nn/gpu_fault.cuh"
#include "kernels/nn/op.hpp"

namespace hogar::nn {

/// Alignment of every device buffer a kernel gets (values, workspace): cuDNN and cuBLAS want
/// 256 bytes at most.
inline constexpr std::size_t gpu_alignment = 256;

/// How a Conv's cuDNN algorithm is chosen when it is bound.
enum class conv_algorithm_search : std::uint8_t {
  /// Run every algorithm cuDNN offers on the shapes once and keep the fastest
  /// (cudnnFindConvolutionForwardAlgorithm, what PyTorch's cudnn.benchmark does); the choice
  /// is remembered per device and shapes for the life of the process.
  benchmark,
  /// cuDNN's heuristic ranking (cudnnGetConvolutionForwardAlgorithm_v7): binds at once, runs
  /// nothing, and often picks slower kernels for large batches.
  heuristic,
};

/// What GPU kernels are bound with and run on. Owned by one executor instance; the handles
/// are bound to `stream`, and the device is current on the calling thread whenever a kernel
/// is bound or run.
struct gpu_context {
  int device = 0;
  cudaStream_t stream = nullptr;
  cudnnHandle_t cudnn = nullptr;
  cublasHandle_t cublas = nullptr;
  /// float32 arithmetic only: no TF32 tensor cores in cuDNN (CUDNN_FMA_MATH) nor cuBLAS
  /// (CUBLAS_DEFAULT_MATH), so that results match the CPU reference within float rounding.
  bool strict_fp32 = true;
  /// The largest cuDNN workspace one convolution may use, bytes; faster algorithms that need
  /// more are passed over.
  std::size_t conv_workspace_bytes_max = std::size_t{1} << 30;
  conv_algorithm_search conv_search = conv_algorithm_search::benchmark;
};

/// The device buffers of one call of a bound GPU kernel.
struct gpu_buffers {
  /// One device pointer per node input, in node order (null for an omitted optional input).
  std::span<const void* const> inputs;
  /// One device pointer per node output (null for an output the model leaves unnamed).
  std::span<void* const> outputs;
  /// workspace_bytes of device scratch, gpu_alignment aligned, owned by the executor.
  void* workspace = nullptr;
  /// The node's fault record on the device, zeroed for the batch, when its kernel has a
  /// describe_fault; else null.
  cuda::fault* fault = nullptr;
};

/// A node bound to its shapes for the GPU.
struct gpu_kernel {
  /// Enqueues the node's work on the context's stream. Throws gpu_error when a launch or a
  /// library call fails (asynchronous faults surface when the executor synchronises).
  std::function<void(const gpu_buffers&)> run;
  std::size_t workspace_bytes = 0;
  /// For a kernel that checks its inputs on the device: says what its fault record, read back
  /// after the batch, holds ("index 7 (element 3 of the indices) is outside [-5, 5) ..."),
  /// called only when has_fault(). Null: the kernel records nothing and gets no record.
  std::function<std::string(const cuda::fault&)> describe_fault;
};

/// A failed CUDA, cuDNN or cuBLAS call: "cudnnConvolutionForward: CUDNN_STATUS_BAD_PARAM (...)".
class gpu_error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// "cudaErrorMemoryAllocation (out of memory)"
std::string describe(cudaError_t status);
/// "CUDNN_STATUS_BAD_PARAM" plus cuDNN's last error message of this thread, when it has one.
std::string describe(cudnnStatus_t status);
/// "CUBLAS_STATUS_INVALID_VALUE (an invalid numeric value was used as an argument)"
std::string describe(cublasStatus_t status);

/// Throw gpu_error("CALL: STATUS") unless the status is success.
void check(cudaError_t status, std::string_view call);
void check(cudnnStatus_t status, std::string_view call);
void check(cublasStatus_t status, std::string_view call);

/// Binds node `view` (whose outputs have types `outputs`) to a GPU kernel. Fails naming the
/// node when the op has no GPU kernel for these types or shapes, or when cuDNN refuses them.
result<gpu_kernel> bind_gpu(const node_view& view, std::span<const value_type> outputs,
                            const gpu_context& ctx);

/// Whether bind_gpu has a kernel for `op_type` (the op registry's gpu_support says for which
/// dtypes).
bool has_gpu_kernel(std::string_view op_type) noexcept;

// The families' binders (X_gpu.cpp). They may throw gpu_error; bind_gpu turns that into an
// error naming the node.
result<gpu_kernel> bind_binary_gpu(const node_view& view, std::span<const value_type> outputs,
                                   const gpu_context& ctx);
result<gpu_kernel> bind_activation_gpu(const node_view& view,
                                       std::span<const value_type> outputs,
                                       const gpu_context& ctx);
result<gpu_kernel> bind_unary_gpu(const node_view& view, std::span<const value_type> outputs,
                                  const gpu_context& ctx);
result<gpu_kernel> bind_nary_gpu(const node_view& view, std::span<const value_type> outputs,
                                 const gpu_context& ctx);
/// The comparisons, And, Or, Xor and Not.
result<gpu_kernel> bind_compare_gpu(const node_view& view, std::span<const value_type> outputs,
                                    const gpu_context& ctx);
result<gpu_kernel> bind_nms_gpu(const node_view& view, std::span<const value_type> outputs,
                                const gpu_context& ctx);
result<gpu_kernel> bind_where_gpu(const node_view& view, std::span<const value_type> outputs,
                                  const gpu_context& ctx);
/// Cast and CastLike.
result<gpu_kernel> bind_cast_gpu(const node_view& view, std::span<const value_type> outputs,
                                 const gpu_context& ctx);
result<gpu_kernel> bind_pow_gpu(const node_view& view, std::span<const value_type> outputs,
                                const gpu_context& ctx);
result<gpu_kernel> bind_conv_gpu(const node_view& view, std::span<const value_type> outputs,
                                 const gpu_context& ctx);
result<gpu_kernel> bind_conv_transpose_gpu(const node_view& view,
                                           std::span<const value_type> outputs,
                                           const gpu_context& ctx);
result<gpu_kernel> bind_pool_gpu(const node_view& view, std::span<const value_type> outputs,
                                 const gpu_context& ctx);
result<gpu_kernel> bind_instance_norm_gpu(const node_view& view,
                                          std::span<const value_type> outputs,
                                          const gpu_context& ctx);
result<gpu_kernel> bind_layer_norm_gpu(const node_view& view,
                                       std::span<const value_type> outputs,
                                       const gpu_context& ctx);
result<gpu_kernel> bind_gelu_gpu(const node_view& view, std::span<const value_type> outputs,
                                 const gpu_context& ctx);
/// An index outside the axis is recorded on the device (describe_fault).
result<gpu_kernel> bind_gather_gpu(const node_view& view, std::span<const value_type> outputs,
                                   const gpu_context& ctx);
result<gpu_kernel> bind_top_k_gpu(const node_view& view, std::span<const value_type> outputs,
                                  const gpu_context& ctx);
result<gpu_kernel> bind_prelu_gpu(const node_view& view, std::span<const value_type> outputs,
                                  const gpu_context& ctx);
result<gpu_kernel> bind_lrn_gpu(const node_view& view, std::span<const value_type> outputs,
                                const gpu_context& ctx);
result<gpu_kernel> bind_resize_gpu(const node_view& view, std::span<const value_type> outputs,
                                   const gpu_context& ctx);
result<gpu_kernel> bind_batch_norm_gpu(const node_view& view,
                                       std::span<const value_type> outputs,
                                       const gpu_context& ctx);
result<gpu_kernel> bind_gemm_gpu(const node_view& view, std::span<const value_type> outputs,
                                 const gpu_context& ctx);
result<gpu_kernel> bind_matmul_gpu(const node_view& view, std::span<const value_type> outputs,
                                   const gpu_context& ctx);
result<gpu_kernel> bind_softmax_gpu(const node_view& view, std::span<const value_type> outputs,
                                    const gpu_context& ctx);
/// The Reduce* ops; ArgMax and ArgMin.
result<gpu_kernel> bind_reduce_gpu(const node_view& view, std::span<const value_type> outputs,
                                   const gpu_context& ctx);
result<gpu_kernel> bind_arg_reduce_gpu(const node_view& view,
                                       std::span<const value_type> outputs,
                                       const gpu_context& ctx);
result<gpu_kernel> bind_transpose_gpu(const node_view& view,
                                      std::span<const value_type> outputs,
                                      const gpu_context& ctx);
result<gpu_kernel> bind_concat_gpu(const node_view& view, std::span<const value_type> outputs,
                                   const gpu_context& ctx);
/// Slice, Split, Expand and Tile: strided copies (strided_copy.hpp).
result<gpu_kernel> bind_strided_copy_gpu(const node_view& view,
                                         std::span<const value_type> outputs,
                                         const gpu_context& ctx);
result<gpu_kernel> bind_pad_gpu(const node_view& view, std::span<const value_type> outputs,
                                const gpu_context& ctx);
/// Reshape, Flatten, Identity: plans make them views and never bind them; bound anyway, they
/// copy their input.
result<gpu_kernel> bind_copy_gpu(const node_view& view, std::span<const value_type> outputs,
                                 const gpu_context& ctx);
/// Dropout: a view as well, bound only when the node names its mask (copies and fills it).
result<gpu_kernel> bind_dropout_gpu(const node_view& view, std::span<const value_type> outputs,
                                    const gpu_context& ctx);

/// The launchers' activation parameters for an epilogue.
cuda::activation_params to_cuda(const epilogue& e) noexcept;

/// `values` as launcher dims; fails (gpu_error) above cuda::max_rank entries.
cuda::dims to_dims(std::span<const std::int64_t> values, std::string_view what);

/// A merged broadcast (broadcast.hpp) as the element-wise launchers take it: the output's
/// extents and both operands' strides; fails (gpu_error) above cuda::max_rank dimensions.
struct launch_broadcast {
  cuda::dims out;
  cuda::dims a;
  cuda::dims b;
};
launch_broadcast to_launch_broadcast(const merged_dims& m);

/// Whether `v` fits the `int` that cuDNN and cuBLAS take for extents.
bool fits_int(std::int64_t v) noexcept;

} // namespace hogar::nn
