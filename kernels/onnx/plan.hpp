// plan.hpp: a model planned for concrete input shapes, the same for every device.
//
// Planning infers every value's type and shape, checks each node's attributes on the way (so a
// bad model or a bad input shape fails here, naming the node), folds nodes whose inputs are
// all known constants (Constant, shape arithmetic) into constants, turns Reshape, Flatten and
// Identity into views of their input, and records when each value is read last, so that
// executors can reuse memory. Executors plan once per input shape and keep the result.
#pragma once

#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "kernels/nn/op.hpp"
#include "kernels/onnx/model_graph.hpp"
#include "base/result.hpp"

namespace hogar::onnx {

/// One value (tensor) of a planned model.
struct planned_value {
  std::string name;
  nn::value_type type;
  /// Known before any request (an initializer or a folded constant), else null.
  const tensor* constant = nullptr;
  /// Index among the model's inputs, or -1.
  int input = -1;
  /// The node that writes it, or -1.
  int producer = -1;
  /// The last node that reads it (its storage, or its root's, is free after that node);
  /// values read by nobody have -1, graph outputs the node count.
  int last_use = -1;
  /// The value whose storage this one is a view of (Reshape, Flatten, Identity), or -1. Always
  /// a root: never itself a view.
  int alias_of = -1;
  /// Output 0 of an op that selects rows (op_definition::selects_rows, NonMaxSuppression):
  /// type.shape[0] is a bound, the rows a call filled come out (output_tensor). A model output
  /// only: no node reads it.
  bool selects_rows = false;
};

/// One node that runs (folded and view nodes are not in the list).
struct planned_node {
  const node* source = nullptr;
  const nn::op_definition* op = nullptr;
  /// Value ids, one per node input (-1: an omitted optional input) and output.
  std::vector<int> inputs;
  std::vector<int> outputs;
  /// What node_view shows the op: input types and constants, output types.
  std::vector<nn::value_type> input_types;
  std::vector<const tensor*> input_constants;
  std::vector<nn::value_type> output_types;
};

class plan {
public:
  /// Plans `model` for inputs of these shapes (one per model input, in order). Fails naming
  /// the input whose rank or fixed extent does not match, or the node that cannot take the
  /// shapes it gets.
  static result<plan> make(std::shared_ptr<const model_graph> model,
                           std::span<const shape_t> input_shapes);
  /// The same for the shapes of a batch's input tensors.
  static result<plan> make(std::shared_ptr<const model_graph> model,
                           std::span<const tensor> inputs);

  const model_graph& model() const noexcept { return *model_; }
  std::span<const planned_value> values() const noexcept { return values_; }
  std::span<const planned_node> nodes() const noexcept { return nodes_; }
  /// The value id of each model output, in order.
  std::span<const int> outputs() const noexcept { return outputs_; }

  /// What the op of node i sees (valid while the plan lives).
  nn::node_view view(std::size_t i) const;

private:
  std::shared_ptr<const model_graph> model_;
  std::vector<planned_value> values_;
  std::vector<planned_node> nodes_;
  std::vector<int> outputs_;
  /// Constants made by folding; a deque keeps their addresses stable.
  std::deque<tensor> folded_;
  /// Nodes made by plan-time fusion (fuse_residual_adds, attention_fusion.hpp's), which
  /// planned nodes point at.
  std::deque<node> fused_nodes_;

  /// Every value's producer and last use, from the node list as it is now.
  void recount_lifetimes();
  /// For plan-time fusions: for each value that may disappear into a fused node (computed by
  /// a node, read by exactly one node input, no graph output and no view's root, whose views'
  /// readers read it too), the index of the node reading it; -1 for every other value.
  std::vector<int> sole_readers() const;
  /// Keeps node `n` made by a fusion for planned node `planned` to run.
  void adopt_fused(planned_node& planned, node n);
  /// Drops the nodes marked removed (fused away) and recounts the lifetimes.
  void drop_fused(const std::vector<bool>& removed);
  friend std::size_t fuse_residual_adds(plan& p);
  friend std::size_t fuse_attention_softmax(plan& p);
  friend std::size_t fuse_attention_transposes(plan& p);
};

/// Checks request inputs against the model's declared inputs: count, dtype, rank, fixed
/// extents; nullopt when they fit. "model.onnx: input 'x': expected float32[-1, 3, 32, 32], got
/// float32[2, 3, 32, 31]".
std::optional<error_info> check_inputs(const model_graph& model, std::span<const tensor> inputs);

/// The refusal of a request whose input `input` holds NaN at `element`:
/// "model.onnx: input 'x' holds NaN (element 7)".
error_info nan_input_error(const model_graph& model, std::size_t input, std::int64_t element);

/// check_inputs, and with `reject_nan` no float input holding NaN: what every executor checks
/// before a batch (the GPU executor looks for NaN while it stages the inputs instead).
std::optional<error_info> check_request(const model_graph& model, std::span<const tensor> inputs,
                                        bool reject_nan);

/// Value `v` as a model output, copied from `data` (host memory laid out as v.type says): all
/// of it, or for a value that selects rows the rows its kernel filled.
tensor output_tensor(const planned_value& v, const void* data);

/// Whether model output `name` is output 0 of an op that selects rows (NonMaxSuppression's
/// selected boxes): its rows name their batch item in column 0, so a batch's rows are dealt to
/// its requests by that column rather than by position.
bool output_selects_rows(const model_graph& model, std::string_view name);

/// Runs a planned node's reference kernel on tensors (constant folding, tests): allocates the
/// outputs.
result<std::vector<tensor>> run_reference(const nn::node_view& view,
                                          std::span<const nn::value_type> output_types,
                                          std::span<const tensor* const> inputs);

} // namespace hogar::onnx
