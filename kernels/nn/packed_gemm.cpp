// packed_gemm.cpp: packing B once (portable) and the CPU kernel of a dense layer on
// packed_gemm.hpp's product: rows of A in blocks, panels of B split over the instance's pool
// when the rows are too few to keep every thread busy.
#include "kernels/nn/packed_gemm.hpp"

#include <algorithm>
#include <memory>
#include <tuple>
#include <vector>

#include "kernels/nn/constant_cache.hpp"
#include "kernels/nn/gemm.hpp"
#include "kernels/nn/scratch_slots.hpp"
#include "kernels/nn/simd.hpp"
#include "kernels/nn/thread_pool.hpp"

namespace hogar::nn {

namespace packed_gemm {

void pack(const float* b, std::int64_t k, std::int64_t n, bool trans_b, std::int64_t ldb,
          float* packed) {
  for (std::int64_t p = 0; p < panels(n); ++p) {
    const std::int64_t col = p * panel;
    const std::int64_t cols = std::min(panel, n - col);
    float* out = packed + p * panel * k;
    if (!trans_b) {
      // Rows of the panel's columns, contiguous in B: a copy of `cols` floats per row.
      for (std::int64_t row = 0; row < k; ++row) {
        std::copy_n(b + row * ldb + col, cols, out + row * panel);
        std::fill(out + row * panel + cols, out + (row + 1) * panel, 0.0f);
      }
      continue;
    }
    // B stored [N, K]: each of the panel's columns is a contiguous run of K.
    if (cols < panel)
      std::fill(out, out + panel * k, 0.0f);
    for (std::int64_t c = 0; c < cols; ++c) {
      const float* column = b + (col + c) * ldb;
      for (std::int64_t row = 0; row < k; ++row)
        out[row * panel + c] = column[row];
    }
  }
}

} // namespace packed_gemm

namespace {

/// Rows of A per task: eight rows of the tile, about 48 x K floats of A kept in L2 while
/// every panel passes.
constexpr std::int64_t row_block = 48;
/// Rows of a fused row epilogue's block (matmul_params::has_row_epilogue): four tiles, a few
/// KiB of a row of scores each.
constexpr std::int64_t epilogue_rows = 24;
/// Below this many multiply-adds a product runs on the calling thread alone.
constexpr std::int64_t parallel_work_min = std::int64_t{1} << 18;

/// B packed, shared by every kernel of the same constant (the plans of one model for
/// different batch sizes).
std::shared_ptr<const std::vector<float>> packed_weights(const tensor& b, std::int64_t k,
                                                         std::int64_t n, bool trans_b) {
  return shared_derivation<const std::vector<float>>(b, std::tuple{k, n, trans_b}, [&] {
    auto packed = std::make_shared<std::vector<float>>(
      static_cast<std::size_t>(packed_gemm::packed_size(k, n)));
    packed_gemm::pack(b.values<float>().data(), k, n, trans_b, trans_b ? k : n,
                      packed->data());
    return packed;
  });
}

} // namespace

std::optional<cpu_kernel> bind_gemm_packed(const gemm_params& p, const tensor& b) {
  // Y = A B (+ a bias row) only: the shapes a dense layer has.
  const bool bias_row = p.has_c && p.beta == 1.0f &&
                        (p.c_shape == shape_t{p.n} || p.c_shape == shape_t{1, p.n});
  if (!simd::avx2_loops() || p.trans_a || p.alpha != 1.0f || (p.has_c && !bias_row) ||
      p.m == 0 || p.n == 0 || p.k == 0 || b.type() != dtype::float32)
    return std::nullopt;
  auto packed = packed_weights(b, p.k, p.n, p.trans_b);
  cpu_kernel k;
  // The kernel keeps B, as constant_cache.hpp asks.
  k.name = "hogar packed-weight GEMM, AVX2";
  k.run = [p, packed, b](const cpu_buffers& io) {
    const auto* a = static_cast<const float*>(io.inputs[0]);
    const auto* bias = p.has_c ? static_cast<const float*>(io.inputs[2]) : nullptr;
    const auto* residual =
      p.has_residual ? static_cast<const float*>(io.inputs[residual_input]) : nullptr;
    auto* y = static_cast<float*>(io.outputs[0]);
    const auto panels = packed_gemm::panels(p.n);
    const auto threads = io.pool && p.m * p.n * p.k >= parallel_work_min
                           ? static_cast<std::int64_t>(io.pool->size())
                           : 1;
    const auto row_tasks = (p.m + row_block - 1) / row_block;
    // Few rows (a batch of one short sequence): the panels are split too.
    const auto panel_tasks =
      std::clamp<std::int64_t>((2 * threads + row_tasks - 1) / row_tasks, 1, panels);
    parallel_for(threads > 1 ? io.pool : nullptr, row_tasks * panel_tasks, 1,
                 [&](std::int64_t begin, std::int64_t end) {
                   for (auto task = begin; task < end; ++task) {
                     const auto r0 = task / panel_tasks * row_block;
                     const auto group = task % panel_tasks;
                     packed_gemm::multiply(a + r0 * p.k, p.k, std::min(row_block, p.m - r0), p.k,
                                           packed->data(), p.n, panels * group / panel_tasks,
                                           panels * (group + 1) / panel_tasks, bias,
                                           residual ? residual + r0 * p.n : nullptr, p.n,
                                           p.post, y + r0 * p.n, p.n);
                   }
                 });
  };
  return k;
}

std::optional<cpu_kernel> bind_matmul_packing(const matmul_params& p) {
  // A's and Y's rows contiguous, B's rows or columns (the packing reads either).
  const bool b_transposed = p.b_col_stride != 1;
  if (!simd::avx2_loops() || p.k == 0 || p.m == 0 || p.n == 0 || p.a_col_stride != 1 ||
      p.y_col_stride != 1 || (b_transposed && p.b_row_stride != 1))
    return std::nullopt;
  const auto slot_bytes =
    (static_cast<std::size_t>(packed_gemm::packed_size(p.k, p.n)) * sizeof(float) + 63) / 64 * 64;
  const auto slots = scratch_slot_count();
  cpu_kernel k;
  k.name = p.softmax ? "hogar AVX2 GEMM, B packed per call, softmax fused"
                     : "hogar AVX2 GEMM, B packed per call";
  k.workspace_bytes = slot_bytes * static_cast<std::size_t>(slots);
  k.run = [p, slot_bytes, slots, b_transposed](const cpu_buffers& io) {
    const auto* a = static_cast<const float*>(io.inputs[0]);
    const auto* b = static_cast<const float*>(io.inputs[1]);
    const auto* bias = p.has_bias ? static_cast<const float*>(io.inputs[2]) : nullptr;
    const auto* mask = p.has_mask ? static_cast<const float*>(io.inputs.back()) : nullptr;
    auto* y = static_cast<float*>(io.outputs[0]);
    auto* workspace = static_cast<std::byte*>(io.workspace);
    const auto matrices = element_count(p.batch);
    const bool parallel = io.pool && matrices * p.m * p.n * p.k >= parallel_work_min;
    const auto threads = parallel ? static_cast<std::int64_t>(io.pool->size()) : 1;
    // Matrices first; rows of one matrix split only when there are fewer matrices than
    // threads (each part then packs the matrix's B itself).
    const auto parts = matrices >= threads
                         ? 1
                         : std::clamp<std::int64_t>((threads + matrices - 1) / matrices, 1,
                                                    (p.m + 5) / 6);
    const auto rows_per_part = (p.m + parts - 1) / parts;
    const auto panels = packed_gemm::panels(p.n);
    parallel_with_slots(parallel ? io.pool : nullptr, matrices * parts, slots,
                        [&](std::int64_t slot, std::int64_t task) {
                          const auto matrix = task / parts;
                          const auto r0 = task % parts * rows_per_part;
                          const auto rows = std::min(rows_per_part, p.m - r0);
                          if (rows <= 0)
                            return;
                          const auto offset = matmul_offsets(p, matrix);
                          auto* packed = reinterpret_cast<float*>(
                            workspace + slot_bytes * static_cast<std::size_t>(slot));
                          packed_gemm::pack(b + offset.b, p.k, p.n, b_transposed,
                                            b_transposed ? p.b_col_stride : p.b_row_stride,
                                            packed);
                          const float* am = a + offset.a;
                          float* ym = y + offset.y;
                          const auto lda = p.a_row_stride, ldy = p.y_row_stride;
                          if (!p.has_row_epilogue()) {
                            packed_gemm::multiply(am + r0 * lda, lda, rows, p.k, packed, p.n, 0,
                                                  panels, bias, nullptr, 0, p.post,
                                                  ym + r0 * ldy, ldy);
                            return;
                          }
                          // Attention's scores: each block of rows gets its scale, mask and
                          // softmax while it is still in L1.
                          for (auto i = r0; i < r0 + rows; i += epilogue_rows) {
                            const auto count = std::min(epilogue_rows, r0 + rows - i);
                            packed_gemm::multiply(am + i * lda, lda, count, p.k, packed, p.n, 0,
                                                  panels, nullptr, nullptr, 0, p.post,
                                                  ym + i * ldy, ldy);
                            apply_row_epilogue(p, matrix, mask, ym, i, i + count);
                          }
                        });
  };
  return k;
}

} // namespace hogar::nn
