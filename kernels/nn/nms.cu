// nms.cu: NonMaxSuppression on float32, one block per (item, class) pair: a block-wide argmax
// picks the best live candidate, which every thread then tests its candidates against. Exactly
// nms.hpp's greedy order (best score first, ties by lower box index) and its box arithmetic
// (nms_geometry.hpp), so the rows match the CPU paths'.
#include "kernels/nn/nms.cuh"
#include "kernels/nn/nms_geometry.hpp"

namespace hogar::nn::cuda {

namespace {

constexpr int nms_threads = 256;

/// The pair's scratch: flags [boxes], then (8-byte aligned) kept [keep_per_class]; counts of
/// every pair sit after all pairs' scratch.
__host__ __device__ std::size_t pair_bytes(const nms_shape& s) {
  const std::size_t flags = (static_cast<std::size_t>(s.boxes) + 7) / 8 * 8;
  return flags + static_cast<std::size_t>(s.keep_per_class) * sizeof(std::int64_t);
}

__global__ void nms_select_kernel(const float* __restrict__ boxes,
                                  const float* __restrict__ scores, const float* iou_threshold,
                                  const float* score_threshold, char* workspace, nms_shape s) {
  __shared__ float best_score[nms_threads];
  __shared__ std::int64_t best_index[nms_threads];
  const std::int64_t pair = blockIdx.x;
  const std::int64_t item = pair / s.classes;
  const float* score = scores + pair * s.boxes;
  const float* box = boxes + item * s.boxes * 4;
  auto* live = reinterpret_cast<unsigned char*>(workspace + pair * pair_bytes(s));
  auto* kept = reinterpret_cast<std::int64_t*>(
    workspace + pair * pair_bytes(s) + (static_cast<std::size_t>(s.boxes) + 7) / 8 * 8);
  auto* counts = reinterpret_cast<std::int64_t*>(workspace + s.batches * s.classes * pair_bytes(s));
  const float iou = iou_threshold ? *iou_threshold : 0.0f;
  for (std::int64_t i = threadIdx.x; i < s.boxes; i += nms_threads)
    live[i] = !isnan(score[i]) && (!score_threshold || score[i] > *score_threshold);
  __syncthreads();
  std::int64_t count = 0;
  for (; count < s.keep_per_class; ++count) {
    float mine = 0;
    std::int64_t at = -1;
    for (std::int64_t i = threadIdx.x; i < s.boxes; i += nms_threads)
      if (live[i] && (at < 0 || score[i] > mine)) {
        mine = score[i];
        at = i;
      }
    best_score[threadIdx.x] = mine;
    best_index[threadIdx.x] = at;
    __syncthreads();
    for (int half = nms_threads / 2; half > 0; half /= 2) {
      if (threadIdx.x < half) {
        const std::int64_t other = best_index[threadIdx.x + half];
        const float other_score = best_score[threadIdx.x + half];
        const std::int64_t here = best_index[threadIdx.x];
        if (other >= 0 && (here < 0 || other_score > best_score[threadIdx.x] ||
                           (other_score == best_score[threadIdx.x] && other < here))) {
          best_score[threadIdx.x] = other_score;
          best_index[threadIdx.x] = other;
        }
      }
      __syncthreads();
    }
    const std::int64_t picked = best_index[0];
    __syncthreads();
    if (picked < 0)
      break;
    const nms_box p = nms_corners(box + picked * 4, s.center_point_box);
    for (std::int64_t i = threadIdx.x; i < s.boxes; i += nms_threads)
      if (live[i] &&
          (i == picked || nms_suppresses(p, nms_corners(box + i * 4, s.center_point_box), iou)))
        live[i] = 0;
    if (threadIdx.x == 0)
      kept[count] = picked;
    __syncthreads();
  }
  if (threadIdx.x == 0)
    counts[pair] = count;
}

/// One block: each pair's first row from the counts, then the rows, then -1 after them.
__global__ void nms_rows_kernel(const char* workspace, std::int64_t* rows, nms_shape s) {
  const std::int64_t pairs = s.batches * s.classes;
  const auto* counts =
    reinterpret_cast<const std::int64_t*>(workspace + pairs * pair_bytes(s));
  __shared__ std::int64_t filled;
  if (threadIdx.x == 0) {
    std::int64_t row = 0;
    for (std::int64_t pair = 0; pair < pairs; ++pair)
      row += counts[pair];
    filled = row;
  }
  __syncthreads();
  // Pairs are dealt to threads; each sums the counts before it (a detector has a few hundred
  // pairs) rather than wait on a prefix sum.
  for (std::int64_t pair = threadIdx.x; pair < pairs; pair += blockDim.x) {
    std::int64_t row = 0;
    for (std::int64_t q = 0; q < pair; ++q)
      row += counts[q];
    const auto* kept = reinterpret_cast<const std::int64_t*>(
      workspace + pair * pair_bytes(s) + (static_cast<std::size_t>(s.boxes) + 7) / 8 * 8);
    for (std::int64_t j = 0; j < counts[pair]; ++j, ++row) {
      rows[row * 3] = pair / s.classes;
      rows[row * 3 + 1] = pair % s.classes;
      rows[row * 3 + 2] = kept[j];
    }
  }
  const std::int64_t bound = pairs * s.keep_per_class * 3;
  for (std::int64_t e = filled * 3 + threadIdx.x; e < bound; e += blockDim.x)
    rows[e] = -1;
}

} // namespace

std::size_t nms_workspace_bytes(const nms_shape& s) {
  const auto pairs = static_cast<std::size_t>(s.batches * s.classes);
  return pairs * pair_bytes(s) + pairs * sizeof(std::int64_t);
}

cudaError_t launch_nms(const float* boxes, const float* scores, const float* iou_threshold,
                       const float* score_threshold, std::int64_t* rows, void* workspace,
                       const nms_shape& s, cudaStream_t stream) {
  const std::int64_t pairs = s.batches * s.classes;
  if (pairs == 0 || s.keep_per_class == 0)
    return cudaGetLastError();
  auto* scratch = static_cast<char*>(workspace);
  nms_select_kernel<<<static_cast<unsigned>(pairs), nms_threads, 0, stream>>>(
    boxes, scores, iou_threshold, score_threshold, scratch, s);
  nms_rows_kernel<<<1, nms_threads, 0, stream>>>(scratch, rows, s);
  return cudaGetLastError();
}

} // namespace hogar::nn::cuda
