// onnx_fuzz.cpp: libFuzzer harness of ONNX model loading and planning: what happens to a
// model.onnx that `hogar model load` or a `model` operator names, before any request reaches
// it. The input is the file's bytes.
//
// Steps, as the CPU executor takes them (kernels/onnx/cpu_executor.cpp): parse and check the
// protobuf; optimize (BatchNormalization folding, fused epilogues); plan for the declared
// input shapes, every open extent taken as 1 (a batch of one) and then as 0 (an empty batch,
// which a client may send), which infers every shape, checks
// every attribute and folds constant nodes by running their reference kernels; bind each
// planned node's reference and fast CPU kernels; lay out the arena. Both the model as written
// (the reference device) and the optimized one (the CPU device) are planned. Nothing runs on
// request data: executing kernels is not parsing.
//
// Promises checked beyond the sanitizers: no step fails with errc::internal (a bug) or throws.
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <span>
#include <vector>

#include "bench/fuzz/fuzz_check.hpp"
#include "kernels/onnx/arena.hpp"
#include "kernels/onnx/onnx_reader.hpp"
#include "kernels/onnx/optimize.hpp"
#include "kernels/onnx/plan.hpp"

namespace {

using namespace hogar;

void plan_and_bind(const std::shared_ptr<const onnx::model_graph>& model,
                   std::int64_t open_extent) {
  std::vector<shape_t> shapes;
  for (const auto& input : model->inputs) {
    shape_t shape = input.shape;
    for (auto& extent : shape)
      if (extent < 0)
        extent = open_extent;
    shapes.push_back(std::move(shape));
  }
  auto planned = onnx::plan::make(model, shapes);
  if (!planned) {
    fuzz::require_not_internal(planned.error(), "planning fails with the model's error");
    return;
  }
  for (std::size_t i = 0; i < planned->nodes().size(); ++i) {
    const auto& n = planned->nodes()[i];
    auto view = planned->view(i);
    auto reference = n.op->bind_reference(view, n.output_types);
    if (!reference)
      fuzz::require_not_internal(reference.error(), "binding a reference kernel");
    if (n.op->bind_cpu) {
      auto fast = n.op->bind_cpu(view, n.output_types);
      if (!fast)
        fuzz::require_not_internal(fast.error(), "binding a fast CPU kernel");
    }
  }
  auto layout = onnx::plan_arena(*planned, 64);
  fuzz::require(layout.offsets.size() == planned->values().size(),
                "the arena places every value");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    auto model = onnx::parse_model({reinterpret_cast<const char*>(data), size}, "fuzz.onnx");
    if (!model) {
      fuzz::require_not_internal(model.error(), "loading fails with the file's error");
      return 0;
    }
    auto written = std::make_shared<const onnx::model_graph>(std::move(*model));
    auto optimized = std::make_shared<const onnx::model_graph>(onnx::optimize(*written));
    for (std::int64_t open_extent : {1, 0}) {
      plan_and_bind(written, open_extent);
      plan_and_bind(optimized, open_extent);
    }
  } catch (const std::exception& e) {
    fuzz::broken("loading and planning a model never throws", e.what());
  }
  return 0;
}
