// gpu_executor.cpp: the executor of the GPU path (gpu_executor.hpp).
//
// One executor is one instance of a model on one GPU. It owns a CUDA stream (non-blocking) and
// the cuDNN and cuBLAS handles bound to it, so instances of a model run concurrently. Like the
// CPU executor it plans and binds the model once per distinct set of input shapes and keeps
// the plans (least recently used first out). Memory:
//   - weights (initializers) are uploaded once per executor, on first use by a plan; constants
//     that planning folds are uploaded once per plan;
//   - one device block holds a batch: the inputs, the arena of intermediate values (laid out by
//     arena.hpp), the largest workspace of the plan's kernels and the fault records of those
//     that check their inputs (gpu.hpp); it only grows;
//   - pinned host blocks stage the inputs (one upload) and the outputs (one download each);
//     they only grow too.
// So a batch of a shape seen before allocates nothing but its output tensors.
//
// Failures: a request whose memory does not fit fails alone (saying how much it needed) and
// smaller ones still run. A failed launch or library call fails the batch naming the node and
// the status; so does a fault a kernel recorded in its inputs (an index outside the axis),
// read back with the outputs. An error that poisons the CUDA context (an illegal address,
// say) cannot be cleared in-process: the executor then says so and refuses every later batch.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <exception>
#include <list>
#include <memory>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "kernels/device.hpp"
#include "kernels/nn/gpu.hpp"
#include "kernels/onnx/arena.hpp"
#include "kernels/onnx/gpu_executor.hpp"
#include "kernels/onnx/plan.hpp"
#include "kernels/onnx/plan_cache.hpp"

namespace hogar::onnx {

namespace {

using nn::gpu_alignment;

/// Inputs go up in slices of this size (a multiple of every element size): big enough that
/// each upload runs at the link's speed, small enough to stay in the CPU's cache while its NaN
/// check runs and to overlap the next slice's copy.
constexpr std::size_t staging_slice_bytes = std::size_t{1} << 20;

/// cuBLAS's workspace per handle: the size NVIDIA recommends for Hopper.
constexpr std::size_t cublas_workspace_bytes = std::size_t{32} << 20;

std::size_t align_up(std::size_t bytes) {
  return (bytes + gpu_alignment - 1) / gpu_alignment * gpu_alignment;
}

std::size_t byte_size(const nn::value_type& t) {
  return static_cast<std::size_t>(element_count(t.shape)) * dtype_size(t.type);
}

struct device_deleter {
  void operator()(void* p) const noexcept { cudaFree(p); }
};
/// One cudaMalloc'ed buffer.
using device_ptr = std::unique_ptr<void, device_deleter>;

/// Memory (device or pinned host) that only grows: reserve() keeps the block when it is large
/// enough, else frees it and allocates the new size (so a failed growth holds nothing).
template <cudaError_t (*Allocate)(void**, std::size_t), cudaError_t (*Free)(void*)>
class growing_block {
public:
  growing_block() = default;
  ~growing_block() { release(); }
  growing_block(const growing_block&) = delete;
  growing_block& operator=(const growing_block&) = delete;

