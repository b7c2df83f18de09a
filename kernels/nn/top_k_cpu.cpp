// top_k_cpu.cpp: the fast CPU path of TopK. Slices are tasks handed to the instance's threads;
// each copies its slice with the indices into a scratch slot (contiguous even when the axis is
// strided), partitions it around its k-th element (std::nth_element, linear on average) and
// sorts the first k: O(n + k log k) per slice where the reference sorts all n. The order is
// top_k.hpp's total one, so the result equals the reference's exactly.
#include <algorithm>

#include "kernels/nn/scratch_slots.hpp"
#include "kernels/nn/top_k.hpp"

namespace hogar::nn {

namespace {

template <class T>
struct entry {
  T value;
  std::int64_t index;
};

/// Largest workspace the slots may take together; fewer slots run at once when slices are
/// long.
constexpr std::size_t workspace_bytes_max = std::size_t{64} << 20;

template <class T>
void top_k_slice(const top_k_params& p, const T* x, T* values, std::int64_t* indices,
                 entry<T>* scratch, std::int64_t slice) {
  const auto o = slice / p.inner, i = slice % p.inner;
  const T* s = x + o * p.axis_size * p.inner + i;
  for (std::int64_t j = 0; j < p.axis_size; ++j)
    scratch[j] = {s[j * p.inner], j};
  auto before = [largest = p.largest](const entry<T>& a, const entry<T>& b) {
    return top_k_before(largest, a.value, a.index, b.value, b.index);
  };
  if (p.k < p.axis_size)
    std::nth_element(scratch, scratch + p.k, scratch + p.axis_size, before);
  std::sort(scratch, scratch + p.k, before);
  for (std::int64_t j = 0; j < p.k; ++j) {
    const auto at = (o * p.k + j) * p.inner + i;
    if (values)
      values[at] = scratch[j].value;
    if (indices)
      indices[at] = scratch[j].index;
  }
}

template <class T>
cpu_kernel make_kernel(const top_k_params& p) {
  const auto slot_bytes = static_cast<std::size_t>(p.axis_size) * sizeof(entry<T>);
  const auto fitting = static_cast<std::int64_t>(workspace_bytes_max / std::max<std::size_t>(1, slot_bytes));
  const auto slots = std::clamp<std::int64_t>(fitting, 1, scratch_slot_count());
  cpu_kernel k;
  k.workspace_bytes = static_cast<std::size_t>(slots) * slot_bytes;
  k.run = [p, slots, slot_bytes](const cpu_buffers& io) {
    if (p.k == 0)
      return;
    const auto* x = static_cast<const T*>(io.inputs[0]);
    auto* values = static_cast<T*>(io.outputs[0]);
    auto* indices = io.outputs.size() > 1 ? static_cast<std::int64_t*>(io.outputs[1]) : nullptr;
    auto* base = static_cast<char*>(io.workspace);
    parallel_with_slots(io.pool, p.outer * p.inner, slots,
                        [&](std::int64_t slot, std::int64_t slice) {
                          auto* scratch = reinterpret_cast<entry<T>*>(
                            base + static_cast<std::size_t>(slot) * slot_bytes);
                          top_k_slice(p, x, values, indices, scratch, slice);
                        });
  };
  return k;
}

} // namespace

result<std::optional<cpu_kernel>> bind_top_k_cpu(const node_view& view,
                                                 std::span<const value_type>) {
  auto params = top_k_params_of(view);
  if (!params)
    return params.error();
  const auto& p = *params;
  switch (view.inputs[0].type) {
    case dtype::float32: return std::optional{make_kernel<float>(p)};
    case dtype::float64: return std::optional{make_kernel<double>(p)};
    case dtype::int8: return std::optional{make_kernel<std::int8_t>(p)};
    case dtype::uint8: return std::optional{make_kernel<std::uint8_t>(p)};
    case dtype::int32: return std::optional{make_kernel<std::int32_t>(p)};
    case dtype::int64: return std::optional{make_kernel<std::int64_t>(p)};
    default: return std::optional<cpu_kernel>{};
  }
}

} // namespace hogar::nn
