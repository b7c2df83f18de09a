// executor.hpp: runs one ONNX model on one device, one batch at a time.
//
// An executor is one "instance" of a model: the model actor owns several and gives each a
// thread (CPU) or a stream (GPU). For every distinct set of input shapes it plans the model
// once and keeps the plan, its bound kernels and its memory, so that a batch of a shape seen
// before allocates nothing but its outputs. Errors fail the call alone and name the input or
// node at fault; a kernel or CUDA failure never ends the process.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "kernels/nn/op.hpp"
#include "kernels/onnx/model_graph.hpp"
#include "base/result.hpp"

namespace hogar::onnx {

/// The arithmetic of a model's heaviest kernels.
enum class precision : std::uint8_t {
  /// float32 throughout.
  fp32,
  /// The fast CPU path's oneDNN Convs and fully connected Gemms read their input and weights
  /// as bfloat16 (AMX or AVX512-BF16) and write float32; everything else stays float32.
  bf16,
};

/// "fp32", "bf16"; nullopt for anything else.
std::optional<precision> precision_from_string(std::string_view name);

struct executor_options {
  nn::device device = nn::device::cpu;
  /// bf16 only on the fast CPU path of a CPU that runs it (nn::dnnl_has_bf16).
  onnx::precision precision = precision::fp32;
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

/// One node of a model as an executor runs it for some input shapes (`hogar model ops
/// --model`, `hogar model profile`).
struct node_report {
  /// "node 'conv1' (Conv)".
  std::string node;
  std::string op_type;
  /// What computes it: "oneDNN brg:avx512_core", "OpenBLAS sgemm", "hogar", "reference".
  std::string kernel;
  /// The fast CPU path has no kernel for it, its op or its shape: the reference twin runs it.
  bool fallback = false;
  /// Input 0 and output 0 as they travel: "plain", or oneDNN's layout ("nChw16c").
  std::string input_layout, output_layout;
  /// With runs: the node's mean time per call.
  double mean_ns = 0;
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

  /// The nodes that run for `inputs` (constants folded at plan time and views left out), in
  /// order, each with what computes it; with `runs` > 0, also each node's mean time over that
  /// many calls after one to warm up. The CPU paths only (the GPU queues a whole batch on its
  /// stream, so a node's time there is not the time of its launch): fails elsewhere.
  virtual result<std::vector<node_report>> report(std::span<const tensor> inputs, int runs);
};

/// Builds an executor for `model` on `options.device`. The fast CPU path and the GPU run the
/// model after optimize() (batch norms folded, activations fused); the reference runs it as
/// written. Fails when the device cannot run the model (the first node it cannot run, and
/// why), for the GPU when there is none, and for bf16 anywhere but on the fast CPU path of a
/// CPU with AMX or AVX512-BF16.
result<std::unique_ptr<executor>> make_executor(std::shared_ptr<const model_graph> model,
                                                const executor_options& options);

} // namespace hogar::onnx
