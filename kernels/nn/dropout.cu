// dropout.cu: a grid-stride fill of ones, for Dropout's float masks.
#include "kernels/nn/dropout.cuh"

namespace hogar::nn::cuda {

namespace {

template <typename T>
__global__ void fill_ones_kernel(T* y, std::int64_t n) {
  for (std::int64_t i = global_index(); i < n; i += grid_stride())
    y[i] = T(1);
}

} // namespace

cudaError_t launch_fill_ones(void* y, std::int64_t n, bool double_precision,
                             cudaStream_t stream) {
  if (n <= 0)
    return cudaSuccess;
  const unsigned blocks = grid_blocks(n);
  if (double_precision)
    fill_ones_kernel<double><<<blocks, block_threads, 0, stream>>>(static_cast<double*>(y), n);
  else
    fill_ones_kernel<float><<<blocks, block_threads, 0, stream>>>(static_cast<float*>(y), n);
  return cudaGetLastError();
}

} // namespace hogar::nn::cuda
