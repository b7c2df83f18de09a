// nary.cu: Mean's division, one thread per element in a grid-stride loop (the steps of Sum,
// Max, Min and Mean run on binary.cu's broadcast kernel).
#include "kernels/nn/nary.cuh"

namespace hogar::nn::cuda {

namespace {

template <typename T>
__global__ void divide_kernel(T* y, std::int64_t n, T divisor) {
  for (std::int64_t i = global_index(); i < n; i += grid_stride())
    y[i] = y[i] / divisor;
}

} // namespace

cudaError_t launch_nary_divide(int element, void* y, std::int64_t n, double divisor,
                               cudaStream_t stream) {
  if (n <= 0)
    return cudaSuccess;
  switch (element) {
    case nary_float32:
      divide_kernel<float><<<grid_blocks(n), block_threads, 0, stream>>>(
        static_cast<float*>(y), n, static_cast<float>(divisor));
      break;
    case nary_float64:
      divide_kernel<double><<<grid_blocks(n), block_threads, 0, stream>>>(
        static_cast<double*>(y), n, divisor);
      break;
    default: return cudaErrorInvalidValue;
  }
  return cudaGetLastError();
}

} // namespace hogar::nn::cuda
