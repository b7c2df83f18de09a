// lrn.cuh: the CUDA launcher of LRN on float32 (lrn_gpu.cpp binds nodes to it).
#pragma once

#include <cstdint>

#include "kernels/nn/gpu_common.cuh"

namespace hogar::nn::cuda {

/// lrn.hpp's lrn_params as plain values.
struct lrn_geometry {
  std::int64_t batch = 0, channels = 0, spatial = 1, size = 1, before = 0, after = 0;
  float alpha = 1e-4f, beta = 0.75f, bias = 1.0f;
};

/// x, y [batch, channels, spatial]: one thread per output element, the window's squares
/// summed in float.
cudaError_t launch_lrn(const float* x, float* y, const lrn_geometry& g, cudaStream_t stream);

} // namespace hogar::nn::cuda
