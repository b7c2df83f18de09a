// gemm_cpu.cpp: the fast CPU paths of Gemm and MatMul for float32: OpenBLAS sgemm on tiles of
// the output (row blocks, or column blocks for the few-row products of a batch-1 classifier),
// one tile per task on the instance's threads; Gemm adds beta * C and applies the epilogue to
// each tile right after its product, while it is in cache. A MatMul of a matrix B (a dense
// layer, A [..., M, K]) runs as one such Gemm over all of A's rows, its fused bias as C.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <thread>
#include <tuple>
#include <vector>

#include "kernels/nn/blas.hpp"
#include "kernels/nn/broadcast.hpp"
#include "kernels/nn/gemm.hpp"
#include "kernels/nn/simd.hpp"
#include "kernels/nn/softmax.hpp"
#include "kernels/nn/thread_pool.hpp"

namespace hogar::nn {

namespace {

/// Below this many multiply-adds a product runs on one thread: handing out tiles would cost
/// more than it saves.
constexpr std::int64_t parallel_work_min = std::int64_t{1} << 18;

/// How an [m, n] output is cut into row blocks x column blocks.
struct tiling {
  std::int64_t row_blocks = 1, col_blocks = 1, rows = 0, cols = 0;
};

/// Cuts [m, n] into about `wanted` tiles, rows first (sgemm is fastest on wide tiles), never
/// thinner than 16 rows or 64 columns.
tiling tile(std::int64_t m, std::int64_t n, std::int64_t wanted) {
  tiling t;
  t.row_blocks = std::clamp<std::int64_t>(wanted, 1, std::max<std::int64_t>(1, m / 16));
  t.col_blocks = std::clamp<std::int64_t>((wanted + t.row_blocks - 1) / t.row_blocks, 1,
                                          std::max<std::int64_t>(1, n / 64));
  t.rows = (m + t.row_blocks - 1) / t.row_blocks;
  t.cols = (n + t.col_blocks - 1) / t.col_blocks;
  return t;
}

std::int64_t threads_of(const cpu_buffers& io) {
  return io.pool ? static_cast<std::int64_t>(io.pool->size()) : 1;
}

blasint blas(std::int64_t v) { return static_cast<blasint>(v); }

/// Below this many multiply-adds a Gemm stays on OpenBLAS and the pool (choose_gemm_kernel).
constexpr std::int64_t openmp_work_min = std::int64_t{1} << 22;

/// Products larger than this many elements (A or Y) are not timed: binding must stay quick
/// and light, and for a product that large oneDNN's kernels are at least as fast.
constexpr std::int64_t timed_elements_max = std::int64_t{1} << 22;

/// Whether `second` ran faster than `first` on the Gemm `p` with constant B (and C): one call
/// each to warm up, then turns, best of three (one when a call takes over 20 ms).
bool second_is_faster(cpu_kernel& first, cpu_kernel& second, const gemm_params& p,
                      const tensor& b, const tensor* c) {
  std::vector<float> a(static_cast<std::size_t>(p.m * p.k), 0.5f);
  std::vector<float> y(static_cast<std::size_t>(p.m * p.n));
  const std::size_t scratch = std::max(first.workspace_bytes, second.workspace_bytes);
  std::vector<float> workspace(scratch / sizeof(float) + 16);
  auto* aligned = reinterpret_cast<void*>(
    (reinterpret_cast<std::uintptr_t>(workspace.data()) + 63) / 64 * 64);
  thread_pool pool{std::max(1u, std::thread::hardware_concurrency())};
  std::vector<const void*> in{a.data(), b.bytes().data(), c ? c->bytes().data() : nullptr};
  std::vector<void*> out{y.data()};
  cpu_buffers io{in, out, aligned, &pool};
  auto time_of = [&](cpu_kernel& k) {
    auto start = std::chrono::steady_clock::now();
    k.run(io);
    return std::chrono::steady_clock::now() - start;
  };
  auto best_first = time_of(first), best_second = time_of(second);
  const bool long_call = std::max(best_first, best_second) > std::chrono::milliseconds(20);
  for (int round = 0; round < (long_call ? 1 : 3); ++round) {
    best_first = std::min(best_first, time_of(first));
    best_second = std::min(best_second, time_of(second));
  }
  return best_second < best_first;
}

/// The Gemm's kernel: OpenBLAS (`blas`) or oneDNN's matmul (`dnnl`, in bf16 when the model is
/// served so), the faster for this shape, decided once per process and shape so that every
/// instance and plan of a model computes the same way (the two round differently). bf16 is a
/// permission, as TensorRT's precision flags are: a small product OpenBLAS does faster in
/// float32 stays there.
cpu_kernel choose_gemm_kernel(cpu_kernel blas, cpu_kernel dnnl, const gemm_params& p,
                              const tensor& b, const tensor* c, bool bf16, bool after_openmp) {
  if (p.m * p.k > timed_elements_max || p.m * p.n > timed_elements_max)
    return dnnl;
  // Too little work to pay for waking oneDNN's OpenMP team, whose threads then spin on the
  // cores the pool's workers run the model's other nodes on. Timed alone oneDNN may still win
  // such a product, but inside a run it made BERT's pooler ([8, 128] x [128, 128]) take 1 to
  // 2 ms instead of 0.05, and every other node of the model twice as slow. After a oneDNN
  // kernel that team is awake anyway: ResNet-18's last Gemm ([1, 512] x [512, 1000]) takes
  // 0.13 ms there and 0.46 ms on OpenBLAS, whose packing of B on each call dominates.
  if (p.m * p.n * p.k < openmp_work_min && !after_openmp)
    return blas;
  using key_t = std::tuple<std::int64_t, std::int64_t, std::int64_t, bool, bool, bool, int, bool>;
  static std::mutex mutex;
  static std::map<key_t, bool> decided;
  const key_t key{p.m, p.n, p.k, p.trans_a, p.trans_b, p.has_c, static_cast<int>(p.post.kind), bf16};
  std::lock_guard lock{mutex};
  auto it = decided.find(key);
  if (it == decided.end()) {
    bool use_dnnl = false;
    try {
      use_dnnl = second_is_faster(blas, dnnl, p, b, c);
    } catch (const std::exception&) {
      use_dnnl = false;  // the timing could not run (memory): OpenBLAS, as before
    }
    it = decided.emplace(key, use_dnnl).first;
  }
  return it->second ? std::move(dnnl) : std::move(blas);
}

/// OpenBLAS sgemm on tiles of the output, then C and the epilogue.
cpu_kernel bind_gemm_blas(const gemm_params& params) {
  single_threaded_blas();
  const auto p = params;
  std::vector<std::int64_t> c_strides{0, 0};
  if (p.has_c)
    c_strides = broadcast_strides(p.c_shape, shape_t{p.m, p.n});
  cpu_kernel k;
  k.name = "OpenBLAS sgemm";
  k.run = [p, c_strides](const cpu_buffers& io) {
    const auto* a = static_cast<const float*>(io.inputs[0]);
    const auto* b = static_cast<const float*>(io.inputs[1]);
    const auto* c = p.has_c ? static_cast<const float*>(io.inputs[2]) : nullptr;
    const auto* residual =
      p.has_residual ? static_cast<const float*>(io.inputs[residual_input]) : nullptr;
    auto* y = static_cast<float*>(io.outputs[0]);
    const auto wanted = p.m * p.n * p.k >= parallel_work_min ? threads_of(io) : 1;
    const auto t = tile(p.m, p.n, wanted);
    parallel_for(io.pool, t.row_blocks * t.col_blocks, 1, [&](std::int64_t begin,
                                                               std::int64_t end) {
      for (auto task = begin; task < end; ++task) {
        const auto m0 = task / t.col_blocks * t.rows;
        const auto n0 = task % t.col_blocks * t.cols;
        const auto rows = std::min(t.rows, p.m - m0);
        const auto cols = std::min(t.cols, p.n - n0);
        if (rows <= 0 || cols <= 0)
          continue;
        const float* at = p.trans_a ? a + m0 : a + m0 * p.k;
        const float* bt = p.trans_b ? b + n0 * p.k : b + n0;
        float* yt = y + m0 * p.n + n0;
        if (p.k == 0) {
          for (std::int64_t i = 0; i < rows; ++i)
            std::fill(yt + i * p.n, yt + i * p.n + cols, 0.0f);
        } else {
          cblas_sgemm(CblasRowMajor, p.trans_a ? CblasTrans : CblasNoTrans,
                      p.trans_b ? CblasTrans : CblasNoTrans, blas(rows), blas(cols), blas(p.k),
                      p.alpha, at, blas(p.trans_a ? p.m : p.k), bt,
                      blas(p.trans_b ? p.k : p.n), 0.0f, yt, blas(p.n));
        }
        for (std::int64_t i = 0; i < rows; ++i) {
          float* row = yt + i * p.n;
          if (residual)
            simd::add_scaled(row, residual + (m0 + i) * p.n + n0, 1.0f, cols);
          if (!c || p.beta == 0.0f) {
            simd::activate(row, row, cols, p.post);
            continue;
          }
          const float* cr = c + (m0 + i) * c_strides[0] + n0 * c_strides[1];
          if (c_strides[1] == 0) {
            // One C value for the whole row: a bias.
            simd::bias_epilogue(row, row, cols, p.beta * cr[0], p.post);
          } else {
            simd::add_scaled(row, cr, p.beta, cols);
            simd::activate(row, row, cols, p.post);
          }
        }
      }
    });
  };
  return k;
}

/// How OpenBLAS reads a matrix of `rows` x `cols` whose elements lie `row_stride` and
/// `col_stride` apart: row-major with a leading dimension, or transposed; nothing when
/// neither stride is 1 (or the leading dimension is too short for BLAS).
struct blas_operand {
  CBLAS_TRANSPOSE trans = CblasNoTrans;
  std::int64_t ld = 1;
};
std::optional<blas_operand> blas_layout(std::int64_t row_stride, std::int64_t col_stride,
                                        std::int64_t rows, std::int64_t cols) {
  if (col_stride == 1 || cols == 1) {
    const auto ld = rows > 1 ? row_stride : std::max<std::int64_t>(1, cols);
    if (ld >= std::max<std::int64_t>(1, cols))
      return blas_operand{CblasNoTrans, ld};
  }
  if (row_stride == 1 || rows == 1) {
    const auto ld = cols > 1 ? col_stride : std::max<std::int64_t>(1, rows);
    if (ld >= std::max<std::int64_t>(1, rows))
      return blas_operand{CblasTrans, ld};
  }
  return std::nullopt;
}

} // namespace

result<std::optional<cpu_kernel>> bind_gemm_cpu(const node_view& view,
                                                std::span<const value_type> outputs) {
  auto params = gemm_params_of(view);
  if (!params)
    return params.error();
  if (outputs[0].type != dtype::float32 || params->m == 0 || params->n == 0)
    return std::optional<cpu_kernel>{};
  auto precision = view.attributes().get_string(precision_attr, "fp32");
  if (!precision)
    return precision.error();
  auto blas_kernel = bind_gemm_blas(*params);
  // A fully connected layer may run on oneDNN's matmul instead: whichever is faster here, for
  // this shape, by measurement (OpenBLAS wins the small products on some CPUs by far, and runs
  // SSE3 code on others).
  const auto* b = view.constant(1);
  const tensor* c = params->has_c ? view.constant(2) : nullptr;
  if (b && b->type() == dtype::float32 && view.inputs[0].type == dtype::float32 &&
      (!params->has_c || (c && c->type() == dtype::float32)))
    if (auto dnnl_kernel = bind_gemm_dnnl(*params, *b, c, *precision == "bf16"))
      return std::optional{choose_gemm_kernel(std::move(blas_kernel), std::move(*dnnl_kernel),
                                              *params, *b, c, *precision == "bf16",
                                              view.after_openmp)};
  return std::optional{std::move(blas_kernel)};
}

void apply_row_epilogue(const matmul_params& p, std::int64_t batch, const float* mask, float* y,
                        std::int64_t row_begin, std::int64_t row_end) {
  const float* mm = p.has_mask ? mask + matmul_mask_offset(p, batch) : nullptr;
  const bool vector_softmax =
    p.softmax && (!mm || p.mask_col_stride == 1) && simd::avx2_loops();
  for (auto i = row_begin; i < row_end; ++i) {
    float* row = y + i * p.y_row_stride;
    if (vector_softmax) {
      simd::avx2::scaled_softmax(row, p.n, p.scale, mm ? mm + i * p.mask_row_stride : nullptr);
      continue;
    }
    if (mm && p.mask_col_stride == 1)
      simd::scale_add(row, mm + i * p.mask_row_stride, p.scale, p.n);
    else
      simd::scale_shift(row, row, p.n, p.scale, mm ? mm[i * p.mask_row_stride] : 0.0f);
    if (p.softmax)
      softmax_row_cpu(row, row, p.n, false);
  }
}

result<std::optional<cpu_kernel>> bind_matmul_cpu(const node_view& view,
                                                  std::span<const value_type> outputs) {
  auto params = matmul_params_of(view);
  if (!params)
    return params.error();
  if (outputs[0].type != dtype::float32 || element_count(outputs[0].shape) == 0 ||
      params->k == 0)
    return std::optional<cpu_kernel>{};
  // A matrix B (the weights of a dense layer; A is [..., M, K]): one product of all of A's
  // rows, [batches * M, K] x [K, N], cut into tiles as a Gemm's, with the fused bias and
  // activation applied to each tile while it is in cache. OpenBLAS on the instance's pool, not
  // oneDNN: oneDNN's matmul runs on its OpenMP team, whose closing barrier waits for every
  // team thread, and on a busy machine a thread the kernel set aside made a transformer's
  // dense layer take 40 ms instead of 0.1 (thread_pool.hpp).
  if (view.inputs[1].shape.size() == 2 && params->batch.size() + 2 == view.inputs[0].shape.size() &&
      !params->has_row_epilogue() && !params->permuted) {
    gemm_params g;
    g.m = element_count(params->batch) * params->m;
    g.n = params->n;
    g.k = params->k;
    g.has_c = params->has_bias;
    if (g.has_c)
      g.c_shape = shape_t{params->n};
    g.post = params->post;
    g.has_residual = params->has_residual;
    // Constant weights are packed once for the AVX2 tile, as onnxruntime packs them; OpenBLAS
    // would pack them again on every call (for BERT's 128-wide layers, half the call).
    if (const auto* b = view.constant(1); b && b->type() == dtype::float32)
      if (auto packed = bind_gemm_packed(g, *b))
        return std::optional{std::move(*packed)};
    return std::optional{bind_gemm_blas(g)};
  }
  // The plan fuses a residual into dense layers only; the reference takes any other.
  if (params->has_residual)
    return std::optional<cpu_kernel>{};
  if (auto packing = bind_matmul_packing(*params))
    return std::optional{std::move(*packing)};
  single_threaded_blas();
  const auto p = *params;
  // OpenBLAS reads each operand row-major or transposed, one of its strides 1.
  const auto la = blas_layout(p.a_row_stride, p.a_col_stride, p.m, p.k);
  const auto lb = blas_layout(p.b_row_stride, p.b_col_stride, p.k, p.n);
  const auto ly = blas_layout(p.y_row_stride, p.y_col_stride, p.m, p.n);
  if (!la || !lb || !ly || ly->trans != CblasNoTrans)
    return std::optional<cpu_kernel>{};
  cpu_kernel k;
  k.name = "OpenBLAS sgemm";
  k.run = [p, la = *la, lb = *lb, ldy = ly->ld](const cpu_buffers& io) {
    const auto* a = static_cast<const float*>(io.inputs[0]);
    const auto* b = static_cast<const float*>(io.inputs[1]);
    const auto* bias = p.has_bias ? static_cast<const float*>(io.inputs[2]) : nullptr;
    auto* y = static_cast<float*>(io.outputs[0]);
    const auto batches = element_count(p.batch);
    const auto threads = threads_of(io);
    // Matrices first; tiles within a matrix only when there are fewer matrices than threads.
    const auto wanted = batches < threads && p.m * p.n * p.k >= parallel_work_min
                          ? (threads + batches - 1) / batches
                          : 1;
    const auto t = tile(p.m, p.n, wanted);
    const auto per_matrix = t.row_blocks * t.col_blocks;
    parallel_for(io.pool, batches * per_matrix, 1, [&](std::int64_t begin, std::int64_t end) {
      for (auto task = begin; task < end; ++task) {
        const auto batch = task / per_matrix;
        const auto tile_index = task % per_matrix;
        const auto m0 = tile_index / t.col_blocks * t.rows;
        const auto n0 = tile_index % t.col_blocks * t.cols;
        const auto rows = std::min(t.rows, p.m - m0);
        const auto cols = std::min(t.cols, p.n - n0);
        if (rows <= 0 || cols <= 0)
          continue;
        const auto offset = matmul_offsets(p, batch);
        float* yt = y + offset.y + m0 * ldy + n0;
        cblas_sgemm(CblasRowMajor, la.trans, lb.trans, blas(rows), blas(cols), blas(p.k), 1.0f,
                    a + offset.a + m0 * p.a_row_stride, blas(la.ld),
                    b + offset.b + n0 * p.b_col_stride, blas(lb.ld), 0.0f, yt, blas(ldy));
        for (std::int64_t i = 0; i < rows && (bias || p.post.kind != activation::none); ++i) {
          if (bias)
            simd::add_scaled(yt + i * ldy, bias + n0, 1.0f, cols);
          simd::activate(yt + i * ldy, yt + i * ldy, cols, p.post);
        }
      }
    });
    // A row's softmax needs the whole row: after every tile.
    if (p.has_row_epilogue())
      parallel_for(io.pool, batches, 1, [&](std::int64_t begin, std::int64_t end) {
        for (auto batch = begin; batch < end; ++batch)
          apply_row_epilogue(p, batch, static_cast<const float*>(io.inputs.back()),
                             y + matmul_offsets(p, batch).y, 0, p.m);
      });
  };
  return std::optional{std::move(k)};
}

} // namespace hogar::nn
