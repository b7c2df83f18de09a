// gather.cu: Gather's kernels. One thread per output element in a grid-stride loop, each
// normalizing its index (neighbouring threads copy neighbouring elements of a row); an index
// outside the axis is recorded (gpu_fault.cuh), then one thread writes down the value of the
// lowest offending element, which the grid cannot agree on without a second launch.
#include <cstdint>

#include "kernels/nn/gather.cuh"

namespace hogar::nn::cuda {

namespace {

template <typename U, typename I>
__global__ void gather_kernel(const U* __restrict__ data, const I* __restrict__ indices,
                              U* __restrict__ out, std::int64_t extent, std::int64_t inner,
                              std::int64_t count, std::int64_t n, fault* f) {
  for (std::int64_t i = global_index(); i < n; i += grid_stride()) {
    const std::int64_t k = i % inner;
    const std::int64_t pair = i / inner;
    const std::int64_t j = pair % count;
    const std::int64_t o = pair / count;
    const std::int64_t index = indices[j];
    const std::int64_t row = index < 0 ? index + extent : index;
    if (row < 0 || row >= extent) {
      report_fault(f, j);
      out[i] = U{};
    } else {
      out[i] = data[(o * extent + row) * inner + k];
    }
  }
}

/// After gather_kernel: the value of the element it recorded, if any.
template <typename I>
__global__ void fault_value_kernel(const I* __restrict__ indices, fault* f) {
  if (f->lowest_complement != 0)
    f->value = indices[static_cast<std::int64_t>(~f->lowest_complement)];
}

template <typename U, typename I>
cudaError_t launch_indexed(const void* data, const void* indices, void* out,
                           std::int64_t extent, std::int64_t inner, std::int64_t count,
                           std::int64_t n, fault* f, cudaStream_t stream) {
  const auto* i = static_cast<const I*>(indices);
  gather_kernel<U, I><<<grid_blocks(n), block_threads, 0, stream>>>(
    static_cast<const U*>(data), i, static_cast<U*>(out), extent, inner, count, n, f);
  fault_value_kernel<I><<<1, 1, 0, stream>>>(i, f);
  return cudaGetLastError();
}

template <typename U>
cudaError_t launch(const void* data, const void* indices, bool indices_int64, void* out,
                   std::int64_t extent, std::int64_t inner, std::int64_t count, std::int64_t n,
                   fault* f, cudaStream_t stream) {
  if (indices_int64)
    return launch_indexed<U, std::int64_t>(data, indices, out, extent, inner, count, n, f,
                                           stream);
  return launch_indexed<U, std::int32_t>(data, indices, out, extent, inner, count, n, f, stream);
}

} // namespace

cudaError_t launch_gather(int element_bytes, const void* data, const void* indices,
                          bool indices_int64, void* out, std::int64_t outer, std::int64_t extent,
                          std::int64_t inner, std::int64_t count, fault* f, cudaStream_t stream) {
  if (outer < 0 || extent < 0 || inner < 0 || count < 0 || !f)
    return cudaErrorInvalidValue;
  const std::int64_t n = outer * count * inner;
  if (n == 0)
    return cudaSuccess;
  return with_word(static_cast<std::size_t>(element_bytes), [&](auto w) {
    using T = typename decltype(w)::type;
    return launch<T>(data, indices, indices_int64, out, extent, inner, count, n, f, stream);
  });
}

} // namespace hogar::nn::cuda