  cudaError_t reserve(std::size_t bytes) {
    if (bytes <= size_)
      return cudaSuccess;
    release();
    void* p = nullptr;
    auto status = Allocate(&p, bytes);
    if (status != cudaSuccess)
      return status;
    data_ = static_cast<char*>(p);
    size_ = bytes;
    return cudaSuccess;
  }
  void release() noexcept {
    if (data_)
      Free(data_);
    data_ = nullptr;
    size_ = 0;
  }
  char* data() const noexcept { return data_; }
  std::size_t size() const noexcept { return size_; }

private:
  char* data_ = nullptr;
  std::size_t size_ = 0;
};

cudaError_t device_allocate(void** p, std::size_t bytes) { return cudaMalloc(p, bytes); }
cudaError_t device_free(void* p) { return cudaFree(p); }
cudaError_t pinned_allocate(void** p, std::size_t bytes) { return cudaMallocHost(p, bytes); }
cudaError_t pinned_free(void* p) { return cudaFreeHost(p); }
using device_block = growing_block<device_allocate, device_free>;
using pinned_block = growing_block<pinned_allocate, pinned_free>;

/// Whether the GPU runs a planned node with its types: the op registry's gpu_support for the
/// node's data type (its first input's, or its output's when it has none) and a binder here.
nn::support gpu_support_of(const planned_node& n) {
  dtype type = n.output_types.empty() ? dtype::float32 : n.output_types[0].type;
  for (std::size_t i = 0; i < n.inputs.size(); ++i) {
    if (n.inputs[i] >= 0) {
      type = n.input_types[i].type;
      break;
    }
  }
  auto s = nn::supports(n.source->op_type, nn::device::gpu, type);
  if (s.ok && !nn::has_gpu_kernel(n.source->op_type))
    return {false, fmt::format("{} has no GPU kernel", n.source->op_type)};
  return s;
}

/// The first node of `model` the GPU cannot run, as "node 'x' (Op): reason"; nullopt when it
/// runs them all. Planning with every open extent set to 1 gives each node its dtypes; a model
/// that cannot be planned so is judged op by op (dtypes are then checked per shape).
std::optional<std::string> first_unsupported(const std::shared_ptr<const model_graph>& model) {
  std::vector<shape_t> shapes;
  for (auto& in : model->inputs) {
    shape_t s = in.shape;
    for (auto& e : s)
      if (e < 0)
        e = 1;
    shapes.push_back(std::move(s));
  }
  if (auto p = plan::make(model, shapes)) {
    for (auto& n : p->nodes())
      if (auto s = gpu_support_of(n); !s.ok)
        return fmt::format("{}: {}", n.source->describe(), s.reason);
    return std::nullopt;
  }
  // Planning's rule: a node whose given inputs are all constants is folded on the host.
  std::unordered_set<std::string> constant;
  for (auto& [name, t] : model->initializers)
    constant.insert(name);
  for (auto& in : model->inputs)
    constant.erase(in.name);
  for (auto& n : model->nodes) {
    auto* op = nn::find_op(n.op_type);
    bool folded = op && op->reads_shapes_only;
    if (!folded) {
      folded = true;
      for (auto& name : n.inputs)
        folded = folded && (name.empty() || constant.count(name) > 0);
    }
    if (folded) {
      for (auto& out : n.outputs)
        constant.insert(out);
      continue;
    }
    if (!op)
      return fmt::format("{}: {} is not an operator hogar runs", n.describe(), n.op_type);
    if (op->alias_input >= 0)
      continue;
    if (op->gpu == nn::gpu_support::none || !nn::has_gpu_kernel(n.op_type))
      return fmt::format("{}: {} has no GPU kernel", n.describe(), n.op_type);
  }
  return std::nullopt;
}

/// One plan with its kernels bound, its constants on the device and its memory laid out.
struct compiled_plan {
  plan p;
  /// The input shapes it was made for (the cache key).
  std::vector<shape_t> shapes;
  std::vector<nn::gpu_kernel> kernels;
  /// Per node: every output is empty, so nothing runs.
  std::vector<bool> idle;
  /// Byte offsets in the batch block: each model input (and in the pinned input block, laid
  /// out alike), each arena value (from arena_at), each model output in the pinned output
  /// block (only those that live on the device).
  std::vector<std::size_t> input_offsets;
  std::vector<std::size_t> value_offsets;
  std::vector<std::size_t> output_offsets;
  std::size_t input_bytes = 0;
  std::size_t arena_bytes = 0;
  std::size_t workspace_bytes = 0;
  std::size_t output_bytes = 0;
  /// Per node: its fault record's place among the plan's (gpu.hpp's describe_fault), -1 for
  /// one whose kernel records none. The records follow the workspace in the batch block and
  /// the outputs in the pinned output block.
  std::vector<int> fault_slots;
  std::size_t fault_count = 0;
  /// Device copies of the constants planning folded (weights are the executor's).
  std::vector<device_ptr> folded;
  /// Per value: its device address when it is a constant.
  std::vector<const void*> constant_data;
  // Pointer tables reused by every call (sized once).
  std::vector<const void*> value_data;
  std::vector<std::vector<const void*>> node_inputs;
  std::vector<std::vector<void*>> node_outputs;

