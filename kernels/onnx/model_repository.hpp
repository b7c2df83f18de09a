// model_repository.hpp: a folder of versioned ONNX models, laid out as Triton's:
//
//   REPOSITORY/NAME/config.yaml          optional, see model_config
//   REPOSITORY/NAME/VERSION/model.onnx   VERSION a positive integer
//
// Scanned anew on every call, so that a new version folder dropped in place is seen by the
// next `hogar model reload NAME` (or KServe's repository load). No actors, no threads.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kernels/onnx/model_graph.hpp"
#include "base/result.hpp"

namespace hogar::onnx {

/// What REPOSITORY/NAME/config.yaml may say; every key is optional:
///
///   name: detector                  # must match the folder when given
///   version_policy: latest          # latest (the newest version) | all | [1, 3] (these)
///   traffic: {1: 90, 2: 10}         # A/B split over the served versions, by weight
///   max_batch_size: 8               # batching of the model's own graph (repository load)
///   max_queue_delay_us: 500
///   instances: 1                    # executor instances of the model's own graph
///   device: auto                    # auto | gpu | cpu | reference
///   inputs:  [{name: image, dtype: float32, shape: [-1, 3, 64, 64]}]   # checked against
///   outputs: [{name: scores, dtype: float32, shape: [-1, 4]}]          # the ONNX file
struct model_config {
  std::string name;
  enum class policy { latest, all, specific } version_policy = policy::latest;
  /// The versions of a `specific` policy.
  std::vector<std::int64_t> versions;
  /// Weight per version; empty: every served version gets the same share.
  std::map<std::int64_t, std::int64_t> traffic;
  /// A model served on its own takes requests of up to this many items, and its dynamic
  /// batcher combines requests up to it (Triton's default for batching ONNX models is 4; a
  /// few more pay on both CPUs and GPUs).
  std::int64_t max_batch_size = 8;
  std::int64_t max_queue_delay_us = 0;
  std::int64_t instances = 1;
  std::string device = "auto";
  std::vector<value_info> inputs;
  std::vector<value_info> outputs;
};

/// A model folder as found on disk.
struct repository_model {
  std::string name;
  std::string dir;
  /// Version folders that hold a model.onnx, ascending.
  std::vector<std::int64_t> versions;
  model_config config;
};

/// One version to serve and its share of the traffic.
struct served_version {
  std::int64_t version = 0;
  std::int64_t weight = 1;
  std::string path;
};

class model_repository {
public:
  explicit model_repository(std::string root) : root_(std::move(root)) {}

  const std::string& root() const noexcept { return root_; }

  /// Every model folder, by name. A folder whose config is malformed is still listed, with
  /// the problem in `problems` (REPOSITORY/NAME/config.yaml:LINE:COLUMN: ...).
  std::vector<repository_model> index(std::vector<std::string>* problems = nullptr) const;

  /// The model called `name`: not_found when there is no such folder (listing the ones there
  /// are), invalid_argument for a name that is not a model name (see is_model_name) or a
  /// malformed config. Never throws: a file system error is an io_error naming the path.
  result<repository_model> find(std::string_view name) const;

  /// The versions `model` serves now, per its config's version policy and traffic split (a
  /// `pinned` version > 0 overrides both: that version alone). Fails when a version it names
  /// has no model.onnx, or when no version is left.
  static result<std::vector<served_version>> served(const repository_model& model,
                                                    std::int64_t pinned = 0);

private:
  std::string root_;
};

/// Whether `name` can name a model folder: 1 to 128 letters, digits, '_', '-' and '.', not
/// starting with '.'. Anything else (a NUL that would cut the path short, '/', "..") never
/// reaches the file system.
bool is_model_name(std::string_view name) noexcept;

/// A graph-language name for an ONNX value name ("input.1" -> "input_1"): characters other than
/// letters, digits, '_' and '-' become '_', and a leading digit or '-' gets a '_' before it.
std::string graph_name_for(std::string_view onnx_name);

/// The graph that serves repository model `model` on its own (what `hogar model load` and
/// KServe's repository load deploy), named after the model: one graph input per model input
/// (full shape, batch dimension included), one model operator, one output per model output.
/// `model_inputs`/`model_outputs` are those of the version it will serve.
result<std::string> model_graph_yaml(const repository_model& model,
                                     const std::vector<value_info>& model_inputs,
                                     const std::vector<value_info>& model_outputs);

/// The file name such graphs are given ("repository:NAME"), which also marks them.
std::string model_graph_file(std::string_view model_name);

/// Reads a config.yaml (for tests and `hogar model generate`'s checks).
result<model_config> read_model_config(const std::string& path);

/// Checks the config's declared inputs and outputs against the loaded model.
std::optional<error_info> check_declared_io(const model_config& config, const model_graph& model,
                                            const std::string& config_path);

} // namespace hogar::onnx
