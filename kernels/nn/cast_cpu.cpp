// cast_cpu.cpp: the fast CPU path of Cast and CastLike for every pair of dtypes: chunks of the
// elements split over the instance's threads, each a plain conversion loop (cast.hpp's
// cast_value, the reference's formula) that the compiler vectorizes; equal types copy.
#include <cstring>

#include "kernels/nn/cast.hpp"
#include "kernels/nn/thread_pool.hpp"

namespace hogar::nn {

namespace {

/// Elements per chunk a thread takes: a conversion costs about a cycle.
constexpr std::int64_t grain_elements = 16384;

template <class To, bool ToBool, class From, bool FromBool>
void convert(const From* x, To* y, std::int64_t n) {
  // `omp simd`: see compare_cpu.cpp. Conversions GCC cannot do without a branch (the
  // saturating floating -> integer ones) may stay scalar.
#pragma omp simd
  for (std::int64_t i = 0; i < n; ++i) y[i] = cast_value<To, ToBool, From, FromBool>(x[i]);
}

} // namespace

result<std::optional<cpu_kernel>> bind_cast_cpu(const node_view& view,
                                                std::span<const value_type> outputs) {
  const auto from = view.inputs[0].type, to = outputs[0].type;
  const auto n = element_count(outputs[0].shape);
  cpu_kernel k;
  if (from == to) {
    const auto size = dtype_size(to);
    k.run = [n, size](const cpu_buffers& io) {
      const auto* x = static_cast<const char*>(io.inputs[0]);
      auto* y = static_cast<char*>(io.outputs[0]);
      parallel_for(io.pool, n, grain_elements * 4, [&](std::int64_t begin, std::int64_t end) {
        std::memcpy(y + begin * size, x + begin * size, static_cast<std::size_t>(end - begin) * size);
      });
    };
    return std::optional{std::move(k)};
  }
  k.run = [from, to, n](const cpu_buffers& io) {
    visit_cast_type(from, [&](auto from_zero, auto from_bool) {
      visit_cast_type(to, [&](auto to_zero, auto to_bool) {
        using From = decltype(from_zero);
        using To = decltype(to_zero);
        const auto* x = static_cast<const From*>(io.inputs[0]);
        auto* y = static_cast<To*>(io.outputs[0]);
        parallel_for(io.pool, n, grain_elements, [&](std::int64_t begin, std::int64_t end) {
          convert<To, decltype(to_bool)::value, From, decltype(from_bool)::value>(
            x + begin, y + begin, end - begin);
        });
      });
    });
  };
  return std::optional{std::move(k)};
}

} // namespace hogar::nn
