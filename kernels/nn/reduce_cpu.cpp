// reduce_cpu.cpp: the fast CPU path of the reductions and of ArgMax / ArgMin, float32, over
// the [outer, reduced, inner] view of reduce.hpp. Contiguous rows (inner == 1: the last axes,
// LayerNorm's mean, the spatial axes of NCHW) accumulate in 16 float lanes, so the loops
// vectorise and rounding grows with n / 16 rather than n; rows are split over the threads, and
// a few very long rows (every axis reduced) are cut into chunks whose partial results meet in
// the workspace. Strided slices (inner > 1: a channel reduction) run 64 neighbours at a time,
// each pass reading whole runs of 64. Reductions over several separate runs of axes fall back
// to the reference.
#include <algorithm>
#include <cmath>
#include <limits>

#include "kernels/nn/reduce.hpp"
#include "kernels/nn/thread_pool.hpp"

namespace hogar::nn {

namespace {

/// What one sweep over the values accumulates; a reduction is one or two of them (LogSumExp:
/// the maximum, then the sum of exp(x - max)).
enum class pass : std::uint8_t { sum, sum_square, sum_abs, prod, max, min, sum_exp };

template <pass P, class T>
constexpr T identity() {
  if constexpr (P == pass::prod) return T{1};
  else if constexpr (P == pass::max) return -std::numeric_limits<T>::infinity();
  else if constexpr (P == pass::min) return std::numeric_limits<T>::infinity();
  else return T{0};
}

/// One value into an accumulator. Max and Min keep a NaN once met (`v != v` takes it, and no
/// comparison with a NaN accumulator is true), as numpy's do.
template <pass P, class T>
inline T step(T acc, T v, T shift) {
  if constexpr (P == pass::sum) return acc + v;
  else if constexpr (P == pass::sum_square) return acc + v * v;
  else if constexpr (P == pass::sum_abs) return acc + std::fabs(v);
  else if constexpr (P == pass::prod) return acc * v;
  else if constexpr (P == pass::max) return (v > acc || v != v) ? v : acc;
  else if constexpr (P == pass::min) return (v < acc || v != v) ? v : acc;
  else return acc + std::exp(v - shift);
}

/// Two partial results into one.
template <pass P>
inline double combine(double a, double b) {
  if constexpr (P == pass::prod) return a * b;
  else if constexpr (P == pass::max) return (b > a || b != b) ? b : a;
  else if constexpr (P == pass::min) return (b < a || b != b) ? b : a;
  else return a + b;
}

constexpr std::int64_t lanes = 16;

template <pass P>
double row_pass(const float* x, std::int64_t n, float shift) {
  float acc[lanes];
  std::fill(acc, acc + lanes, identity<P, float>());
  std::int64_t j = 0;
  for (; j + lanes <= n; j += lanes)
    for (std::int64_t l = 0; l < lanes; ++l)
      acc[l] = step<P>(acc[l], x[j + l], shift);
  for (; j < n; ++j)
    acc[0] = step<P>(acc[0], x[j], shift);
  double total = identity<P, double>();
  for (std::int64_t l = 0; l < lanes; ++l)
    total = combine<P>(total, acc[l]);
  return total;
}

double run_row_pass(pass p, const float* x, std::int64_t n, float shift) {
  switch (p) {
    case pass::sum: return row_pass<pass::sum>(x, n, shift);
    case pass::sum_square: return row_pass<pass::sum_square>(x, n, shift);
    case pass::sum_abs: return row_pass<pass::sum_abs>(x, n, shift);
    case pass::prod: return row_pass<pass::prod>(x, n, shift);
    case pass::max: return row_pass<pass::max>(x, n, shift);
    case pass::min: return row_pass<pass::min>(x, n, shift);
    case pass::sum_exp: return row_pass<pass::sum_exp>(x, n, shift);
  }
  return 0;
}

double combine_of(pass p, double a, double b) {
  switch (p) {
    case pass::prod: return combine<pass::prod>(a, b);
    case pass::max: return combine<pass::max>(a, b);
    case pass::min: return combine<pass::min>(a, b);
    default: return a + b;
  }
}

double identity_of(pass p) {
  switch (p) {
    case pass::prod: return 1;
    case pass::max: return identity<pass::max, double>();
    case pass::min: return identity<pass::min, double>();
    default: return 0;
  }
}

/// The pass a reduction accumulates (LogSumExp's second one; its first is max).
pass main_pass(reduce_kind k) {
  switch (k) {
    case reduce_kind::sum_square:
    case reduce_kind::l2: return pass::sum_square;
    case reduce_kind::l1: return pass::sum_abs;
    case reduce_kind::prod: return pass::prod;
    case reduce_kind::max: return pass::max;
    case reduce_kind::min: return pass::min;
    case reduce_kind::log_sum_exp: return pass::sum_exp;
    default: return pass::sum;
  }
}

/// The output from the accumulated value (and LogSumExp's maximum `m`).
float finish(reduce_kind k, double acc, double m, std::int64_t n) {
  switch (k) {
    case reduce_kind::mean: return static_cast<float>(acc / static_cast<double>(n));
    case reduce_kind::l2: return static_cast<float>(std::sqrt(acc));
    case reduce_kind::log_sum: return static_cast<float>(std::log(acc));
    case reduce_kind::log_sum_exp:
      // A NaN or an infinite maximum is the answer (exp(inf - inf) would make NaN).
      return static_cast<float>(std::isnan(m) || std::isinf(m) ? m : m + std::log(acc));
    default: return static_cast<float>(acc);
  }
}

float reduce_row(reduce_kind k, const float* x, std::int64_t n) {
  const auto p = main_pass(k);
  double m = 0;
  if (k == reduce_kind::log_sum_exp) {
    m = row_pass<pass::max>(x, n, 0);
    if (std::isnan(m) || std::isinf(m))
      return static_cast<float>(m);
  }
  return finish(k, run_row_pass(p, x, n, static_cast<float>(m)), m, n);
}

/// Neighbouring slices done together when slices are `inner` apart.
constexpr std::int64_t tile_width = 64;

template <pass P>
void tile_pass(const float* x, std::int64_t n, std::int64_t inner, std::int64_t width,
               const float* shift, float* acc) {
  std::fill(acc, acc + width, identity<P, float>());
  for (std::int64_t r = 0; r < n; ++r) {
    const float* row = x + r * inner;
    for (std::int64_t i = 0; i < width; ++i)
      acc[i] = step<P>(acc[i], row[i], shift ? shift[i] : 0.0f);
  }
}

void run_tile_pass(pass p, const float* x, std::int64_t n, std::int64_t inner,
                   std::int64_t width, const float* shift, float* acc) {
  switch (p) {
    case pass::sum: return tile_pass<pass::sum>(x, n, inner, width, nullptr, acc);
    case pass::sum_square: return tile_pass<pass::sum_square>(x, n, inner, width, nullptr, acc);
    case pass::sum_abs: return tile_pass<pass::sum_abs>(x, n, inner, width, nullptr, acc);
    case pass::prod: return tile_pass<pass::prod>(x, n, inner, width, nullptr, acc);
    case pass::max: return tile_pass<pass::max>(x, n, inner, width, nullptr, acc);
    case pass::min: return tile_pass<pass::min>(x, n, inner, width, nullptr, acc);
    case pass::sum_exp: return tile_pass<pass::sum_exp>(x, n, inner, width, shift, acc);
  }
}

/// Rows this long or longer, when there are few of them, are cut into chunks.
constexpr std::int64_t split_row_min = 65536;
constexpr std::int64_t split_rows_max = 8;
constexpr std::int64_t chunk_length = 16384;
constexpr std::int64_t chunks_max = 64;

} // namespace

result<std::optional<cpu_kernel>> bind_reduce_cpu(const node_view& view,
                                                  std::span<const value_type> outputs) {
  auto params = reduce_params_of(view);
  if (!params)
    return params.error();
  const auto& p = *params;
  // The reference serves copies, empty reductions, other dtypes and scattered axes.
  if (outputs[0].type != dtype::float32 || p.copy || !p.one_run || p.reduced_count == 0 ||
      p.output_count == 0)
    return std::optional<cpu_kernel>{};
  const auto kind = p.kind;
  const auto outer = p.outer, n = p.reduced_count, inner = p.inner;
  cpu_kernel k;
  if (inner == 1 && outer <= split_rows_max && n >= split_row_min) {
    const auto chunks = std::min(chunks_max, (n + chunk_length - 1) / chunk_length);
    const auto chunk = (n + chunks - 1) / chunks;
    // One partial per chunk, then one maximum per row (LogSumExp).
    k.workspace_bytes = static_cast<std::size_t>(outer * (chunks + 1)) * sizeof(double);
    k.run = [=](const cpu_buffers& io) {
      const auto* x = static_cast<const float*>(io.inputs[0]);
      auto* y = static_cast<float*>(io.outputs[0]);
      auto* partial = static_cast<double*>(io.workspace);
      double* row_max = partial + outer * chunks;
      auto sweep = [&](pass ps, bool shifted) {
        parallel_for(io.pool, outer * chunks, 1, [&](std::int64_t begin, std::int64_t end) {
          for (auto t = begin; t < end; ++t) {
            const auto o = t / chunks, c = t % chunks;
            const auto j0 = std::min(n, c * chunk), j1 = std::min(n, j0 + chunk);
            partial[t] = run_row_pass(ps, x + o * n + j0, j1 - j0,
                                      shifted ? static_cast<float>(row_max[o]) : 0.0f);
          }
        });
        for (std::int64_t o = 0; o < outer; ++o) {
          double total = identity_of(ps);
          for (std::int64_t c = 0; c < chunks; ++c)
            total = combine_of(ps, total, partial[o * chunks + c]);
          partial[o * chunks] = total;
        }
      };
      if (kind == reduce_kind::log_sum_exp) {
        sweep(pass::max, false);
        // A row without a finite maximum gets NaNs in its sums; finish() answers the maximum.
        for (std::int64_t o = 0; o < outer; ++o)
          row_max[o] = partial[o * chunks];
        sweep(pass::sum_exp, true);
        for (std::int64_t o = 0; o < outer; ++o)
          y[o] = finish(kind, partial[o * chunks], row_max[o], n);
        return;
      }
      sweep(main_pass(kind), false);
      for (std::int64_t o = 0; o < outer; ++o)
        y[o] = finish(kind, partial[o * chunks], 0, n);
    };
    return std::optional{std::move(k)};
  }
  if (inner == 1) {
    k.run = [=](const cpu_buffers& io) {
      const auto* x = static_cast<const float*>(io.inputs[0]);
      auto* y = static_cast<float*>(io.outputs[0]);
      const auto grain = std::max<std::int64_t>(1, 8192 / n);
      parallel_for(io.pool, outer, grain, [&](std::int64_t begin, std::int64_t end) {
        for (auto o = begin; o < end; ++o)
          y[o] = reduce_row(kind, x + o * n, n);
      });
    };
    return std::optional{std::move(k)};
  }
  k.run = [=](const cpu_buffers& io) {
    const auto* x = static_cast<const float*>(io.inputs[0]);
    auto* y = static_cast<float*>(io.outputs[0]);
    const auto tiles = (inner + tile_width - 1) / tile_width;
    const auto grain = std::max<std::int64_t>(1, 64 / n);
    parallel_for(io.pool, outer * tiles, grain, [&](std::int64_t begin, std::int64_t end) {
      float acc[tile_width], shift[tile_width];
      for (auto t = begin; t < end; ++t) {
        const auto o = t / tiles, i0 = t % tiles * tile_width;
        const auto width = std::min(tile_width, inner - i0);
        const float* xs = x + o * n * inner + i0;
        float* ys = y + o * inner + i0;
        if (kind == reduce_kind::log_sum_exp) {
          tile_pass<pass::max>(xs, n, inner, width, nullptr, shift);
          for (std::int64_t i = 0; i < width; ++i)
            ys[i] = shift[i];
          // A lane without a finite maximum keeps it as its answer; its shift is unused.
          for (std::int64_t i = 0; i < width; ++i)
            if (std::isnan(shift[i]) || std::isinf(shift[i]))
              shift[i] = 0.0f;
          tile_pass<pass::sum_exp>(xs, n, inner, width, shift, acc);
          for (std::int64_t i = 0; i < width; ++i)
            if (!std::isnan(ys[i]) && !std::isinf(ys[i]))
              ys[i] = finish(kind, acc[i], shift[i], n);
          continue;
        }
        run_tile_pass(main_pass(kind), xs, n, inner, width, nullptr, acc);
        for (std::int64_t i = 0; i < width; ++i)
          ys[i] = finish(kind, acc[i], 0, n);
      }
    });
  };
  return std::optional{std::move(k)};
}

result<std::optional<cpu_kernel>> bind_arg_reduce_cpu(const node_view& view,
                                                      std::span<const value_type>) {
  auto params = arg_reduce_params_of(view);
  if (!params)
    return params.error();
  if (view.inputs[0].type != dtype::float32)
    return std::optional<cpu_kernel>{};
  const auto p = *params;
  cpu_kernel k;
  k.run = [p](const cpu_buffers& io) {
    const auto* x = static_cast<const float*>(io.inputs[0]);
    auto* y = static_cast<std::int64_t*>(io.outputs[0]);
    const auto n = p.axis_size, inner = p.inner;
    const auto tiles = (inner + tile_width - 1) / tile_width;
    const auto grain = std::max<std::int64_t>(1, 4096 / (n * std::min(inner, tile_width)));
    // Each (outer, tile of up to 64 slices) keeps its best value and index per slice; rows
    // are read whole, so the strided case reads memory in order too.
    parallel_for(io.pool, p.outer * tiles, grain, [&](std::int64_t begin, std::int64_t end) {
      float best[tile_width];
      std::int64_t index[tile_width];
      for (auto t = begin; t < end; ++t) {
        const auto o = t / tiles, i0 = t % tiles * tile_width;
        const auto width = std::min(tile_width, inner - i0);
        const float* xs = x + o * n * inner + i0;
        std::copy(xs, xs + width, best);
        std::fill(index, index + width, 0);
        for (std::int64_t j = 1; j < n; ++j) {
          const float* row = xs + j * inner;
          for (std::int64_t i = 0; i < width; ++i) {
            const float v = row[i], b = best[i];
            // NaN is the extreme: the first wins, the last with select_last_index.
            const bool take = b != b ? (p.select_last && v != v)
                                     : (v != v || (p.is_max ? v > b : v < b) ||
                                        (p.select_last && v == b));
            if (take) {
              best[i] = v;
              index[i] = j;
            }
          }
        }
        std::copy(index, index + width, y + o * inner + i0);
      }
    });
  };
  return std::optional{std::move(k)};
}

} // namespace hogar::nn
