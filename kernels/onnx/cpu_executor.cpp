// cpu_executor.cpp: the executor of the two CPU paths (reference twins, and the fast path
// with the reference as fallback per node), and make_executor.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <list>
#include <map>
#include <memory>

#include <fmt/format.h>

#include "kernels/nn/cpu_features.hpp"
#include "kernels/nn/dnnl_support.hpp"
#include "kernels/nn/epilogue.hpp"
#include "kernels/nn/thread_pool.hpp"
#include "kernels/onnx/arena.hpp"
#include "kernels/onnx/executor.hpp"
#include "kernels/onnx/layout_pass.hpp"
#include "kernels/onnx/optimize.hpp"
#include "kernels/onnx/plan.hpp"
#include "kernels/onnx/plan_cache.hpp"
#include "kernels/onnx/attention_fusion.hpp"
#include "kernels/onnx/residual_fusion.hpp"

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
  /// Per value: plain, or the layout of oneDNN's it keeps between two kernels.
  std::vector<nn::layout_tag> layouts;
  /// Per node: what computes it, and whether that is the reference standing in for the fast
  /// path (executor::report).
  std::vector<std::string> kernel_names;
  std::vector<bool> fallbacks;
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
    if (options_.device == nn::device::cpu) {
      fuse_residual_adds(*p);
      fuse_attention_softmax(*p);
      fuse_attention_transposes(*p);
    }
    auto compiled = compile(std::move(*p));
    if (!compiled)
      return compiled.error();
    return &cache_.insert(inputs, std::move(*compiled));
  }

  result<compiled_plan> compile(plan p) {
    compiled_plan c;
    c.p = std::move(p);
    const auto& nodes = c.p.nodes();
    bool after_openmp = false;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      auto view = c.p.view(i);
      view.after_openmp = after_openmp;
      const auto& n = nodes[i];
      std::optional<nn::cpu_kernel> kernel;
      const bool fast_path = options_.device == nn::device::cpu;
      if (fast_path && n.op->bind_cpu) {
        auto fast = n.op->bind_cpu(view, n.output_types);
        if (!fast)
          return fail(fast.error().code, fmt::format("{}: {}", model_->source, fast.error().message));
        kernel = std::move(*fast);
      }
      if (kernel) {
        c.kernel_names.push_back(kernel->name.empty() ? "hogar" : kernel->name);
        c.fallbacks.push_back(false);
      } else {
        auto ref = n.op->bind_reference(view, n.output_types);
        if (!ref)
          return fail(ref.error().code, fmt::format("{}: {}", model_->source, ref.error().message));
        kernel = std::move(*ref);
        c.kernel_names.push_back(!fast_path      ? "reference"
                                 : n.op->bind_cpu ? "reference (no fast kernel for these types "
                                                    "and shapes)"
                                                  : "reference (no fast kernel for this op)");
        c.fallbacks.push_back(fast_path);
      }
      c.workspace_bytes = std::max(c.workspace_bytes, kernel->workspace_bytes);
      after_openmp = after_openmp || kernel->runs_on_openmp;
      c.kernels.push_back(std::move(*kernel));
    }
    // Activations between oneDNN kernels stay in oneDNN's layout (layout_pass.hpp).
    c.layouts = choose_layouts(c.p, c.kernels);
    // A Conv that sums its residual writes over it where nothing else needs it any more.
    auto layout = plan_arena(c.p, 64, in_place_outputs(c.p, c.kernels, c.layouts));
    c.offsets = std::move(layout.offsets);
    c.arena_bytes = layout.bytes;
    c.value_data.assign(c.p.values().size(), nullptr);
    for (auto& n : nodes) {
      c.node_inputs.emplace_back(n.inputs.size(), nullptr);
      c.node_outputs.emplace_back(n.outputs.size(), nullptr);
    }
    return c;
  }

