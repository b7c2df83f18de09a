// model.hpp: the `model` operator kind: an ONNX model served in batches.
//
// The operation holds the versions it serves (one, or several with traffic weights for A/B
// experiments), each with one executor per instance. It does not batch by itself: the
// operator actor (actors/operator_actor) queues requests, asks its batching policy when to
// dispatch, and hands each batch to a worker thread, which calls run_batch with the executor
// instance that worker owns. What lives here is everything that is not scheduling: checking
// and shaping one request (admit), stacking a batch, running it, splitting the outputs back,
// and (re)loading the versions from the model repository for a hot swap.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "kernels/nn/op.hpp"
#include "kernels/onnx/executor.hpp"
#include "kernels/onnx/model_graph.hpp"
#include "kernels/operation.hpp"

namespace hogar::graph {
struct operator_spec;
}

namespace hogar::ops {

/// One version of the operator's model, ready to serve.
struct model_version {
  /// The repository model's name, or the file's path.
  std::string model;
  /// 0 for a model given by path.
  std::int64_t version = 0;
  /// Share of the traffic among the versions served together.
  std::int64_t weight = 1;
  std::shared_ptr<const onnx::model_graph> graph;
  nn::device device = nn::device::cpu;
  /// One per instance; instance i is only ever run by the operator's worker i, one batch at a
  /// time.
  std::vector<std::unique_ptr<onnx::executor>> executors;
  /// Per model input: requests whose extents past the batch dimension differ share a batch,
  /// padded with `pad_value` to the largest (the operator's `pad_inputs`).
  std::vector<bool> padded;
  double pad_value = 0;
  /// Per model output: its rows name their batch item in column 0 (NonMaxSuppression's
  /// selected boxes), so each request gets the rows of its items, renumbered from 0.
  std::vector<bool> selects_rows;

  /// "detector:2", or the file name for a model given by path: what answers report.
  std::string label() const;
};

/// Where one batch's time went, nanoseconds of the thread that ran it.
struct batch_timing {
  /// Stacking the requests' tensors into the batch's inputs.
  std::int64_t input_ns = 0;
  /// The executor's run.
  std::int64_t infer_ns = 0;
  /// Splitting the outputs back per request.
  std::int64_t output_ns = 0;
};

/// The versions served together; swapped whole by a reload.
struct model_versions {
  std::vector<std::shared_ptr<model_version>> versions;
  std::int64_t total_weight = 0;

  /// The version serving request `id`: weighted by traffic share, and the same every time for
  /// the same id.
  std::size_t pick(std::uint64_t request_id) const noexcept;
};

/// One request checked against a version and shaped for batching.
struct model_request {
  /// Index into model_versions::versions.
  std::size_t version = 0;
  /// One per model input, in the model's order, each with its leading batch extent.
  std::vector<tensor> inputs;
  /// That extent: what the request adds to a batch.
  std::int64_t items = 1;
  /// The request's tensors had no batch dimension: its outputs lose it again.
  bool added_batch_dim = false;
  /// Requests with equal keys (same version, same shapes past the batch dimension, except
  /// for padded inputs: the same rank) may share a batch.
  std::string key;
};

/// The operator's parameters, as its spec gives them.
struct model_settings {
  std::string operator_name;
  /// A repository model's name, or empty when `path` is given.
  std::string model;
  /// An ONNX file, resolved against the graph file's folder.
  std::string path;
  /// A repository version to serve alone; 0: the repository's choice.
  std::int64_t pinned_version = 0;
  /// "auto", "gpu", "cpu" or "reference".
  std::string device = "auto";
  /// "fp32" or "bf16" (onnx::precision).
  std::string precision = "fp32";
  std::int64_t instances = 1;
  /// Executors built per version: `instances`, or more when a tuner may raise the instances
  /// up to its bound (instances beyond those in use wait idle, their plans unbuilt).
  std::int64_t executor_instances = 1;
  std::int64_t intra_op_threads = 1;
  /// Items one batch may hold (the operator's batching.max_batch_size); 0 without a
  /// `batching` field: requests are not combined, and one may bring a batch of any size.
  std::int64_t max_batch_size = 0;
  std::string repository;
  /// Model inputs whose extents past the batch dimension may differ between requests of one
  /// batch (a sequence length): padded with `pad_value` to the longest (`pad_inputs`).
  std::vector<std::string> pad_inputs;
  double pad_value = 0;
};

class model_operation final : public operation {
public:
  /// Reads the settings, loads the versions and builds their executors; fails naming the
  /// operator and the parameter, file or node at fault.
  static result<std::unique_ptr<model_operation>> make(const graph::operator_spec& spec,
                                                       const operation_context& context);

  /// One request on its own, synchronously, on an executor kept for such calls (tests and
  /// callers without a batching runtime); the operator actor batches instead.
  result<op_output> run(const op_call& call) override;

  model_operation* as_model() noexcept override { return this; }

  const model_settings& settings() const noexcept { return settings_; }

  /// The versions serving now. Read and swapped by the operator actor only.
  const std::shared_ptr<const model_versions>& current() const noexcept { return current_; }
  void swap(std::shared_ptr<const model_versions> versions) { current_ = std::move(versions); }

  /// Whether requests may share a batch: every model input has a dynamic first dimension (a
  /// model with a fixed batch runs requests one by one).
  bool combines_requests() const noexcept;

  /// Reads the repository again and builds what it serves now (loading files, making
  /// executors): slow, so the actor runs it on a thread of its own. Safe to call while
  /// batches run.
  result<std::shared_ptr<const model_versions>> load_versions() const;

  /// Checks one request against the version that serves it: each model input found by name
  /// (or the single tensor of a single-input model), its dtype and extents, a batch no larger
  /// than max_batch_size, no NaN. Fails that request alone.
  result<model_request> admit(const op_call& call, const model_versions& versions) const;

  /// Runs `batch` (requests of one key) on `instance` of `version`: the outputs of each
  /// request, in order. Called on the worker thread that owns that instance. `timing`, when
  /// given, gets where the time went.
  static result<std::vector<record>> run_batch(model_version& version, std::size_t instance,
                                               std::span<const model_request* const> batch,
                                               batch_timing* timing = nullptr);

private:
  explicit model_operation(model_settings settings) : settings_(std::move(settings)) {}

  model_settings settings_;
  std::shared_ptr<const model_versions> current_;
  /// run(): one extra instance, made on first use.
  std::mutex direct_mutex_;
  std::shared_ptr<const model_versions> direct_;
};

result<std::unique_ptr<operation>> make_model(const graph::operator_spec& spec,
                                              const operation_context& context);

/// The outputs of the model versions the operator serves (read from their files), shaped as
/// run_batch shapes them for a request of the input signature: a request without the batch
/// dimension gets outputs without it; several versions are unified. Fails as admit() would
/// for every request: a model input no tensor feeds, a dtype or a fixed extent that differs.
result<record_signature> model_signature(const signature_call& call);

/// What a model operator serves, as the repository says now (KServe's model configuration).
struct served_model_info {
  /// The repository model, or the file for a `path`.
  std::string model;
  /// The versions served now, ascending (0 for a file).
  std::vector<std::int64_t> versions;
  /// "latest", "all" or "specific" (the config's version_policy; "specific" too for a pinned
  /// `version`, and "file" for a `path`).
  std::string version_policy;
  /// The versions a specific policy names.
  std::vector<std::int64_t> policy_versions;
};

/// Reads the operator's settings and the repository (no model file is read).
result<served_model_info> served_model(const graph::operator_spec& spec,
                                       const operation_context& context);

} // namespace hogar::ops
