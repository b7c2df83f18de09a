// packed_gemm.hpp: a product Y = A B with a constant B (a dense layer's weights) packed once,
// by the plan, into panels of 16 columns, each K rows of 16 floats, so that the AVX2 tile
// (gemm_avx2_tile.hpp) streams a panel from memory in order and keeps it in L1 while rows of
// A pass through it. What onnxruntime's MLAS does for its constant weights; OpenBLAS packs B
// again on every call, which costs as much as the product for a transformer's small layers.
//
// The bias and the fused activation are applied to each tile of rows while it is in cache.
// multiply() needs AVX2 and FMA (simd::avx2_loops()).
#pragma once

#include <cstdint>

#include "kernels/nn/epilogue.hpp"

namespace hogar::nn::packed_gemm {

/// Columns per panel.
inline constexpr std::int64_t panel = 16;
/// Depth per pass: a panel's slice of B (256 rows of 16 floats, 16 KiB) stays in L1 while six
/// rows of A at a time go through it; the tile's sums are kept in Y between passes.
inline constexpr std::int64_t depth_slice = 256;

inline std::int64_t panels(std::int64_t n) { return (n + panel - 1) / panel; }
/// Floats of B [K, N] packed: panels(N) panels of K rows of 16 (zero past column N).
inline std::int64_t packed_size(std::int64_t k, std::int64_t n) { return panels(n) * panel * k; }

/// Packs B, [K, N] row-major (or, with trans_b, [N, K]), rows `ldb` floats apart. Portable:
/// the plan runs it once for constant weights, the per-call kernel once per matrix.
void pack(const float* b, std::int64_t k, std::int64_t n, bool trans_b, std::int64_t ldb,
          float* packed);

/// Y[r, c] = act(sum over K of A[r, k] B[k, c] + bias[c] + R[r, c]) for `rows` rows of A
/// (a, row stride lda) and the columns of panels [panel_begin, panel_end) (clipped to n), into
/// y (row stride ldy). bias and the residual R (row stride ldr) may be null; R must not be Y.
/// Calls for disjoint rows or panels may run at once.
void multiply(const float* a, std::int64_t lda, std::int64_t rows, std::int64_t k,
              const float* packed, std::int64_t n, std::int64_t panel_begin,
              std::int64_t panel_end, const float* bias, const float* residual, std::int64_t ldr,
              const epilogue& post, float* y, std::int64_t ldy);

} // namespace hogar::nn::packed_gemm
