// The build without CUDA; with CUDA, device_cuda.cu defines these functions instead.
#include "kernels/device.hpp"

#ifndef HOGAR_HAVE_CUDA

namespace hogar {

int cuda_device_count() noexcept {
  return 0;
}

std::string cuda_device_summary() {
  return "no GPU: built without CUDA";
}

} // namespace hogar

#endif