  std::size_t arena_at() const noexcept { return align_up(input_bytes); }
  std::size_t workspace_at() const noexcept { return arena_at() + align_up(arena_bytes); }
  std::size_t faults_at() const noexcept { return workspace_at() + align_up(workspace_bytes); }
  std::size_t fault_bytes() const noexcept { return fault_count * sizeof(nn::cuda::fault); }
  std::size_t device_bytes() const noexcept { return faults_at() + align_up(fault_bytes()); }
};

class gpu_executor final : public executor {
public:
  gpu_executor(std::shared_ptr<const model_graph> model, executor_options options)
    : model_(std::move(model)), options_(options), cache_(options.plan_cache_size) {
    ctx_.device = options_.gpu_index;
    ctx_.conv_search = options_.gpu_conv_benchmark ? nn::conv_algorithm_search::benchmark
                                                   : nn::conv_algorithm_search::heuristic;
    for (auto& [name, t] : model_->initializers)
      initializers_.insert(&t);
  }

  ~gpu_executor() override {
    // Everything below belongs to this device; the destroying thread may have another current.
    cudaSetDevice(ctx_.device);
    if (ctx_.stream)
      cudaStreamSynchronize(ctx_.stream);
    cache_.clear();
    weights_.clear();
    batch_memory_.release();
    staging_in_.release();
    staging_out_.release();
    if (ctx_.cublas)
      cublasDestroy(ctx_.cublas);
    cublas_workspace_.reset();
    if (ctx_.cudnn)
      cudnnDestroy(ctx_.cudnn);
    if (ctx_.stream)
      cudaStreamDestroy(ctx_.stream);
  }

  /// Creates the stream and the handles; an error names the call that failed.
  std::optional<error_info> start() {
    try {
      nn::check(cudaSetDevice(ctx_.device), "cudaSetDevice");
      nn::check(cudaStreamCreateWithFlags(&ctx_.stream, cudaStreamNonBlocking),
                "cudaStreamCreateWithFlags");
      nn::check(cudnnCreate(&ctx_.cudnn), "cudnnCreate");
      nn::check(cudnnSetStream(ctx_.cudnn, ctx_.stream), "cudnnSetStream");
      nn::check(cublasCreate(&ctx_.cublas), "cublasCreate");
      nn::check(cublasSetStream(ctx_.cublas, ctx_.stream), "cublasSetStream");
      nn::check(cublasSetMathMode(ctx_.cublas, ctx_.strict_fp32 ? CUBLAS_DEFAULT_MATH
                                                                : CUBLAS_TF32_TENSOR_OP_MATH),
                "cublasSetMathMode");
      // cuBLAS's own workspace, set after the stream (cublasSetStream resets it): fixed, so
      // that cuBLAS allocates nothing while batches run.
      void* workspace = nullptr;
      nn::check(cudaMalloc(&workspace, cublas_workspace_bytes), "cudaMalloc (cuBLAS workspace)");
      cublas_workspace_.reset(workspace);
      nn::check(cublasSetWorkspace(ctx_.cublas, workspace, cublas_workspace_bytes),
                "cublasSetWorkspace");
    } catch (const std::exception& e) {
      cudaGetLastError();
      return fail(errc::unavailable, fmt::format("{}: cannot start on GPU {} ({}): {}",
                                                 model_->source, ctx_.device,
                                                 cuda_device_summary(), e.what()));
    }
    return std::nullopt;
  }

  nn::device device() const noexcept override { return nn::device::gpu; }
  const model_graph& model() const noexcept override { return *model_; }

  result<std::vector<tensor>> run(std::span<const tensor> inputs) override {
    if (broken_)
      return fail(errc::unavailable, *broken_);
    // NaN is looked for while the inputs are staged (execute): one pass over their bytes.
    if (auto problem = check_request(*model_, inputs, false))
      return *problem;
    if (auto status = cudaSetDevice(ctx_.device); status != cudaSuccess)
      return fail_batch(fmt::format("{}: cudaSetDevice({}): {}", model_->source, ctx_.device,
                                    nn::describe(status)));
    auto compiled = compiled_for(inputs);
    if (!compiled)
      return compiled.error();
    return execute(**compiled, inputs);
  }

private:
  /// The plan for these input shapes, compiled on first use. The lookup allocates nothing.
  result<compiled_plan*> compiled_for(std::span<const tensor> inputs) {
    if (auto* known = cache_.find(inputs))
      return known;
    auto p = plan::make(model_, inputs);
    if (!p)
      return p.error();
    std::vector<shape_t> shapes;
    for (auto& t : inputs)
      shapes.push_back(t.shape());
    auto compiled = compile(std::move(*p), std::move(shapes));
    if (!compiled)
      return compiled.error();
    return &cache_.insert(inputs, std::move(*compiled));
  }