public:
  result<std::vector<node_report>> report(std::span<const tensor> inputs, int runs) override {
    if (auto problem = check_request(*model_, inputs, options_.reject_nan_inputs))
      return *problem;
    auto compiled = compiled_for(inputs);
    if (!compiled)
      return compiled.error();
    auto& c = **compiled;
    std::vector<std::int64_t> node_ns(c.p.nodes().size(), 0);
    if (runs > 0) {
      if (auto warm = execute(c, inputs); !warm)
        return warm.error();
      for (int r = 0; r < runs; ++r)
        if (auto timed = execute(c, inputs, &node_ns); !timed)
          return timed.error();
    }
    std::vector<node_report> nodes;
    for (std::size_t i = 0; i < c.p.nodes().size(); ++i) {
      const auto& n = c.p.nodes()[i];
      auto layout_of = [&](const std::vector<int>& ids) {
        return ids.empty() || ids[0] < 0 ? std::string{"-"}
                                         : nn::layout_name(c.layouts[static_cast<std::size_t>(ids[0])]);
      };
      node_report r;
      r.node = n.source->describe();
      r.op_type = n.source->op_type;
      r.kernel = c.kernel_names[i];
      r.fallback = c.fallbacks[i];
      r.input_layout = layout_of(n.inputs);
      r.output_layout = layout_of(n.outputs);
      r.mean_ns = runs > 0 ? static_cast<double>(node_ns[i]) / runs : 0.0;
      nodes.push_back(std::move(r));
    }
    return nodes;
  }

private:
  /// One call; with `node_ns`, each node's time is added to its entry.
  result<std::vector<tensor>> execute(compiled_plan& c, std::span<const tensor> inputs,
                                      std::vector<std::int64_t>* node_ns = nullptr) {
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
      // Once a oneDNN kernel has run, its OpenMP team's threads spin for milliseconds after
      // each call (libgomp's default wait policy; ~10 ms on a 2-core AMD EPYC): a pool worker
      // woken then waits for a time slice on a busy core and the caller for it, so hogar's
      // kernels after it run on the calling thread alone (the yolo example model, 2 threads:
      // 0.57 ms a run instead of 0.70; ResNet-18's last Gemm on OpenBLAS 0.46 ms instead of
      // 0.9). Decided by position, not by time, so every run of a plan splits its work alike.
      bool openmp_spinning = false;
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
        auto* pool = pool_.get();
        if (c.kernels[current].runs_on_openmp) {
          pool_->rest();
          openmp_spinning = true;
        } else if (openmp_spinning) {
          pool = nullptr;
        }
        if (!node_ns) {
          c.kernels[current].run(nn::cpu_buffers{in, out, workspace, pool});
          continue;
        }
        auto start = std::chrono::steady_clock::now();
        c.kernels[current].run(nn::cpu_buffers{in, out, workspace, pool});
        (*node_ns)[current] += std::chrono::duration_cast<std::chrono::nanoseconds>(
                                 std::chrono::steady_clock::now() - start)
                                 .count();
      }
      current = nodes.size();
      std::vector<tensor> outputs;
      outputs.reserve(c.p.outputs().size());
      for (auto id : c.p.outputs()) {
        outputs.push_back(
          output_tensor(values[static_cast<std::size_t>(id)], c.value_data[static_cast<std::size_t>(id)]));
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

result<std::vector<node_report>> executor::report(std::span<const tensor>, int) {
  return fail(errc::unsupported,
              fmt::format("{}: per-node reports are made on the CPU paths only (reference, cpu)",
                          model().source));
}

std::optional<precision> precision_from_string(std::string_view name) {
  if (name == "fp32")
    return precision::fp32;
  if (name == "bf16")
    return precision::bf16;
  return std::nullopt;
}

namespace {

/// `model` with every float32 Conv and Gemm of constant weights marked to run in bfloat16
/// (nn::precision_attr).
model_graph in_bf16(model_graph model) {
  for (auto& n : model.nodes)
    if ((n.op_type == "Conv" || n.op_type == "Gemm") && n.has_input(1))
      if (auto* w = model.find_initializer(n.inputs[1]); w && w->type() == dtype::float32)
        n.attributes.push_back({std::string{nn::precision_attr}, std::string{"bf16"}});
  return model;
}

} // namespace

result<std::unique_ptr<executor>> make_executor(std::shared_ptr<const model_graph> model,
                                                const executor_options& options) {
  if (options.precision == precision::bf16) {
    if (options.device != nn::device::cpu)
      return fail(errc::unsupported,
                  fmt::format("{}: precision bf16 runs on the fast CPU path (device cpu), not "
                              "on {}",
                              model->source, nn::to_string(options.device)));
    if (!nn::dnnl_has_bf16())
      return fail(errc::unsupported,
                  fmt::format("{}: precision bf16: this CPU ({}) has neither AMX nor "
                              "AVX512-BF16; serve the model in fp32",
                              model->source, nn::cpu_description()));
  }
  switch (options.device) {
    case nn::device::reference:
      return std::unique_ptr<executor>{std::make_unique<cpu_executor>(std::move(model), options)};
    case nn::device::cpu: {
      auto optimized = optimize(*model);
      if (options.precision == precision::bf16)
        optimized = in_bf16(std::move(optimized));
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
