// executor.hpp: runs one ONNX model on one device, one batch at a time.
//
// An executor is one "instance" of a model: the model actor owns several and gives each a
// thread (CPU) or a stream (GPU). For every distinct set of input shapes it plans the model
// once and keeps the plan, its bound kernels and its memory, so that a batch of a shape seen
// before allocates nothing but its outputs. Errors fail the call alone and name the input or
// node at fault; a kernel or CUDA failure never ends the process.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <vector>

#include "kernels/nn/op.hpp"
#include "kernels/onnx/model_graph.hpp"
#include "base/result.hpp"

namespace hogar::onnx {

struct executor_options {
  nn::device device = nn::device::cpu;
  /// CPU paths: threads that run one batch's kernels (the calling thread included).
  std::size_t intra_op_threads = 1;
  /// GPU: the CUDA device.
  int gpu_index = 0;
  /// GPU: choose each Conv's cuDNN algorithm by running them all once per shape (as PyTorch's
  /// cudnn.benchmark does) rather than by cuDNN's heuristics, which bind faster but often
  /// pick slower kernels for large batches.
  bool gpu_conv_benchmark = true;
  /// Plans kept, one per distinct set of input shapes; the least recently used goes first.
  std::size_t plan_cache_size = 8;
  /// Refuse float inputs holding NaN (a request error) instead of computing with them.
  bool reject_nan_inputs = true;
};

class executor {
public:
  virtual ~executor() = default;

  /// The model's outputs for `inputs` (one per model input, in order, checked against the
  /// model's types). Not thread-safe: one call at a time.
  virtual result<std::vector<tensor>> run(std::span<const tensor> inputs) = 0;

  virtual nn::device device() const noexcept = 0;

  /// CPU paths: runs later batches on `threads` intra-op threads (the caller included); the
  /// plans stay, only the pool changes. Called between runs by the thread that runs them.
  /// Returns false where threads do not apply (the GPU).
  virtual bool set_intra_op_threads(std::size_t threads);
  virtual std::size_t intra_op_threads() const noexcept { return 1; }

  /// CPU time the executor's own pool threads have used so far, nanoseconds (the calling
  /// thread's share is not included); never decreases, across pool changes too.
  virtual std::int64_t pool_cpu_ns() const { return 0; }

  /// The model as this executor runs it (after device-independent optimization).
  virtual const model_graph& model() const noexcept = 0;
};

/// Builds an executor for `model` on `options.device`. The fast CPU path and the GPU run the
/// model after optimize() (batch norms folded, activations fused); the reference runs it as
/// written. Fails when the device cannot run the model (the first node it cannot run, and
/// why), or for the GPU when there is none.
result<std::unique_ptr<executor>> make_executor(std::shared_ptr<const model_graph> model,
                                                const executor_options& options);

} // namespace hogar::onnx