  result<compiled_plan> compile(plan p, std::vector<shape_t> shapes) {
    compiled_plan c;
    c.p = std::move(p);
    c.shapes = std::move(shapes);
    if (auto problem = compile_into(c)) {
      // Uploads this plan enqueued may still be in flight into its buffers, freed with it.
      cudaStreamSynchronize(ctx_.stream);
      return *problem;
    }
    return c;
  }

  /// Binds every node of c.p and puts its constants on the device; the error when that fails.
  std::optional<error_info> compile_into(compiled_plan& c) {
    const auto nodes = c.p.nodes();
    const auto values = c.p.values();
    try {
      for (std::size_t i = 0; i < nodes.size(); ++i) {
        const auto& n = nodes[i];
        if (auto s = gpu_support_of(n); !s.ok)
          return fail(errc::unsupported, fmt::format("{}: {}: cannot run on the GPU: {}",
                                                     model_->source, n.source->describe(),
                                                     s.reason));
        auto kernel = nn::bind_gpu(c.p.view(i), n.output_types, ctx_);
        if (!kernel)
          return fail_batch(fmt::format("{}: {}", model_->source, kernel.error().message),
                            kernel.error().code);
        bool idle = true;
        for (std::size_t o = 0; o < n.outputs.size(); ++o)
          idle = idle && (n.outputs[o] < 0 || element_count(n.output_types[o].shape) == 0);
        c.idle.push_back(idle && !n.outputs.empty());
        c.workspace_bytes = std::max(c.workspace_bytes, kernel->workspace_bytes);
        c.fault_slots.push_back(kernel->describe_fault ? static_cast<int>(c.fault_count++) : -1);
        c.kernels.push_back(std::move(*kernel));
      }
      auto layout = plan_arena(c.p, gpu_alignment);
      c.value_offsets = std::move(layout.offsets);
      c.arena_bytes = layout.bytes;
      for (std::size_t i = 0; i < model_->inputs.size(); ++i) {
        c.input_offsets.push_back(c.input_bytes);
        c.input_bytes += align_up(static_cast<std::size_t>(element_count(c.shapes[i])) *
                                  dtype_size(model_->inputs[i].type));
      }
      for (auto id : c.p.outputs()) {
        const auto& v = values[static_cast<std::size_t>(id)];
        c.output_offsets.push_back(c.output_bytes);
        if (!v.constant)
          c.output_bytes += align_up(byte_size(v.type));
      }
      // Constants the nodes read go to the device now, in stream order, then wait once.
      c.constant_data.assign(values.size(), nullptr);
      for (auto& n : nodes) {
        for (auto id : n.inputs) {
          if (id < 0)
            continue;
          const auto& v = values[static_cast<std::size_t>(id)];
          if (!v.constant || c.constant_data[static_cast<std::size_t>(id)])
            continue;
          auto address = upload(*v.constant, v.name, c);
          if (!address)
            return address.error();
          c.constant_data[static_cast<std::size_t>(id)] = *address;
        }
      }
      if (auto status = cudaStreamSynchronize(ctx_.stream); status != cudaSuccess)
        return fail_batch(fmt::format("{}: uploading the model's constants: {}", model_->source,
                                      nn::describe(status)));
      c.value_data.assign(values.size(), nullptr);
      for (auto& n : nodes) {
        c.node_inputs.emplace_back(n.inputs.size(), nullptr);
        c.node_outputs.emplace_back(n.outputs.size(), nullptr);
      }
    } catch (const std::exception& e) {
      return fail_batch(fmt::format("{}: planning for input shapes {}: {}", model_->source,
                                    to_string_all(c.shapes), e.what()));
    }
    return std::nullopt;
  }

