// backend.hpp: what the HTTP front end needs from the node it runs in. The daemon implements
// it over its actors (actors/node_backend); tests implement it with plain objects, so the HTTP
// layer builds and is tested without CAF.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/result.hpp"
#include "kernels/served_by.hpp"
#include "kernels/tensor.hpp"

namespace hogar::http {

/// A declared input of a graph, or a tensor its answers carry, as KServe's model metadata
/// lists it.
struct tensor_metadata {
  std::string name;
  /// KServe datatype name: "FP32", "UINT8", ...
  std::string datatype;
  /// -1 for a dimension of any size.
  std::vector<std::int64_t> shape;
};

/// `GET /v2/models/{graph}`: a served graph seen as a KServe model.
struct model_metadata {
  std::string name;
  std::vector<std::string> versions;
  std::string platform = "hogar";
  std::vector<tensor_metadata> inputs;
  /// Every tensor an answer may carry, by the name the answer gives it ("analysis.scores"):
  /// what a request's "outputs" may ask for.
  std::vector<tensor_metadata> outputs;
  bool ready = false;
  /// Declared outputs whose tensors could not be inferred before a request (their names, not
  /// in `outputs`): a request may still ask for them, or for OUTPUT.TENSOR of them.
  std::vector<std::string> uninferred_outputs;
};

/// `GET /v2/models/{graph}/config`: Triton's model configuration (its model_config.proto as
/// JSON) for a served graph. How a graph maps onto it (actors/node_backend.cpp fills it):
///   max_batch_size   > 0 when the leading extent of every graph input is the batch dimension
///                    of the models that read it: every input's first extent is -1 and every
///                    operator that reads a graph input is a model operator with `batching`
///                    (a model served on its own); the smallest of their max_batch_size. Then,
///                    as in Triton, `dims` leave that extent out. Otherwise 0: a request is
///                    one item, and hogar batches requests inside its model operators.
///   input, output    the declared inputs; the tensors answers carry (model_metadata.outputs).
///   dynamic_batching the batching of the graph's model operator when exactly one model
///                    operator batches: max_queue_delay_microseconds, and preferred_batch_size
///                    [its max_batch_size] (the size its policy dispatches at once).
///   instance_group   one group per operator, named after it: count = replicas x executor
///                    instances, kind KIND_GPU for a model operator whose replicas run their
///                    model on a GPU (as they report it), else KIND_CPU.
///   version_policy   a model served on its own: its repository config's policy (latest:
///                    {"latest": {"num_versions": 1}}, all, specific); any other graph has
///                    one version, "1": {"latest": {"num_versions": 1}}.
///   parameters       for each model operator, "operator.NAME": a JSON object text with its
///                    model, versions served, version_policy, batching, instances, replicas
///                    and device (Triton's parameters are strings).
struct model_config {
  std::string name;
  std::string platform = "hogar";
  std::int64_t max_batch_size = 0;
  std::vector<tensor_metadata> inputs;
  std::vector<tensor_metadata> outputs;
  struct dynamic_batching {
    std::int64_t max_queue_delay_microseconds = 0;
    std::vector<std::int64_t> preferred_batch_size;
  };
  std::optional<dynamic_batching> batching;
  struct instance_group {
    std::string name;
    /// "KIND_CPU" or "KIND_GPU".
    std::string kind;
    std::int64_t count = 1;
  };
  std::vector<instance_group> instance_groups;
  /// "latest", "all" or "specific".
  std::string version_policy = "latest";
  /// latest: how many; specific: which.
  std::int64_t latest_versions = 1;
  std::vector<std::int64_t> specific_versions;
  /// Name -> string value, in order.
  std::vector<std::pair<std::string, std::string>> parameters;
};

/// A count and a cumulative duration, as Triton's statistics give each figure.
struct duration_stat {
  std::uint64_t count = 0;
  std::int64_t ns = 0;
};

/// One entry of Triton's statistics extension (`GET /v2/models/{graph}/stats`): one model
/// version. Only measured figures: what hogar does not measure is left out of the body.
struct model_statistics {
  std::string name;
  std::string version;
  /// Milliseconds since the Unix epoch; 0: none yet.
  std::int64_t last_inference_ms = 0;
  std::uint64_t inference_count = 0;
  std::uint64_t execution_count = 0;
  duration_stat success;
  duration_stat fail;
  duration_stat queue;
  duration_stat compute_input;
  duration_stat compute_infer;
  duration_stat compute_output;
  struct batch {
    std::int64_t batch_size = 0;
    duration_stat compute_input;
    duration_stat compute_infer;
    duration_stat compute_output;
  };
  std::vector<batch> batches;
};

/// The answer to one inference.
struct infer_outcome {
  /// Set on success.
  std::optional<record> outputs;
  std::uint64_t request_id = 0;
  /// Set on failure: the code decides the HTTP status, the message is the body's "error".
  error_info error;
  /// The model versions that served it (one per model operator).
  std::vector<served_by> served;
};

/// The body of `POST /v2/models/{graph}/feedback` (hogar's extension, after Clipper's
/// feedback API): the true outcome of the answer known as `id` (the answer's "id"), a class
/// label or the expected values of its tensors.
struct feedback_request {
  std::string id;
  std::optional<std::int64_t> label;
  /// With a label: the answer's tensor holding the prediction; empty: its first.
  std::string output;
  record expected;
};

/// What the feedback counted: the predicted class and whether it was right, or the mean
/// absolute error; for the graph and the model versions that served the answer.
struct feedback_result {
  std::string id;
  std::optional<std::int64_t> predicted;
  bool correct = false;
  std::optional<double> mean_absolute_error;
  std::vector<served_by> served;
};

/// One model of the node's repository, as KServe's repository index lists it.
struct repository_model_entry {
  std::string name;
  /// The newest version on disk ("" when there is none).
  std::string version;
  /// "READY" (served on its own, or inside a graph served here) or "UNAVAILABLE".
  std::string state;
  /// Why it is unavailable, or which graphs serve it.
  std::string reason;
};

/// A graph placed on the cluster (`POST /v2/ui/graphs`).
struct deployed_graph {
  std::string name;
  std::int64_t operators = 0;
  std::int64_t replicas = 0;
};

class backend {
public:
  virtual ~backend() = default;

