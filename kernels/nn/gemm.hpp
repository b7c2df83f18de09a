// gemm.hpp: Gemm (Y = alpha * A' B' + beta * C, transA/transB, C broadcast; old opsets'
// `broadcast`) and MatMul (numpy semantics: 1-D operands promoted, batch dimensions
// broadcast), with the fused activation epilogue on both and a fused bias on MatMul
// (epilogue.hpp's hogar_bias).
#pragma once

#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "kernels/nn/epilogue.hpp"
#include "kernels/nn/op.hpp"

namespace hogar::nn {

/// Gemm: A [M, K] (or [K, M] with transA), B [K, N] (or [N, K] with transB), optional C
/// broadcastable to [M, N]; Y [M, N].
struct gemm_params {
  std::int64_t m = 0;
  std::int64_t n = 0;
  std::int64_t k = 0;
  bool trans_a = false;
  bool trans_b = false;
  float alpha = 1.0f;
  float beta = 1.0f;
  bool has_c = false;
  /// C's shape as given ([], [N], [1, N], [M, 1], [M, N], ...).
  shape_t c_shape;
  epilogue post;
  /// A residual of Y's shape, input 3, added before the activation (a dense MatMul's, fused
  /// by the CPU plan: fuse_residual_adds).
  bool has_residual = false;
};

/// MatMul: Y[b..., m, n] = sum_k A[b..., m, k] B[b..., k, n] over broadcast batch dimensions.
struct matmul_params {
  std::int64_t m = 0;
  std::int64_t n = 0;
  std::int64_t k = 0;
  /// The output's batch dimensions (broadcast of both operands'), possibly empty.
  shape_t batch;
  /// Element offset step of A's and B's matrices for each output batch dimension (0 where
  /// the operand broadcasts).
  std::vector<std::int64_t> a_batch_strides;
  std::vector<std::int64_t> b_batch_strides;
  /// The output shape (1-D operands' promoted dimensions removed again).
  shape_t out_shape;
  /// A bias of N values, input 2, added to every row before the epilogue (fused_bias_attr,
  /// set by optimize() on a MatMul with a constant 2-D B; float32 only).
  bool has_bias = false;
  /// Activation fused by optimize() (none for plain models; float32 only).
  epilogue post;
  /// A residual of the output's shape, input 3 (epilogue.hpp's residual_input), added before
  /// the activation: an Add after a dense layer fused by the CPU plan (fuse_residual_adds).
  bool has_residual = false;
  /// Attention's scores fused by the CPU plan (fuse_attention_softmax; float32 only, no bias
  /// or activation with them): Y = softmax over each row of (scale * A B + mask), the mask the
  /// last input broadcast to the output's shape.
  float scale = 1.0f;
  bool has_mask = false;
  bool softmax = false;
  /// The mask's element offset step for each output batch dimension, for a row and for a
  /// column (0 where the mask broadcasts).
  std::vector<std::int64_t> mask_batch_strides;
  std::int64_t mask_row_stride = 0;
  std::int64_t mask_col_stride = 0;

  /// Whether the product has a row epilogue (scale, mask or softmax) beyond bias and activation.
  bool has_row_epilogue() const noexcept { return scale != 1.0f || has_mask || softmax; }

  /// Where the matrices' elements lie (in elements): A[m, k] at a_row_stride * m + a_col_stride
  /// * k from its matrix's offset, B and Y alike; Y's matrices y_batch_strides apart for each
  /// output batch dimension. Dense row-major unless the CPU plan folded a Transpose into an
  /// operand or the output (fuse_attention_transposes: hogar_perm_a, _b, _y).
  std::int64_t a_row_stride = 0, a_col_stride = 1;
  std::int64_t b_row_stride = 0, b_col_stride = 1;
  std::vector<std::int64_t> y_batch_strides;
  std::int64_t y_row_stride = 0, y_col_stride = 1;
  /// Whether a Transpose was folded in (the strides above are not the dense ones).
  bool permuted = false;
};

/// Element offsets of A's, B's and Y's matrices for output matrix `batch` (a row-major index
/// over matmul_params::batch).
struct matmul_offset {
  std::int64_t a = 0, b = 0, y = 0;
};
inline matmul_offset matmul_offsets(const matmul_params& p, std::int64_t batch) noexcept {
  matmul_offset o;
  for (std::size_t d = p.batch.size(); d-- > 0;) {
    const auto i = batch % p.batch[d];
    batch /= p.batch[d];
    o.a += i * p.a_batch_strides[d];
    o.b += i * p.b_batch_strides[d];
    o.y += i * p.y_batch_strides[d];
  }
  return o;
}

result<gemm_params> gemm_params_of(const node_view& view);
result<matmul_params> matmul_params_of(const node_view& view);

/// The element offset of output matrix `batch`'s mask (matmul_params::has_mask).
inline std::int64_t matmul_mask_offset(const matmul_params& p, std::int64_t batch) noexcept {
  std::int64_t offset = 0;
  for (std::size_t d = p.batch.size(); d-- > 0;) {
    offset += batch % p.batch[d] * p.mask_batch_strides[d];
    batch /= p.batch[d];
  }
  return offset;
}

/// Rows [row_begin, row_end) of output matrix `batch` (y: the matrix), their product already
/// there: the scale, the mask (the mask input, null without one) and each row's softmax of
/// matmul_params. Vector loops where the CPU has AVX2.
void apply_row_epilogue(const matmul_params& p, std::int64_t batch, const float* mask, float* y,
                        std::int64_t row_begin, std::int64_t row_end);

result<std::vector<value_type>> infer_gemm(const node_view& view);
result<cpu_kernel> bind_gemm_reference(const node_view& view, std::span<const value_type> outputs);
/// float32: oneDNN's matmul for a fully connected layer (constant B, alpha 1, C one bias per
/// column; bf16 with precision_attr), else OpenBLAS sgemm, then C and the epilogue.
result<std::optional<cpu_kernel>> bind_gemm_cpu(const node_view& view,
                                                std::span<const value_type> outputs);

/// oneDNN's matmul of `p` with the constant `b` and bias `c` (null: none); nullopt when it does
/// not fit (alpha other than 1, C not one bias per column) or oneDNN has no fast kernel.
std::optional<cpu_kernel> bind_gemm_dnnl(const gemm_params& p, const tensor& b, const tensor* c,
                                         bool bf16);

/// packed_gemm.hpp's product of `p` with the constant `b`, packed once, on the instance's pool;
/// nullopt without AVX2 and FMA, or unless Y = A B (+ a bias row): alpha 1, A not transposed.
std::optional<cpu_kernel> bind_gemm_packed(const gemm_params& p, const tensor& b);

/// A MatMul of two computed operands (attention's scores and context) on the same AVX2 product,
/// each matrix's B packed into the workspace as the call runs: OpenBLAS's per-call overhead
/// dominates products this small. nullopt without AVX2 and FMA.
std::optional<cpu_kernel> bind_matmul_packing(const matmul_params& p);

result<std::vector<value_type>> infer_matmul(const node_view& view);
result<cpu_kernel> bind_matmul_reference(const node_view& view,
                                         std::span<const value_type> outputs);
result<std::optional<cpu_kernel>> bind_matmul_cpu(const node_view& view,
                                                  std::span<const value_type> outputs);

} // namespace hogar::nn