  /// The device copy of constant `t` (named `name`): a weight's is the executor's, made on
  /// first use; a folded constant's belongs to plan `c`. Empty constants have none (null).
  result<const void*> upload(const tensor& t, const std::string& name, compiled_plan& c) {
    const bool weight = initializers_.count(&t) > 0;
    if (weight) {
      if (auto it = weights_.find(&t); it != weights_.end())
        return static_cast<const void*>(it->second.get());
    }
    const std::size_t bytes = t.byte_size();
    if (bytes == 0)
      return static_cast<const void*>(nullptr);
    void* p = nullptr;
    if (auto status = cudaMalloc(&p, bytes); status != cudaSuccess) {
      cudaGetLastError();
      return fail(errc::invalid_argument,
                  fmt::format("{}: out of GPU memory for constant '{}' ({} bytes): {}{}",
                              model_->source, name, bytes, nn::describe(status), memory_note()));
    }
    device_ptr owned{p};
    if (auto status = cudaMemcpyAsync(p, t.bytes().data(), bytes, cudaMemcpyHostToDevice,
                                      ctx_.stream);
        status != cudaSuccess)
      return fail_batch(fmt::format("{}: uploading constant '{}' ({} bytes): {}", model_->source,
                                    name, bytes, nn::describe(status)));
    if (weight) {
      weights_.emplace(&t, std::move(owned));
    } else {
      c.folded.push_back(std::move(owned));
    }
    return static_cast<const void*>(p);
  }

