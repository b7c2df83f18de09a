// cpu_executor.cpp: the executor of the two CPU paths (reference twins, and the fast path
// with the reference as fallback per node), and make_executor.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <list>
#include <map>
#include <memory>

#include <fmt/format.h>

#include "kernels/nn/thread_pool.hpp"
#include "kernels/onnx/arena.hpp"
#include "kernels/onnx/executor.hpp"
#include "kernels/onnx/optimize.hpp"
#include "kernels/onnx/plan.hpp"
#include "kernels/onnx/plan_cache.hpp"

#ifdef HOGAR_GPU_EXECUTOR
#include "kernels/onnx/gpu_executor.hpp"
#endif

namespace hogar::onnx {

namespace {

/// 64-byte aligned host memory that only grows.
class host_buffer {
public:
  host_buffer() = default;
  ~host_buffer() { std::free(data_); }
  host_buffer(const host_buffer&) = delete;
  host_buffer& operator=(const host_buffer&) = delete;

  void* reserve(std::size_t bytes) {
    if (bytes > size_) {
      std::free(data_);
      size_ = (bytes + 63) / 64 * 64;
      data_ = std::aligned_alloc(64, size_);
      if (!data_) {
        size_ = 0;
        throw std::bad_alloc{};
      }
    }
    return data_;
  }
  void* data() const noexcept { return data_; }

private:
  void* data_ = nullptr;
  std::size_t size_ = 0;
};

/// One plan with its kernels bound and its memory laid out.
struct compiled_plan {
  plan p;
  std::vector<nn::cpu_kernel> kernels;
  /// Byte offset in the arena of every value that lives there (else unused).
  std::vector<std::size_t> offsets;
  std::size_t arena_bytes = 0;
  std::size_t workspace_bytes = 0;
  // Pointer tables reused by every call (sized once).
  std::vector<const void*> value_data;
  std::vector<std::vector<const void*>> node_inputs;
  std::vector<std::vector<void*>> node_outputs;
};

class cpu_executor final : public executor {
public:
  cpu_executor(std::shared_ptr<const model_graph> model, executor_options options)
    : model_(std::move(model)),
      options_(options),
      pool_(std::make_unique<nn::thread_pool>(std::max<std::size_t>(1, options.intra_op_threads))),
      cache_(options.plan_cache_size) {}

  nn::device device() const noexcept override { return options_.device; }
  const model_graph& model() const noexcept override { return *model_; }

  bool set_intra_op_threads(std::size_t threads) override {
    threads = std::max<std::size_t>(1, threads);
    if (threads != pool_->size()) {
      retired_cpu_ns_ += pool_->workers_cpu_ns();
      pool_ = std::make_unique<nn::thread_pool>(threads);
    }
    return true;
  }
  std::size_t intra_op_threads() const noexcept override { return pool_->size(); }
  std::int64_t pool_cpu_ns() const override { return retired_cpu_ns_ + pool_->workers_cpu_ns(); }

  result<std::vector<tensor>> run(std::span<const tensor> inputs) override {
    if (auto problem = check_request(*model_, inputs, options_.reject_nan_inputs))
      return *problem;
    auto compiled = compiled_for(inputs);
    if (!compiled)
      return compiled.error();
    return execute(**compiled, inputs);
  }

private:
  /// The plan for these input shapes, compiled on first use.
  result<compiled_plan*> compiled_for(std::span<const tensor> inputs) {
    if (auto* known = cache_.find(inputs))
      return known;
    auto p = plan::make(model_, inputs);
    if (!p)
      return p.error();
    auto compiled = compile(std::move(*p));
    if (!compiled)
      return compiled.error();
    return &cache_.insert(inputs, std::move(*compiled));
  }

  result<compiled_plan> compile(plan p) {
    compiled_plan c;
    c.p = std::move(p);
    const auto& nodes = c.p.nodes();
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      auto view = c.p.view(i);
      const auto& n = nodes[i];
      std::optional<nn::cpu_kernel> kernel;
      if (options_.device == nn::device::cpu && n.op->bind_cpu) {
        auto fast = n.op->bind_cpu(view, n.output_types);
        if (!fast)
          return fail(fast.error().code, fmt::format("{}: {}", model_->source, fast.error().message));
        kernel = std::move(*fast);
      }
      if (!kernel) {
        auto ref = n.op->bind_reference(view, n.output_types);
        if (!ref)
          return fail(ref.error().code, fmt::format("{}: {}", model_->source, ref.error().message));
        kernel = std::move(*ref);
      }
      c.workspace_bytes = std::max(c.workspace_bytes, kernel->workspace_bytes);
      c.kernels.push_back(std::move(*kernel));
    }
    auto layout = plan_arena(c.p, 64);
    c.offsets = std::move(layout.offsets);
    c.arena_bytes = layout.bytes;
    c.value_data.assign(c.p.values().size(), nullptr);
    for (auto& n : nodes) {
      c.node_inputs.emplace_back(n.inputs.size(), nullptr);
      c.node_outputs.emplace_back(n.outputs.size(), nullptr);
    }
    return c;
  }

