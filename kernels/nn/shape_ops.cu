// shape_ops.cu: Transpose as a gather, one thread per output element; the element type is
// only its size, so one kernel per size serves every dtype.
#include "kernels/nn/shape_ops.cuh"

namespace hogar::nn::cuda {

namespace {

template <class T>
__global__ void transpose_kernel(const T* __restrict__ x, T* __restrict__ y, dims out,
                                 dims in_strides, std::int64_t n) {
  for (std::int64_t i = global_index(); i < n; i += grid_stride()) {
    std::int64_t rest = i, at = 0;
    for (int d = out.rank - 1; d >= 0; --d) {
      at += (rest % out.v[d]) * in_strides.v[d];
      rest /= out.v[d];
    }
    y[i] = x[at];
  }
}

template <class T>
void launch(const void* x, void* y, const dims& out, const dims& in_strides, std::int64_t n,
            cudaStream_t stream) {
  transpose_kernel<T><<<grid_blocks(n), block_threads, 0, stream>>>(
    static_cast<const T*>(x), static_cast<T*>(y), out, in_strides, n);
}

} // namespace

cudaError_t launch_transpose(const void* x, void* y, std::size_t element_size, const dims& out,
                             const dims& in_strides, cudaStream_t stream) {
  if (out.rank < 1 || out.rank > max_rank || in_strides.rank != out.rank)
    return cudaErrorInvalidValue;
  std::int64_t n = 1;
  for (int d = 0; d < out.rank; ++d)
    n *= out.v[d];
  if (n == 0)
    return cudaSuccess;
  return with_word(element_size, [&](auto w) {
    using T = typename decltype(w)::type;
    launch<T>(x, y, out, in_strides, n, stream);
    return cudaGetLastError();
  });
}

} // namespace hogar::nn::cuda