  result<std::vector<tensor>> execute(compiled_plan& c, std::span<const tensor> inputs) {
    const auto values = c.p.values();
    const auto nodes = c.p.nodes();
    if (auto status = batch_memory_.reserve(c.device_bytes()); status != cudaSuccess) {
      cudaGetLastError();
      return fail(errc::invalid_argument,
                  fmt::format("{}: a batch of input shapes {} needs {} bytes of GPU memory ({} "
                              "inputs, {} intermediate values, {} workspace), more than GPU {} "
                              "can give ({}){}",
                              model_->source, shapes_of(inputs), c.device_bytes(), c.input_bytes,
                              c.arena_bytes, c.workspace_bytes, ctx_.device,
                              nn::describe(status), memory_note()));
    }
    if (auto status = staging_in_.reserve(c.input_bytes); status != cudaSuccess) {
      cudaGetLastError();
      return fail(errc::invalid_argument,
                  fmt::format("{}: cannot pin {} bytes of host memory for the inputs of shapes "
                              "{}: {}",
                              model_->source, c.input_bytes, shapes_of(inputs),
                              nn::describe(status)));
    }
    if (auto status = staging_out_.reserve(c.output_bytes + c.fault_bytes());
        status != cudaSuccess) {
      cudaGetLastError();
      return fail(errc::invalid_argument,
                  fmt::format("{}: cannot pin {} bytes of host memory for the outputs of input "
                              "shapes {}: {}",
                              model_->source, c.output_bytes, shapes_of(inputs),
                              nn::describe(status)));
    }
    char* base = batch_memory_.data();
    std::size_t current = nodes.size();
    try {
      // Inputs: into pinned memory and up to the device (whose block starts with them, laid
      // out as in the pinned block) in slices, so that each slice's upload overlaps the
      // copying of the next; each slice is looked at for NaN while it is in cache.
      for (std::size_t i = 0; i < inputs.size(); ++i) {
        auto bytes = inputs[i].bytes();
        const auto type = inputs[i].type();
        const bool scan = options_.reject_nan_inputs &&
                          (type == dtype::float32 || type == dtype::float64);
        for (std::size_t at = 0; at < bytes.size(); at += staging_slice_bytes) {
          const auto n = std::min(staging_slice_bytes, bytes.size() - at);
          char* staged = staging_in_.data() + c.input_offsets[i] + at;
          std::memcpy(staged, bytes.data() + at, n);
          if (scan) {
            if (auto nan = first_nan(type, {staged, n}); nan >= 0) {
              // Slices already sent still read the pinned block: wait before giving it back.
              cudaStreamSynchronize(ctx_.stream);
              return nan_input_error(*model_, i,
                                     static_cast<std::int64_t>(at / dtype_size(type)) + nan);
            }
          }
          nn::check(cudaMemcpyAsync(base + c.input_offsets[i] + at, staged, n,
                                    cudaMemcpyHostToDevice, ctx_.stream),
                    "cudaMemcpyAsync (inputs)");
        }
      }
      // Where every value lives for this call: constants, the inputs, the arena.
      for (std::size_t v = 0; v < values.size(); ++v) {
        const auto& value = values[v];
        if (value.constant)
          c.value_data[v] = c.constant_data[v];
        else if (value.input >= 0)
          c.value_data[v] = base + c.input_offsets[static_cast<std::size_t>(value.input)];
        else if (value.alias_of < 0)
          c.value_data[v] = base + c.arena_at() + c.value_offsets[v];
      }
      for (std::size_t v = 0; v < values.size(); ++v)
        if (values[v].alias_of >= 0)
          c.value_data[v] = c.value_data[static_cast<std::size_t>(values[v].alias_of)];
      void* workspace = c.workspace_bytes > 0 ? base + c.workspace_at() : nullptr;
      auto* faults = reinterpret_cast<nn::cuda::fault*>(base + c.faults_at());
      if (c.fault_count > 0)
        nn::check(cudaMemsetAsync(faults, 0, c.fault_bytes(), ctx_.stream),
                  "cudaMemsetAsync (fault records)");
      for (current = 0; current < nodes.size(); ++current) {
        if (c.idle[current])
          continue;
        const auto& n = nodes[current];
        auto& in = c.node_inputs[current];
        auto& out = c.node_outputs[current];
        for (std::size_t i = 0; i < n.inputs.size(); ++i)
          in[i] = n.inputs[i] < 0 ? nullptr : c.value_data[static_cast<std::size_t>(n.inputs[i])];
        for (std::size_t o = 0; o < n.outputs.size(); ++o)
          out[o] = n.outputs[o] < 0
                     ? nullptr
                     : const_cast<void*>(c.value_data[static_cast<std::size_t>(n.outputs[o])]);
        const int slot = c.fault_slots[current];
        c.kernels[current].run(nn::gpu_buffers{in, out, workspace,
                                               slot < 0 ? nullptr : faults + slot});
      }
      current = nodes.size();
      const auto output_ids = c.p.outputs();
      for (std::size_t j = 0; j < output_ids.size(); ++j) {
        const auto& v = values[static_cast<std::size_t>(output_ids[j])];
        const auto bytes = byte_size(v.type);
        if (v.constant || bytes == 0)
          continue;
        nn::check(cudaMemcpyAsync(staging_out_.data() + c.output_offsets[j],
                                  c.value_data[static_cast<std::size_t>(output_ids[j])], bytes,
                                  cudaMemcpyDeviceToHost, ctx_.stream),
                  "cudaMemcpyAsync (outputs)");
      }
      if (c.fault_count > 0)
        nn::check(cudaMemcpyAsync(staging_out_.data() + c.output_bytes, faults, c.fault_bytes(),
                                  cudaMemcpyDeviceToHost, ctx_.stream),
                  "cudaMemcpyAsync (fault records)");
    } catch (const std::exception& e) {
      auto where = current < nodes.size() ? nodes[current].source->describe()
                                          : std::string{"moving the batch"};
      return fail_batch(fmt::format("{}: {}: {}", model_->source, where, e.what()));
    }
    if (auto status = cudaStreamSynchronize(ctx_.stream); status != cudaSuccess)
      return fail_batch(fmt::format("{}: the batch of input shapes {} failed on GPU {}: {} (an "
                                    "asynchronous fault in one of its {} kernels; "
                                    "CUDA_LAUNCH_BLOCKING=1 makes the error name the node)",
                                    model_->source, shapes_of(inputs), ctx_.device,
                                    nn::describe(status), nodes.size()));
    if (auto problem = recorded_fault(c))
      return *problem;
    try {
      std::vector<tensor> outputs;
      const auto output_ids = c.p.outputs();
      outputs.reserve(output_ids.size());
      for (std::size_t j = 0; j < output_ids.size(); ++j) {
        const auto& v = values[static_cast<std::size_t>(output_ids[j])];
        if (v.constant) {
          outputs.push_back(*v.constant);
          continue;
        }
        outputs.push_back(output_tensor(v, staging_out_.data() + c.output_offsets[j]));
      }
      return outputs;
    } catch (const std::bad_alloc&) {
      return fail(errc::invalid_argument,
                  fmt::format("{}: out of host memory for the outputs of input shapes {} ({} "
                              "bytes)",
                              model_->source, shapes_of(inputs), c.output_bytes));
    }
  }

