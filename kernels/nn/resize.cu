// resize.cu: Resize and Upsample on float32, one thread per output element; the taps of each
// axis follow resize_ref.cpp's resize_taps_of line for line.
#include "kernels/nn/resize.cuh"

namespace hogar::nn::cuda {

namespace {

struct taps {
  int count;
  bool outside;
  std::int64_t index[4];
  float weight[4];
};

__device__ taps taps_of(const resize_geometry& g, int axis, std::int64_t out) {
  const std::int64_t in_extent = g.in[axis];
  const double in = static_cast<double>(in_extent);
  const double scale = g.scale[axis];
  const double out_extent = scale * in;
  const double x = static_cast<double>(out);
  double source = 0;
  switch (g.coordinates) {
    case 0: source = (x + 0.5) / scale - 0.5; break;
    case 1: source = out_extent == 1 ? -0.5 : (x + 0.5) / scale - 0.5; break;
    case 2: source = out_extent == 1 ? 0 : x * (in - 1) / (out_extent - 1); break;
    case 3: source = x / scale; break;
    case 4: source = (x + 0.5) / scale; break;
    default: {
      const double start = g.roi_start[axis], end = g.roi_end[axis];
      source = out_extent == 1 ? (end - start) * (in - 1) / 2
                               : x * (end - start) * (in - 1) / (out_extent - 1);
      source += start * (in - 1);
    }
  }
  taps t{};
  if (g.coordinates == 5 && (source < 0 || source > in - 1)) {
    t.outside = true;
    return t;
  }
  const double base = floor(source);
  const double f = source - base;
  const std::int64_t first = static_cast<std::int64_t>(base);
  std::int64_t index[4];
  double weight[4];
  int n = 0;
  if (g.mode == 0) {
    bool up = false;
    if (f != 0)
      up = g.rounding == 0 ? f > 0.5 : g.rounding == 1 ? f >= 0.5 : g.rounding == 3;
    index[n] = first + (up ? 1 : 0);
    weight[n++] = 1;
  } else if (g.mode == 1) {
    index[n] = first;
    weight[n++] = 1 - f;
    index[n] = first + 1;
    weight[n++] = f;
  } else {
    const double a = g.cubic_a;
    auto near_w = [a](double d) { return ((a + 2) * d - (a + 3)) * d * d + 1; };
    auto far_w = [a](double d) { return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a; };
    const double w[4] = {far_w(f + 1), near_w(f), near_w(1 - f), far_w(2 - f)};
    for (int k = 0; k < 4; ++k) {
      index[n] = first - 1 + k;
      weight[n++] = w[k];
    }
  }
  if (g.exclude_outside) {
    double sum = 0;
    for (int k = 0; k < n; ++k) {
      if (index[k] < 0 || index[k] >= in_extent)
        weight[k] = 0;
      sum += weight[k];
    }
    if (sum != 0)
      for (int k = 0; k < n; ++k)
        weight[k] /= sum;
  }
  for (int k = 0; k < n; ++k) {
    if (weight[k] == 0)
      continue;
    std::int64_t i = index[k] < 0 ? 0 : index[k];
    i = i > in_extent - 1 ? in_extent - 1 : i;
    t.index[t.count] = i;
    t.weight[t.count++] = static_cast<float>(weight[k]);
  }
  return t;
}

__global__ void resize_kernel(const float* x, float* y, resize_geometry g, std::int64_t n) {
  for (std::int64_t o = global_index(); o < n; o += grid_stride()) {
    taps axis[resize_max_rank];
    std::int64_t in_stride[resize_max_rank];
    bool outside = false;
    std::int64_t rest = o, stride = 1;
    for (int a = g.rank - 1; a >= 0; --a) {
      axis[a] = taps_of(g, a, rest % g.out[a]);
      rest /= g.out[a];
      in_stride[a] = stride;
      stride *= g.in[a];
      outside = outside || axis[a].outside;
    }
    if (outside) {
      y[o] = g.extrapolation;
      continue;
    }
    int pick[resize_max_rank] = {};
    float sum = 0;
    while (true) {
      float w = 1;
      std::int64_t offset = 0;
      for (int a = 0; a < g.rank; ++a) {
        w *= axis[a].weight[pick[a]];
        offset += axis[a].index[pick[a]] * in_stride[a];
      }
      sum += w * x[offset];
      int a = g.rank;
      while (a > 0 && ++pick[a - 1] == axis[a - 1].count)
        pick[--a] = 0;
      if (a == 0)
        break;
    }
    y[o] = sum;
  }
}

} // namespace

cudaError_t launch_resize(const float* x, float* y, const resize_geometry& g,
                          cudaStream_t stream) {
  if (g.rank < 1 || g.rank > resize_max_rank)
    return cudaErrorInvalidValue;
  std::int64_t n = 1;
  for (int a = 0; a < g.rank; ++a) {
    if (g.out[a] < 0 || g.in[a] < 0)
      return cudaErrorInvalidValue;
    n *= g.out[a];
  }
  if (n == 0)
    return cudaSuccess;
  resize_kernel<<<grid_blocks(n), block_threads, 0, stream>>>(x, y, g, n);
  return cudaGetLastError();
}

} // namespace hogar::nn::cuda
