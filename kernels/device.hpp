// device.hpp: what GPUs this process can use, for the node's resources, `hogard --version`
// and tests that skip without a GPU. Built without CUDA, or on a machine without a driver or
// device, both report no GPU and say why; they never fail.
#pragma once

#include <string>

namespace hogar {

/// CUDA devices visible to this process; 0 when built without CUDA or when the runtime reports
/// an error (no driver: cudaErrorInsufficientDriver, 35; no device: cudaErrorNoDevice, 100).
int cuda_device_count() noexcept;

/// One line: "1 GPU: NVIDIA H200, 139 GiB", "2 GPUs: A, 79 GiB; B, 79 GiB",
/// "no GPU: built without CUDA", "no GPU: CUDA error 35 (CUDA driver version is insufficient
/// for CUDA runtime version)" or "no GPU: no CUDA device found". Memory in whole GiB, rounded
/// down.
std::string cuda_device_summary();

} // namespace hogar
