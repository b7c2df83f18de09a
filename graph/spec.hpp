// spec.hpp: the graph language (UDGL) as plain data: what a graph file says, with the source
// position of every item so that later checks can point at the line that caused them.
// Produced by graph/reader.hpp, checked by graph/validate.hpp, consumed by the runtime.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "base/dtype.hpp"

namespace hogar::graph {

/// Where something was written: file, 1-based line and column (0 when unknown).
struct source_position {
  std::string file;
  int line = 0;
  int column = 0;
};

/// "file:line:column" (or just "file" when the position is unknown).
std::string to_string(const source_position& where);

/// The value of one operator parameter, as typed by the kind's schema (graph/kinds.hpp).
using param_value = std::variant<bool, std::int64_t, double, std::string, std::vector<double>,
                                 std::vector<std::int64_t>, std::vector<std::string>>;

/// A parameter value as it would be written in a graph file: `true`, `3`, `0.5`, `car`,
/// `[1, 2]`.
std::string to_string(const param_value& value);

/// One `params:` entry of an operator.
struct param {
  std::string name;
  param_value value;
  source_position where;
};

/// A declared graph input: the tensors a request must carry.
struct input_spec {
  std::string name;
  dtype type = dtype::float32;
  /// Extents; -1 marks a dimension of any size.
  std::vector<std::int64_t> shape;
  source_position where;
};

/// A reference to an operator or input by name, as written in `inputs:` or `from:`.
struct name_ref {
  std::string name;
  source_position where;
};

/// `when: NAME` (run only if NAME said yes) or `when: "!NAME"` (only if it said no).
struct condition_ref {
  std::string name;
  bool negated = false;
  source_position where;
};

/// Where replicas may run (used by the cluster; a single process ignores it).
struct placement_spec {
  std::vector<std::string> labels;
  /// GPUs each replica needs.
  std::int64_t gpus = 0;
};

/// How requests are grouped into batches before the operation runs.
struct batching_spec {
  /// "static" (max size + max delay), "slo_greedy" or "aimd".
  std::string policy = "static";
  std::int64_t max_batch_size = 1;
  std::int64_t max_queue_delay_us = 0;
  source_position where;
};

/// One knob a tuner may move, with its inclusive bounds as the graph file gives them.
struct tuning_knob {
  /// "batch_size", "queue_delay_us", "instances" or "intra_op_threads".
  std::string name;
  std::int64_t lo = 0;
  std::int64_t hi = 0;
  source_position where;
};

/// A model operator's `tuning:` block (issue 10): which knobs may change while it serves,
/// within which bounds, and who moves them.
struct tuning_spec {
  /// "rrl", "q_learning" or "static" (the knobs change only by `hogar tune set`).
  std::string policy = "rrl";
  /// In the order of tuning_knob_names, only those the block names.
  std::vector<tuning_knob> knobs;
  /// A window closes after this many answered requests, or after window_ms (whichever
  /// comes first; 0: that limit is off).
  std::int64_t window_requests = 100;
  std::int64_t window_ms = 10'000;
  /// The cost the tuner minimizes: mean latency + slo_weight * slo_ms * (share over the
  /// objective) + cpu_weight_ms * (cores used).
  double slo_weight = 1.0;
  double cpu_weight_ms = 0;
  /// Values per knob in the tuner's grid.
  std::int64_t points = 11;
  std::int64_t seed = 1;
  source_position where;

  const tuning_knob* find(std::string_view knob) const noexcept;
};

/// The knobs a tuning block may name, in grid order.
inline constexpr std::array<std::string_view, 4> tuning_knob_names = {
  "batch_size", "queue_delay_us", "instances", "intra_op_threads"};

/// The container image HAMS/EARG deploys an operator as (`hogar graph export`, which derives
/// what is left empty: graph/hams_export.hpp). The runtime ignores it.
struct image_spec {
  /// An image reference such as "hams/yolov3:3.0".
  std::string name;
  /// HAMS's version of the node: any word, such as "3" or "test".
  std::string version;
  source_position where;
};

struct operator_spec {
  std::string name;
  std::string kind;
  /// Parameters in file order; after validation every schema parameter is present (defaults
  /// filled in), so operations can read them without fallbacks.
  std::vector<param> params;
  std::vector<name_ref> inputs;
  std::optional<condition_ref> when;
  std::int64_t replicas = 1;
  placement_spec placement;
  std::optional<batching_spec> batching;
  std::optional<tuning_spec> tuning;
  std::optional<image_spec> image;
  bool stateful = false;
  /// Latency objective in milliseconds; 0 means none.
  double slo_ms = 0;
  source_position where;

  /// The parameter called `name`, or nullptr.
  const param_value* find_param(std::string_view name) const noexcept;
};

/// A graph output: the record of an operator or input (`from: detector`), or one tensor of it
/// (`from: detector.scores`).
struct output_spec {
  std::string name;
  name_ref from;
  /// Empty: every tensor of the record.
  std::string tensor;
  source_position where;
};

struct graph_spec {
  std::string name;
  std::string description;
  /// The file it was read from ("<string>" for text parsed in memory).
  std::string file;
  std::vector<input_spec> inputs;
  std::vector<operator_spec> operators;
  std::vector<output_spec> outputs;
  source_position where;
};

/// Typed access to the (validated) parameters of an operator; throws std::out_of_range for a
/// missing parameter or a wrong type, which after validation is a bug, never user error.
class param_reader {
public:
  explicit param_reader(const operator_spec& op) : op_(op) {}

  bool get_bool(std::string_view name) const;
  std::int64_t get_int(std::string_view name) const;
  /// Accepts integer values too.
  double get_number(std::string_view name) const;
  const std::string& get_string(std::string_view name) const;
  std::vector<double> get_numbers(std::string_view name) const;
  std::vector<std::int64_t> get_ints(std::string_view name) const;
  const std::vector<std::string>& get_strings(std::string_view name) const;
  bool has(std::string_view name) const { return op_.find_param(name) != nullptr; }

private:
  const param_value& at(std::string_view name) const;
  const operator_spec& op_;
};

} // namespace hogar::graph