  result<std::vector<tensor>> execute(compiled_plan& c, std::span<const tensor> inputs) {
    std::size_t current = 0;
    try {
      auto* arena = static_cast<char*>(arena_.reserve(c.arena_bytes));
      void* workspace = workspace_.reserve(c.workspace_bytes);
      const auto values = c.p.values();
      // Where every value lives for this call: constants, the caller's inputs, the arena.
      for (std::size_t v = 0; v < values.size(); ++v) {
        const auto& value = values[v];
        if (value.constant)
          c.value_data[v] = value.constant->bytes().data();
        else if (value.input >= 0)
          c.value_data[v] = inputs[static_cast<std::size_t>(value.input)].bytes().data();
        else if (value.alias_of < 0)
          c.value_data[v] = arena + c.offsets[v];
      }
      for (std::size_t v = 0; v < values.size(); ++v)
        if (values[v].alias_of >= 0)
          c.value_data[v] = c.value_data[static_cast<std::size_t>(values[v].alias_of)];
      const auto nodes = c.p.nodes();
      for (current = 0; current < nodes.size(); ++current) {
        const auto& n = nodes[current];
        auto& in = c.node_inputs[current];
        auto& out = c.node_outputs[current];
        for (std::size_t i = 0; i < n.inputs.size(); ++i)
          in[i] = n.inputs[i] < 0 ? nullptr : c.value_data[static_cast<std::size_t>(n.inputs[i])];
        for (std::size_t o = 0; o < n.outputs.size(); ++o)
          out[o] = n.outputs[o] < 0
                     ? nullptr
                     : const_cast<void*>(c.value_data[static_cast<std::size_t>(n.outputs[o])]);
        c.kernels[current].run(nn::cpu_buffers{in, out, workspace, pool_.get()});
      }
      current = nodes.size();
      std::vector<tensor> outputs;
      outputs.reserve(c.p.outputs().size());
      for (auto id : c.p.outputs()) {
        const auto& v = values[static_cast<std::size_t>(id)];
        tensor t{v.type.type, v.type.shape};
        if (t.byte_size() > 0)
          std::memcpy(t.mutable_bytes().data(), c.value_data[static_cast<std::size_t>(id)],
                      t.byte_size());
        outputs.push_back(std::move(t));
      }
      return outputs;
    } catch (const std::bad_alloc&) {
      return fail(errc::invalid_argument,
                  fmt::format("{}: out of memory for a batch of shape {} ({} bytes of "
                              "activations)",
                              model_->source, shapes_of(inputs), c.arena_bytes));
    } catch (const std::exception& e) {
      auto where = current < c.p.nodes().size()
                     ? c.p.nodes()[current].source->describe()
                     : std::string{"output copy"};
      return fail(errc::invalid_argument, fmt::format("{}: {}: {}", model_->source, where, e.what()));
    }
  }

  std::shared_ptr<const model_graph> model_;
  executor_options options_;
  /// Replaced whole when the thread count changes (kernels read its size at every run).
  std::unique_ptr<nn::thread_pool> pool_;
  /// CPU time of the pools replaced so far.
  std::int64_t retired_cpu_ns_ = 0;
  plan_cache<compiled_plan> cache_;
  host_buffer arena_;
  host_buffer workspace_;
};

} // namespace

bool executor::set_intra_op_threads(std::size_t) {
  return false;
}

result<std::unique_ptr<executor>> make_executor(std::shared_ptr<const model_graph> model,
                                                const executor_options& options) {
  switch (options.device) {
    case nn::device::reference:
      return std::unique_ptr<executor>{std::make_unique<cpu_executor>(std::move(model), options)};
    case nn::device::cpu: {
      auto optimized = optimize(*model);
      return std::unique_ptr<executor>{std::make_unique<cpu_executor>(
        std::make_shared<const model_graph>(std::move(optimized)), options)};
    }
    case nn::device::gpu: {
#ifdef HOGAR_GPU_EXECUTOR
      auto optimized = optimize(*model);
      return make_gpu_executor(std::make_shared<const model_graph>(std::move(optimized)), options);
#else
      return fail(errc::unsupported,
                  fmt::format("{}: cannot run on the GPU: hogar was built without CUDA",
                              model->source));
#endif
    }
  }
  return fail(errc::internal, "unknown device");
}

} // namespace hogar::onnx
