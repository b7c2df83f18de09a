// pad.cu: Pad as a gather, one thread per output element, each dimension's index mapped into
// the input (or to the constant); the element type is only its size, so one kernel per size
// serves every dtype.
#include <cstring>

#include "kernels/nn/pad.cuh"

namespace hogar::nn::cuda {

namespace {

/// pad.hpp's pad_source: the input index that position j (out index - begin) of an axis of
/// extent n reads, or -1 for the constant.
__device__ __forceinline__ std::int64_t source_index(int mode, std::int64_t j, std::int64_t n) {
  if (j >= 0 && j < n)
    return j;
  if (mode == pad_mode_edge)
    return j < 0 ? 0 : n - 1;
  if (mode == pad_mode_reflect) {
    if (n == 1)
      return 0;
    const std::int64_t period = 2 * (n - 1);
    std::int64_t k = j % period;
    if (k < 0)
      k += period;
    return k < n ? k : period - k;
  }
  return -1;
}

template <class T>
__global__ void pad_kernel(const T* __restrict__ x, T* __restrict__ y, dims out, dims in,
                           dims begin, int mode, const T* value_device, T value,
                           std::int64_t n) {
  const T fill = value_device ? *value_device : value;
  for (std::int64_t i = global_index(); i < n; i += grid_stride()) {
    std::int64_t rest = i, at = 0, stride = 1;
    bool outside = false;
    for (int d = out.rank - 1; d >= 0; --d) {
      const std::int64_t o = rest % out.v[d];
      rest /= out.v[d];
      const std::int64_t j = source_index(mode, o - begin.v[d], in.v[d]);
      outside = outside || j < 0;
      at += j * stride;
      stride *= in.v[d];
    }
    y[i] = outside ? fill : x[at];
  }
}

template <class T>
void launch(const void* x, void* y, const dims& out, const dims& in, const dims& begin,
            int mode, const void* value_device, std::uint64_t value_bits, std::int64_t n,
            cudaStream_t stream) {
  T value;
  std::memcpy(&value, &value_bits, sizeof(T));
  pad_kernel<T><<<grid_blocks(n), block_threads, 0, stream>>>(
    static_cast<const T*>(x), static_cast<T*>(y), out, in, begin, mode,
    static_cast<const T*>(value_device), value, n);
}

} // namespace

cudaError_t launch_pad(const void* x, void* y, std::size_t element_size, const dims& out,
                       const dims& in, const dims& begin, int mode, const void* value_device,
                       std::uint64_t value_bits, cudaStream_t stream) {
  if (out.rank < 1 || out.rank > max_rank || in.rank != out.rank || begin.rank != out.rank)
    return cudaErrorInvalidValue;
  std::int64_t n = 1;
  for (int d = 0; d < out.rank; ++d)
    n *= out.v[d];
  if (n == 0)
    return cudaSuccess;
  return with_word(element_size, [&](auto w) {
    using T = typename decltype(w)::type;
    launch<T>(x, y, out, in, begin, mode, value_device, value_bits, n, stream);
    return cudaGetLastError();
  });
}

} // namespace hogar::nn::cuda
