// shape_ops_gpu.cpp: the data movement ops on the GPU, for every dtype: Transpose (shape_ops.cu,
// with dimensions that stay neighbours merged), Concat (one 2-D device copy per input), and
// the copy that Reshape, Flatten and Identity would need if they were not views.
#include <climits>

#include <fmt/format.h>

#include "kernels/nn/gpu.hpp"
#include "kernels/nn/shape_ops.cuh"
#include "kernels/nn/shape_ops.hpp"

namespace hogar::nn {

result<gpu_kernel> bind_transpose_gpu(const node_view& view, std::span<const value_type> outputs,
                                      const gpu_context& ctx) {
  auto params = transpose_params_of(view);
  if (!params)
    return params.error();
  const auto& p = *params;
  const auto rank = p.in_shape.size();
  // Row-major strides of the input, read in output dimension order.
  std::vector<std::int64_t> in_strides(rank, 1);
  for (std::size_t d = rank; d-- > 1;)
    in_strides[d - 1] = in_strides[d] * p.in_shape[d];
  std::vector<std::int64_t> out, strides;
  for (std::size_t d = 0; d < rank; ++d) {
    const auto extent = p.out_shape[d];
    const auto stride = in_strides[static_cast<std::size_t>(p.perm[d])];
    if (extent == 1)
      continue;
    // Output neighbours that are input neighbours in the same order move as one dimension.
    if (!out.empty() && strides.back() == stride * extent) {
      out.back() *= extent;
      strides.back() = stride;
      continue;
    }
    out.push_back(extent);
    strides.push_back(stride);
  }
  if (out.empty()) {
    out.push_back(1);
    strides.push_back(0);
  }
  const auto extents = to_dims(out, "the transposed output");
  const auto gather = to_dims(strides, "the input's strides");
  const std::size_t element_size = dtype_size(outputs[0].type);
  gpu_kernel k;
  k.run = [=, stream = ctx.stream](const gpu_buffers& io) {
    check(cuda::launch_transpose(io.inputs[0], io.outputs[0], element_size, extents, gather,
                                 stream),
          "transpose kernel");
  };
  return k;
}

result<gpu_kernel> bind_concat_gpu(const node_view& view, std::span<const value_type> outputs,
                                   const gpu_context& ctx) {
  auto params = concat_params_of(view);
  if (!params)
    return params.error();
  const auto& p = *params;
  const std::size_t element_size = dtype_size(outputs[0].type);
  std::int64_t row = 0;
  for (auto run : p.input_runs)
    row += run;
  const std::size_t row_bytes = static_cast<std::size_t>(row) * element_size;
  const std::size_t rows = static_cast<std::size_t>(p.outer);
  // Each input fills a column band of the output seen as [outer, row] elements.
  std::vector<std::size_t> band_offsets, band_bytes;
  std::size_t offset = 0;
  for (auto run : p.input_runs) {
    band_offsets.push_back(offset);
    band_bytes.push_back(static_cast<std::size_t>(run) * element_size);
    offset += band_bytes.back();
  }
  // cudaMemcpy2DAsync takes pitches up to the device's limit (2^31 - 1 bytes on current
  // GPUs); rows longer than that are copied one at a time.
  const bool row_by_row = row_bytes > static_cast<std::size_t>(INT_MAX);
  gpu_kernel k;
  k.run = [=, stream = ctx.stream](const gpu_buffers& io) {
    auto* y = static_cast<char*>(io.outputs[0]);
    for (std::size_t i = 0; i < band_bytes.size(); ++i) {
      const std::size_t width = band_bytes[i];
      if (width == 0 || rows == 0)
        continue;
      const auto* x = static_cast<const char*>(io.inputs[i]);
      if (rows == 1) {
        check(cudaMemcpyAsync(y + band_offsets[i], x, width, cudaMemcpyDeviceToDevice, stream),
              "cudaMemcpyAsync");
      } else if (!row_by_row) {
        check(cudaMemcpy2DAsync(y + band_offsets[i], row_bytes, x, width, width, rows,
                                cudaMemcpyDeviceToDevice, stream),
              "cudaMemcpy2DAsync");
      } else {
        for (std::size_t r = 0; r < rows; ++r)
          check(cudaMemcpyAsync(y + r * row_bytes + band_offsets[i], x + r * width, width,
                                cudaMemcpyDeviceToDevice, stream),
                "cudaMemcpyAsync");
      }
    }
  };
  return k;
}

result<gpu_kernel> bind_copy_gpu(const node_view& view, std::span<const value_type> outputs,
                                 const gpu_context& ctx) {
  const std::size_t bytes =
    static_cast<std::size_t>(element_count(outputs[0].shape)) * dtype_size(outputs[0].type);
  gpu_kernel k;
  k.run = [=, stream = ctx.stream](const gpu_buffers& io) {
    if (bytes > 0)
      check(cudaMemcpyAsync(io.outputs[0], io.inputs[0], bytes, cudaMemcpyDeviceToDevice, stream),
            "cudaMemcpyAsync");
  };
  return k;
}

} // namespace hogar::nn
