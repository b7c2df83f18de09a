// where.cu: Where's kernel. One thread per output element in a grid-stride loop; the caller
// merged the dimensions that all three inputs broadcast alike, so the usual cases (same
// shapes, a scalar X or Y, a mask broadcast over rows) run with one or two dimensions.
#include <cstdint>

#include "kernels/nn/where.cuh"

namespace hogar::nn::cuda {

namespace {

/// Contiguous runs only (each input steps by 1 or by 0 along one dimension).
template <typename U>
__global__ void where_flat_kernel(const std::uint8_t* __restrict__ c, std::int64_t sc,
                                  const U* __restrict__ x, std::int64_t sx,
                                  const U* __restrict__ y, std::int64_t sy, U* __restrict__ z,
                                  std::int64_t n) {
  for (std::int64_t i = global_index(); i < n; i += grid_stride())
    z[i] = c[i * sc] != 0 ? x[i * sx] : y[i * sy];
}

template <typename U>
__global__ void where_strided_kernel(const std::uint8_t* __restrict__ c,
                                     const U* __restrict__ x, const U* __restrict__ y,
                                     U* __restrict__ z, dims out, dims c_strides, dims x_strides,
                                     dims y_strides, std::int64_t n) {
  for (std::int64_t i = global_index(); i < n; i += grid_stride()) {
    std::int64_t rest = i, ic = 0, ix = 0, iy = 0;
    for (int d = out.rank - 1; d >= 0; --d) {
      const std::int64_t index = rest % out.v[d];
      rest /= out.v[d];
      ic += index * c_strides.v[d];
      ix += index * x_strides.v[d];
      iy += index * y_strides.v[d];
    }
    z[i] = c[ic] != 0 ? x[ix] : y[iy];
  }
}

template <typename U>
cudaError_t launch(const void* c_bytes, const void* x_bytes, const void* y_bytes, void* z_bytes,
                   const dims& out, const dims& sc, const dims& sx, const dims& sy,
                   std::int64_t n, cudaStream_t stream) {
  const auto* c = static_cast<const std::uint8_t*>(c_bytes);
  const auto* x = static_cast<const U*>(x_bytes);
  const auto* y = static_cast<const U*>(y_bytes);
  auto* z = static_cast<U*>(z_bytes);
  const unsigned blocks = grid_blocks(n);
  if (out.rank == 1)
    where_flat_kernel<U>
      <<<blocks, block_threads, 0, stream>>>(c, sc.v[0], x, sx.v[0], y, sy.v[0], z, n);
  else
    where_strided_kernel<U><<<blocks, block_threads, 0, stream>>>(c, x, y, z, out, sc, sx, sy, n);
  return cudaGetLastError();
}

} // namespace

cudaError_t launch_where(int element_bytes, const void* c, const void* x, const void* y, void* z,
                         const dims& out, const dims& c_strides, const dims& x_strides,
                         const dims& y_strides, cudaStream_t stream) {
  const std::int64_t n = broadcast_element_count(out, x_strides, y_strides);
  if (n < 0 || c_strides.rank != out.rank)
    return cudaErrorInvalidValue;
  if (n == 0)
    return cudaSuccess;
  return with_word(static_cast<std::size_t>(element_bytes), [&](auto w) {
    using T = typename decltype(w)::type;
    return launch<T>(c, x, y, z, out, c_strides, x_strides, y_strides, n, stream);
  });
}

} // namespace hogar::nn::cuda
