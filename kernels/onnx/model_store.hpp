// model_store.hpp: loaded ONNX models shared within a process. Every replica and executor
// instance of one model file reads the same weights: a ResNet-18 is loaded once, not once per
// replica. Entries live as long as someone uses them (weak references), and a file changed on
// disk (size or modification time) is read anew. Thread-safe.
#pragma once

#include <memory>
#include <string>

#include "kernels/onnx/model_graph.hpp"
#include "base/result.hpp"

namespace hogar::onnx {

/// The model in `path`, loaded and checked once while anyone holds it.
result<std::shared_ptr<const model_graph>> load_shared(const std::string& path);

} // namespace hogar::onnx
