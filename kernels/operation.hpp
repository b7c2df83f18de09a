// operation.hpp: the computation behind an operator kind, free of actors and threads.
//
// An operator replica (actors/operator_actor) owns one `operation` and calls `run` once per
// request whose inputs are complete. The operation never blocks on other work: simulated
// device time is returned as `hold`, and the actor keeps the replica busy that long before
// releasing the output, so a sleeping operator holds no scheduler thread.
//
// Signatures: what an operator's output record holds (tensor names, dtypes, extents) is known
// before any request, from its kind, its parameters and the signatures of its inputs. Each
// kind's signature function sits next to its operation (kernels/ops/*.cpp) and mirrors what
// its run() emits; infer_graph_signature walks a graph from its declared inputs and names the
// tensors of its answers the way the ingress does, so that KServe metadata can list them.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "kernels/member_outcome.hpp"
#include "kernels/tensor.hpp"

namespace hogar::graph {
struct graph_spec;
struct operator_spec;
struct topology;
}

namespace hogar {

namespace ops {
class model_operation;
}

/// What building an operation may need besides its spec.
struct operation_context {
  /// Root of the model repository that `model` operators name models in (the node's
  /// model-repository, `hogar run --model-repository`); empty: none configured.
  std::string model_repository;
  /// The whole graph, for kinds that read another operator's spec (a select reads its
  /// ensemble's); the runtime and infer_graph_signature set it.
  std::shared_ptr<const graph::graph_spec> graph;
};

/// One invocation of an operation.
struct op_call {
  /// The request this call serves (cache operations remember misses by it).
  std::uint64_t request_id = 0;
  /// One entry per data input of the operator, in `inputs:` order; a null pointer marks an
  /// input that is absent for this request (its branch was skipped). At least one is present.
  /// Shared pointers, so that an operation can pass an input on without copying it.
  std::span<const record_ptr> inputs;
  /// The caller's clock reading, so that time-dependent operations (cache TTL) are testable.
  std::chrono::steady_clock::time_point now;
};

/// What one call produced.
struct op_output {
  record value;
  /// Simulated device time: the replica stays busy this long before the output is released.
  std::chrono::nanoseconds hold{0};
  /// Set instead of `value` by operations that pass an input on unchanged: no copy is made.
  record_ptr passed_through;
};

/// Thrown by an operation to crash its replica's actor, as a kernel bug would (simulate's
/// `crash_every`). Not a std::exception, so that guarded operations do not turn it into one
/// request's error: the actor dies and its supervisor replaces it.
struct replica_crash {
  std::string what;
};

class operation {
public:
  virtual ~operation() = default;

  /// Computes the output for one request, or an error that fails that request alone. The
  /// message names what was wrong (shape, dtype, parameter); the caller adds the operator name.
  virtual result<op_output> run(const op_call& call) = 0;

  /// What an operator that fills this one (topology::op_node::fills) produced for a request,
  /// at `now`. Caches: `value` is what `fill_from` produced for a request this operation
  /// answered with a miss (source 0). Selects: member `source` of the ensemble answered.
  virtual void fill(std::uint64_t request_id, std::size_t source, const record& value,
                    std::chrono::steady_clock::time_point now);

  /// The true class of request `request_id`, told by feedback once the graph had answered it
  /// (actors/feedback_ledger.hpp). A select learns its members' accuracies from it; the
  /// others ignore it.
  virtual void learn_label(std::uint64_t request_id, std::int64_t label);
  /// What learn_label taught, per member of the ensemble a select chooses for; empty for the
  /// others.
  virtual std::vector<member_outcome> member_outcomes() const;

  /// Model operations run in batches on executor instances of their own (the operator actor
  /// queues and dispatches their requests instead of calling run); null for the others.
  virtual ops::model_operation* as_model() noexcept { return nullptr; }

