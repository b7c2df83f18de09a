// gemm_gpu.cpp: Gemm and MatMul on the GPU (float32) through cuBLAS.
//
// cuBLAS is column-major and hogar row-major: a row-major [r, c] matrix is the column-major
// [c, r] matrix of its transpose, so Y = A' B' is computed as Y^T = B'^T A'^T with the operands
// swapped and nothing moved. Gemm's C is broadcast into Y and scaled by beta first (gemm.cu),
// then cuBLAS adds alpha A' B' to it (its beta 1), then the fused epilogue runs in place.
// MatMul's batches run as one strided-batched call when their offsets are evenly spaced, as
// one plain call when a shared B lets the batches stack into one tall A, else one call each.
#include <initializer_list>
#include <optional>
#include <vector>

#include <fmt/format.h>

#include "kernels/nn/activation.cuh"
#include "kernels/nn/broadcast.hpp"
#include "kernels/nn/gemm.cuh"
#include "kernels/nn/gemm.hpp"
#include "kernels/nn/gpu.hpp"

namespace hogar::nn {

namespace {

/// An error naming the first extent that does not fit the int cuBLAS takes, if any.
std::optional<error_info> too_large(const node_view& view,
                                    std::initializer_list<std::int64_t> sizes) {
  for (auto s : sizes)
    if (!fits_int(s))
      return view.error(fmt::format("extent {} does not fit cuBLAS's int", s));
  return std::nullopt;
}

} // namespace

result<gpu_kernel> bind_gemm_gpu(const node_view& view, std::span<const value_type> outputs,
                                 const gpu_context& ctx) {
  if (outputs[0].type != dtype::float32)
    return view.error(fmt::format("runs float32 on the GPU, not {}", to_string(outputs[0].type)));
  auto params = gemm_params_of(view);
  if (!params)
    return params.error();
  const gemm_params p = std::move(*params);
  if (auto problem = too_large(view, {p.m, p.n, p.k}))
    return *problem;
  // As the reference: beta * C is added whenever C is given (0 * inf is NaN there too).
  const bool use_c = p.has_c;
  std::int64_t c_row_stride = 0, c_col_stride = 0;
  if (use_c) {
    auto strides = broadcast_strides(p.c_shape, shape_t{p.m, p.n});
    c_row_stride = strides[0];
    c_col_stride = strides[1];
  }
  const auto post = to_cuda(p.post);
  const bool has_post = p.post.kind != activation::none;
  const int m = static_cast<int>(p.m), n = static_cast<int>(p.n), k = static_cast<int>(p.k);
  const cublasOperation_t op_a = p.trans_a ? CUBLAS_OP_T : CUBLAS_OP_N;
  const cublasOperation_t op_b = p.trans_b ? CUBLAS_OP_T : CUBLAS_OP_N;
  const int lda = p.trans_a ? m : k;
  const int ldb = p.trans_b ? k : n;
  const float alpha = p.alpha, beta = p.beta;
  const std::size_t y_bytes = static_cast<std::size_t>(p.m * p.n) * sizeof(float);
  gpu_kernel kernel;
  if (p.m == 0 || p.n == 0) {
    kernel.run = [](const gpu_buffers&) {};
    return kernel;
  }
  kernel.run = [=, stream = ctx.stream, cublas = ctx.cublas](const gpu_buffers& io) {
    auto* y = static_cast<float*>(io.outputs[0]);
    if (use_c)
      check(cuda::launch_broadcast_scale(static_cast<const float*>(io.inputs[2]), y, m, n,
                                         c_row_stride, c_col_stride, beta, stream),
            "broadcast of C");
    if (k > 0) {
      const float gemm_beta = use_c ? 1.0f : 0.0f;
      check(cublasSgemm(cublas, op_b, op_a, n, m, k, &alpha,
                        static_cast<const float*>(io.inputs[1]), ldb,
                        static_cast<const float*>(io.inputs[0]), lda, &gemm_beta, y, n),
            "cublasSgemm");
    } else if (!use_c) {
      // An empty inner dimension: A' B' is all zeros.
      check(cudaMemsetAsync(y, 0, y_bytes, stream), "cudaMemsetAsync");
    }
    if (has_post)
      check(cuda::launch_activation(post, y, y, static_cast<std::int64_t>(m) * n, stream),
            "epilogue kernel");
  };
  return kernel;
}

result<gpu_kernel> bind_matmul_gpu(const node_view& view, std::span<const value_type> outputs,
                                   const gpu_context& ctx) {
  if (outputs[0].type != dtype::float32)
    return view.error(fmt::format("runs float32 on the GPU, not {}", to_string(outputs[0].type)));
  auto params = matmul_params_of(view);
  if (!params)
    return params.error();
  if (params->has_row_epilogue() || params->permuted || params->has_residual)
    return view.error("carries a fused scale, mask, softmax, transpose or residual, which only "
                      "the fast CPU path's plan fuses");
  const matmul_params p = std::move(*params);
  const std::int64_t count = element_count(p.batch);
  const auto post = to_cuda(p.post);
  const bool has_post = p.post.kind != activation::none;
  gpu_kernel kernel;
  if (count == 0 || p.m == 0 || p.n == 0) {
    kernel.run = [](const gpu_buffers&) {};
    return kernel;
  }
  if (auto problem = too_large(view, {p.m, p.n, p.k, count}))
    return *problem;
  const std::size_t y_bytes = static_cast<std::size_t>(count * p.m * p.n) * sizeof(float);
  const std::int64_t y_elements = count * p.m * p.n;
  // A fused bias: Y starts as the bias in every row, and the products add to it (beta 1).
  const bool has_bias = p.has_bias;
  const std::int64_t y_rows = count * p.m, y_cols = p.n;
  auto fill_bias = [=](const gpu_buffers& io, cudaStream_t stream) {
    if (has_bias)
      check(cuda::launch_broadcast_scale(static_cast<const float*>(io.inputs[2]),
                                         static_cast<float*>(io.outputs[0]), y_rows, y_cols, 0, 1,
                                         1.0f, stream),
            "broadcast of the fused bias");
  };
  if (p.k == 0) {
    // An empty inner dimension: every product is 0 (the bias, if fused), then the epilogue.
    kernel.run = [=, stream = ctx.stream](const gpu_buffers& io) {
      auto* y = static_cast<float*>(io.outputs[0]);
      if (has_bias)
        fill_bias(io, stream);
      else
        check(cudaMemsetAsync(y, 0, y_bytes, stream), "cudaMemsetAsync");
      if (has_post)
        check(cuda::launch_activation(post, y, y, y_elements, stream), "epilogue kernel");
    };
    return kernel;
  }
  // Element offsets of A's and B's matrix for every output batch, in row-major batch order.
  std::vector<std::int64_t> a_offsets, b_offsets;
  for (std::int64_t i = 0; i < count; ++i) {
    const auto offset = matmul_offsets(p, i);
    a_offsets.push_back(offset.a);
    b_offsets.push_back(offset.b);
  }
  auto evenly_spaced = [count](const std::vector<std::int64_t>& offsets) {
    const std::int64_t step = count > 1 ? offsets[1] - offsets[0] : 0;
    for (std::int64_t i = 0; i < count; ++i)
      if (offsets[static_cast<std::size_t>(i)] != offsets[0] + i * step)
        return std::optional<std::int64_t>{};
    return std::optional<std::int64_t>{step};
  };
  const auto a_step = evenly_spaced(a_offsets);
  const auto b_step = evenly_spaced(b_offsets);
  const int n = static_cast<int>(p.n), k = static_cast<int>(p.k);
  const std::int64_t y_step = p.m * p.n;
  const std::int64_t a_base = a_offsets[0], b_base = b_offsets[0];

  if (a_step && b_step && *b_step == 0 && (count == 1 || *a_step == p.m * p.k)) {
    // One B for every batch and the A matrices back to back: one [count * m, k] x [k, n].
    const std::int64_t rows = count * p.m;
    if (auto problem = too_large(view, {rows}))
      return *problem;
    const int m_all = static_cast<int>(rows);
    kernel.run = [=, stream = ctx.stream, cublas = ctx.cublas](const gpu_buffers& io) {
      const float alpha = 1.0f, beta = has_bias ? 1.0f : 0.0f;
      fill_bias(io, stream);
      check(cublasSgemm(cublas, CUBLAS_OP_N, CUBLAS_OP_N, n, m_all, k, &alpha,
                        static_cast<const float*>(io.inputs[1]) + b_base, n,
                        static_cast<const float*>(io.inputs[0]) + a_base, k, &beta,
                        static_cast<float*>(io.outputs[0]), n),
            "cublasSgemm");
      if (has_post)
        check(cuda::launch_activation(post, static_cast<float*>(io.outputs[0]),
                                      static_cast<float*>(io.outputs[0]), y_elements, stream),
              "epilogue kernel");
    };
    return kernel;
  }
  const int m = static_cast<int>(p.m);
  if (a_step && b_step) {
    const long long stride_a = *a_step, stride_b = *b_step, stride_y = y_step;
    const int batches = static_cast<int>(count);
    kernel.run = [=, stream = ctx.stream, cublas = ctx.cublas](const gpu_buffers& io) {
      const float alpha = 1.0f, beta = has_bias ? 1.0f : 0.0f;
      fill_bias(io, stream);
      check(cublasSgemmStridedBatched(cublas, CUBLAS_OP_N, CUBLAS_OP_N, n, m, k, &alpha,
                                      static_cast<const float*>(io.inputs[1]) + b_base, n,
                                      stride_b, static_cast<const float*>(io.inputs[0]) + a_base,
                                      k, stride_a, &beta, static_cast<float*>(io.outputs[0]), n,
                                      stride_y, batches),
            "cublasSgemmStridedBatched");
      if (has_post)
        check(cuda::launch_activation(post, static_cast<float*>(io.outputs[0]),
                                      static_cast<float*>(io.outputs[0]), y_elements, stream),
              "epilogue kernel");
    };
    return kernel;
  }
  kernel.run = [=, stream = ctx.stream, cublas = ctx.cublas](const gpu_buffers& io) {
    const float alpha = 1.0f, beta = has_bias ? 1.0f : 0.0f;
    fill_bias(io, stream);
    const auto* a = static_cast<const float*>(io.inputs[0]);
    const auto* b = static_cast<const float*>(io.inputs[1]);
    auto* y = static_cast<float*>(io.outputs[0]);
    for (std::size_t i = 0; i < a_offsets.size(); ++i)
      check(cublasSgemm(cublas, CUBLAS_OP_N, CUBLAS_OP_N, n, m, k, &alpha, b + b_offsets[i], n,
                        a + a_offsets[i], k, &beta, y + static_cast<std::int64_t>(i) * y_step, n),
            "cublasSgemm");
    if (has_post)
      check(cuda::launch_activation(post, y, y, y_elements, stream), "epilogue kernel");
  };
  return kernel;
}

} // namespace hogar::nn
