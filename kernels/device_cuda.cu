// device_cuda.cu: device queries through the CUDA runtime (compiled only with HOGAR_HAVE_CUDA;
// device.cpp holds the build without CUDA).
#include "kernels/device.hpp"

#include <cuda_runtime_api.h>

namespace hogar {

int cuda_device_count() noexcept {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    // Clear the sticky "last error" so that later CUDA calls do not report this one.
    cudaGetLastError();
    return 0;
  }
  return count;
}

std::string cuda_device_summary() {
  int count = 0;
  cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    cudaGetLastError();
    return "no GPU: CUDA error " + std::to_string(static_cast<int>(status)) + " (" +
           cudaGetErrorString(status) + ")";
  }
  if (count == 0)
    return "no GPU: no CUDA device found";
  std::string out = std::to_string(count) + (count == 1 ? " GPU: " : " GPUs: ");
  for (int i = 0; i < count; ++i) {
    if (i > 0)
      out += "; ";
    cudaDeviceProp prop{};
    cudaError_t e = cudaGetDeviceProperties(&prop, i);
    if (e != cudaSuccess) {
      cudaGetLastError();
      out += "device " + std::to_string(i) + " (CUDA error " + std::to_string(static_cast<int>(e)) +
             ": " + cudaGetErrorString(e) + ")";
      continue;
    }
    out += prop.name;
    out += ", " + std::to_string(prop.totalGlobalMem >> 30) + " GiB";
  }
  return out;
}

} // namespace hogar
