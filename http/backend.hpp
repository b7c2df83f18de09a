// backend.hpp: what the HTTP front end needs from the node it runs in. The daemon implements
// it over its actors (actors/node_backend); tests implement it with plain objects, so the HTTP
// layer builds and is tested without CAF.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "kernels/served_by.hpp"
#include "kernels/tensor.hpp"

namespace hogar::http {

/// A declared input or output of a graph, as KServe's model metadata lists it.
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
  std::vector<tensor_metadata> outputs;
  bool ready = false;
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

/// One model of the node's repository, as KServe's repository index lists it.
struct repository_model_entry {
  std::string name;
  /// The newest version on disk ("" when there is none).
  std::string version;
  /// "READY" (served on its own) or "UNAVAILABLE".
  std::string state;
  std::string reason;
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
  /// Metadata of one graph, or nullopt when no such graph is served.
  virtual std::optional<model_metadata> metadata(const std::string& graph) = 0;
  /// Starts one inference and returns at once; `done` is called exactly once, from any thread.
  /// An unknown graph is reported through `done` with errc::not_found.
  virtual void infer(const std::string& graph, record inputs, std::int64_t timeout_ms,
                     std::function<void(infer_outcome)> done) = 0;
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
};

} // namespace hogar::http
