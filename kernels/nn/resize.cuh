// resize.cuh: the CUDA launcher of Resize and Upsample on float32 (resize_gpu.cpp binds nodes
// to it).
#pragma once

#include <cstdint>

#include "kernels/nn/gpu_common.cuh"

namespace hogar::nn::cuda {

constexpr int resize_max_rank = 8;

/// resize.hpp's resize_params, as plain values (the enums as their int values).
struct resize_geometry {
  int rank = 0;
  int mode = 0;         // nearest, linear, cubic
  int coordinates = 0;  // half_pixel, pytorch_half_pixel, align_corners, asymmetric,
                        // tf_half_pixel_for_nn, tf_crop_and_resize
  int rounding = 0;     // round_prefer_floor, round_prefer_ceil, floor, ceil
  int exclude_outside = 0;
  double cubic_a = -0.75;
  float extrapolation = 0;
  std::int64_t in[resize_max_rank] = {};
  std::int64_t out[resize_max_rank] = {};
  double scale[resize_max_rank] = {};
  double roi_start[resize_max_rank] = {};
  double roi_end[resize_max_rank] = {};
};

/// x [in...] -> y [out...]: each output element the sum over one tap per axis of the input
/// element there times the taps' weights, with the taps resize_ref.cpp's resize_taps_of
/// defines (computed in double, summed in float).
cudaError_t launch_resize(const float* x, float* y, const resize_geometry& g,
                          cudaStream_t stream);

} // namespace hogar::nn::cuda
