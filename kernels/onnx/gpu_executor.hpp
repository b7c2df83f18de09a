// gpu_executor.hpp: the executor of the GPU path (cuDNN, cuBLAS, hogar's CUDA kernels). Built
// only with CUDA; make_executor (executor.hpp) is the way in.
#pragma once

#include <memory>

#include "kernels/onnx/executor.hpp"

namespace hogar::onnx {

/// Fails when there is no usable GPU (saying why: no driver, no device) or when a node of
/// `model` has no GPU kernel for its dtype (naming the node).
result<std::unique_ptr<executor>> make_gpu_executor(std::shared_ptr<const model_graph> model,
                                                    const executor_options& options);

} // namespace hogar::onnx