  /// The process is up (`/v2/health/live`).
  virtual bool live() = 0;
  /// The node has joined its cluster and can serve (`/v2/health/ready`).
  virtual bool ready() = 0;
  /// Names of the graphs this node serves.
  virtual std::vector<std::string> graphs() = 0;
  /// Metadata of one graph, or nullopt when no such graph is served. Called on the HTTP
  /// thread: it must answer from what the node keeps, quickly.
  virtual std::optional<model_metadata> metadata(const std::string& graph) = 0;
  /// `GET /v2/models/{graph}/config`. The devices the replicas really run on come from the
  /// replicas: answers through `done`, exactly once, from any thread, and returns at once; an
  /// unknown graph is errc::not_found.
  virtual void configuration(const std::string& graph,
                             std::function<void(result<model_config>)> done) = 0;
  /// Triton's statistics extension: the entries of one graph (its own and those of the model
  /// versions it serves), or of every graph when `graph` is empty. Gathering the figures asks
  /// every replica: answers through `done`, exactly once, from any thread, and returns at
  /// once; an unknown graph is errc::not_found.
  virtual void statistics(const std::string& graph,
                          std::function<void(result<std::vector<model_statistics>>)> done) = 0;
  /// Starts one inference and returns at once; `done` is called exactly once, from any thread.
  /// An unknown graph is reported through `done` with errc::not_found.
  /// `client_id` is the request's "id" (empty when it gave none): feedback names the answer by
  /// it, or by the request id when it is empty.
  virtual void infer(const std::string& graph, record inputs, std::int64_t timeout_ms,
                     std::string client_id, std::function<void(infer_outcome)> done) = 0;
  /// Joins feedback with the answer it names (kept a while by the node that gave it): answers
  /// through `done`, exactly once, from any thread. errc::not_found for an unknown graph, or
  /// an id unknown or expired; errc::invalid_argument for a label or tensor that does not fit
  /// the answer.
  virtual void feedback(const std::string& graph, feedback_request request,
                        std::function<void(result<feedback_result>)> done) = 0;
  /// The Prometheus text exposition for `GET /metrics`.
  virtual std::string metrics_text() = 0;
  /// A JSON snapshot of nodes, graphs and operators, shown by the dashboard page.
  virtual std::string snapshot_json() = 0;

  // KServe's model repository extension. Loading takes a while: each answers through `done`,
  // exactly once, from any thread, and returns at once.

  /// `POST /v2/repository/index`.
  virtual void repository_index(
    std::function<void(result<std::vector<repository_model_entry>>)> done) = 0;
  /// `POST /v2/repository/models/{model}/load`: serve it on its own (reload it when it is).
  virtual void repository_load(const std::string& model,
                               std::function<void(result<std::string>)> done) = 0;
  /// `POST /v2/repository/models/{model}/unload`.
  virtual void repository_unload(const std::string& model,
                                 std::function<void(result<std::string>)> done) = 0;

  /// `POST /v2/models/{graph}/tuning`: sets knobs of operator `op` on all its replicas, within
  /// its tuning block's bounds (issue 10); answers one line per replica with the
  /// configuration in force, or the error naming the operator and the knob.
  virtual void tune(const std::string& graph, const std::string& op,
                    std::vector<std::pair<std::string, std::int64_t>> knobs,
                    std::function<void(result<std::string>)> done) = 0;

  // -- the web page's operations (hogar's extension; the CLI does the same through the
  //    actor port) ----------------------------------------------------------------------

  /// `POST /v2/repository/models/{model}/reload`: hot swap, as `hogar model reload`.
  virtual void repository_reload(const std::string& model,
                                 std::function<void(result<std::string>)> done) = 0;

  /// The Graphviz text of a deployed graph, exactly as `hogar graph dot` prints it for its
  /// file; errc::not_found for a graph not deployed.
  virtual void graph_dot(const std::string& graph,
                         std::function<void(result<std::string>)> done) = 0;

  /// `POST /v2/ui/graphs`: validates graph text (named `file` in messages) and places it on
  /// the cluster, as `hogar submit`. A graph that does not validate fails with
  /// errc::invalid_argument and every diagnostic, one per line ("file:line:column: ...").
  virtual void submit_graph(std::string yaml, std::string file,
                            std::function<void(result<deployed_graph>)> done) = 0;

  /// `DELETE /v2/ui/graphs/{graph}`: stops serving a graph, as `hogar remove`.
  virtual void remove_graph(const std::string& graph,
                            std::function<void(result<deployed_graph>)> done) = 0;
};

} // namespace hogar::http
