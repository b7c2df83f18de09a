// operation.hpp: the computation behind an operator kind, free of actors and threads.
//
// An operator replica (actors/operator_actor) owns one `operation` and calls `run` once per
// request whose inputs are complete. The operation never blocks on other work: simulated
// device time is returned as `hold`, and the actor keeps the replica busy that long before
// releasing the output, so a sleeping operator holds no scheduler thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "base/result.hpp"
#include "kernels/tensor.hpp"

namespace hogar::graph {
struct operator_spec;
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

class operation {
public:
  virtual ~operation() = default;

  /// Computes the output for one request, or an error that fails that request alone. The
  /// message names what was wrong (shape, dtype, parameter); the caller adds the operator name.
  virtual result<op_output> run(const op_call& call) = 0;

  /// Cache operations only: `value` is what the `fill_from` operator produced for a request
  /// this operation answered with a miss.
  virtual void fill(std::uint64_t request_id, const record& value,
                    std::chrono::steady_clock::time_point now);

  /// Model operations run in batches on executor instances of their own (the operator actor
  /// queues and dispatches their requests instead of calling run); null for the others.
  virtual ops::model_operation* as_model() noexcept { return nullptr; }
};

/// Builds the operation for a validated operator spec; an error names the parameter at fault.
result<std::unique_ptr<operation>> make_operation(const graph::operator_spec& spec,
                                                  const operation_context& context = {});

} // namespace hogar