  /// The first fault, in plan order, that a node of the batch just run recorded (the records
  /// are in the pinned output block, the stream synchronised): the batch fails naming the node,
  /// as a CPU path's kernel that throws at its inputs fails it.
  std::optional<error_info> recorded_fault(const compiled_plan& c) {
    const auto nodes = c.p.nodes();
    const auto* records =
      reinterpret_cast<const nn::cuda::fault*>(staging_out_.data() + c.output_bytes);
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      const int slot = c.fault_slots[i];
      if (slot < 0 || !nn::cuda::has_fault(records[slot]))
        continue;
      return fail(errc::invalid_argument,
                  fmt::format("{}: {}: {}", model_->source, nodes[i].source->describe(),
                              c.kernels[i].describe_fault(records[slot])));
    }
    return std::nullopt;
  }

  /// Fails the current batch with `message`. Waits for what the batch enqueued (its buffers
  /// are reused by the next one), clears the error, and checks that the context still works:
  /// when it does not, the error is sticky and every later run is refused.
  error_info fail_batch(std::string message, errc code = errc::operator_failed) {
    cudaStreamSynchronize(ctx_.stream);
    cudaGetLastError();
    auto probe = cudaStreamSynchronize(ctx_.stream);
    if (probe == cudaSuccess)
      probe = cudaGetLastError();
    if (probe != cudaSuccess) {
      broken_ = fmt::format("{}: the GPU executor on GPU {} is unusable after a CUDA error that "
                            "persists in this process ({}); restart the process to use the GPU "
                            "again. The batch that hit it: {}",
                            model_->source, ctx_.device, nn::describe(probe), message);
      return fail(errc::unavailable, *broken_);
    }
    return fail(code, std::move(message));
  }

  /// "; 10 of 80 GiB free" for out-of-memory messages (empty when the query fails).
  std::string memory_note() {
    std::size_t free_bytes = 0, total_bytes = 0;
    if (cudaMemGetInfo(&free_bytes, &total_bytes) != cudaSuccess) {
      cudaGetLastError();
      return {};
    }
    return fmt::format("; {} of {} bytes free on the device", free_bytes, total_bytes);
  }

  static std::string to_string_all(const std::vector<shape_t>& shapes) {
    std::string out;
    for (auto& s : shapes)
      out += (out.empty() ? "" : ", ") + to_string(s);
    return out;
  }

  std::shared_ptr<const model_graph> model_;
  executor_options options_;
  nn::gpu_context ctx_;
  device_ptr cublas_workspace_;
  /// The model's initializers (their device copies are shared by every plan).
  std::unordered_set<const tensor*> initializers_;
  std::unordered_map<const tensor*, device_ptr> weights_;
  /// Most recently used first.
  plan_cache<compiled_plan> cache_;
  device_block batch_memory_;
  pinned_block staging_in_;
  pinned_block staging_out_;
  /// Set after a sticky CUDA error: why every run is refused.
  std::optional<std::string> broken_;
};

} // namespace

result<std::unique_ptr<executor>> make_gpu_executor(std::shared_ptr<const model_graph> model,
                                                    const executor_options& options) {
  if (auto problem = first_unsupported(model))
    return fail(errc::unsupported,
                fmt::format("{}: cannot run on the GPU: {}", model->source, *problem));
  const int count = cuda_device_count();
  if (count == 0)
    return fail(errc::unsupported, fmt::format("{}: cannot run on the GPU: {}", model->source,
                                               cuda_device_summary()));
  if (options.gpu_index < 0 || options.gpu_index >= count)
    return fail(errc::invalid_argument,
                fmt::format("{}: GPU {} does not exist ({})", model->source, options.gpu_index,
                            cuda_device_summary()));
  auto exec = std::make_unique<gpu_executor>(std::move(model), options);
  if (auto problem = exec->start())
    return *problem;
  return std::unique_ptr<executor>{std::move(exec)};
}

} // namespace hogar::onnx