  /// Stateful operations (sequence, cache): the whole state as a record, so that a backup
  /// replica on another node can take over (ARG primary-backup). Times are saved relative to
  /// `now` (steady clocks of two machines do not compare). Empty for stateless operations.
  virtual record save_state(std::chrono::steady_clock::time_point now) const;
  /// Replaces the state with one save_state() made (on another replica); a record this
  /// operation cannot read leaves the state as it was and says why.
  virtual result<bool> load_state(const record& state, std::chrono::steady_clock::time_point now);
};

/// Builds the operation for a validated operator spec; an error names the parameter at fault.
result<std::unique_ptr<operation>> make_operation(const graph::operator_spec& spec,
                                                  const operation_context& context = {});

// -- signatures -------------------------------------------------------------------------------

/// One tensor an output record may hold, as known before any request.
struct tensor_signature {
  std::string name;
  dtype type = dtype::float32;
  /// -1: an extent each request decides (a dynamic input extent, a batch).
  shape_t shape;
  /// The tensor may be missing from a present record (a merged input whose branch was
  /// skipped, a cached record on a cache miss, a tensor only some model versions emit).
  bool optional = false;
};

/// What an operator's output record (or a graph input's) holds.
struct record_signature {
  std::vector<tensor_signature> tensors;
  /// The whole record may be absent for a request: its `when` condition, or every data input
  /// of its operator, may skip it.
  bool may_be_absent = false;

  /// The tensor called `name`, or nullptr.
  const tensor_signature* find(std::string_view name) const noexcept;
};

/// What a kind's signature function gets.
struct signature_call {
  const graph::operator_spec& spec;
  /// One per data input, in `inputs:` order.
  std::span<const record_signature> inputs;
  const operation_context& context;
  /// Cache operators: the record of their `fill_from` operator (null while it is not known).
  const record_signature* filled = nullptr;
  /// Where signature functions park what they loaded (model files), so that a second pass
  /// over the same graph reads nothing again; null: nothing is kept.
  std::vector<std::shared_ptr<const void>>* keep_alive = nullptr;
};

/// The tensors of the record `call.spec`'s operator emits when it runs (may_be_absent is left
/// to the caller, who knows the graph): exactly what its operation's run() produces, -1 for
/// extents that depend on the request. Fails, naming the operator and what is wrong, when no
/// request could succeed (a `tensor` parameter naming a tensor its input never holds, a model
/// input no tensor feeds) or when the record cannot be typed before a request (two inputs of a
/// merge that may hold a tensor of one name with different dtypes).
result<record_signature> output_signature(const signature_call& call);

/// One tensor of a graph's answers, named as answers name it.
struct answer_tensor {
  tensor_signature tensor;
  /// Index into graph_spec::outputs of the output it belongs to.
  std::size_t output = 0;
};

/// A whole graph's signatures.
struct graph_signature {
  /// Per operator (topology order of graph_spec::operators): its output record, or why it
  /// could not be inferred.
  std::vector<result<record_signature>> ops;
  /// The tensors an answer may carry, in output order, named as the ingress names them
  /// (graph/spec.hpp output_spec): `from: op.tensor` gives the output's name; a record of one
  /// tensor gives the output's name; a record of several gives OUTPUT.TENSOR. A tensor is
  /// optional when a request may be answered without it (its branch skipped).
  std::vector<answer_tensor> answers;
  /// What could not be inferred: "output 'x': operator 'y': ...".
  std::vector<std::string> problems;
  /// Indices into graph_spec::outputs of the outputs missing from `answers` for that reason.
  std::vector<std::size_t> uninferred;
};

/// Walks `topo` from its declared inputs in topology order (twice when a cache needs the
/// record of its `fill_from` operator, which comes after it). Model operators read their
/// models' outputs from `context.model_repository` (or their `path`).
graph_signature infer_graph_signature(const graph::topology& topo,
                                      const operation_context& context);

/// Unifies two records of which a request gets either one: tensors in both are kept (extents
/// that differ become -1; a rank or dtype that differs is an error naming the tensor and
/// `what`), tensors in only one become optional.
result<record_signature> unify_alternatives(const record_signature& a, const record_signature& b,
                                            std::string_view what);

} // namespace hogar
