// common.hpp: helpers shared by the operations in kernels/ops (internal to hogar_kernels): a
// base class that keeps exceptions inside run(), element-type dispatch, and the lookups every
// op does on its inputs (first present record, the tensor a `tensor` parameter names).
#pragma once

#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "kernels/operation.hpp"
#include "base/result.hpp"
#include "kernels/tensor.hpp"

namespace hogar::graph {
struct operator_spec;
}

namespace hogar::ops {

/// An operation whose computation may throw (tensor constructors do on bad shapes): run()
/// turns any std::exception into errc::invalid_argument so that only that request fails.
class guarded_operation : public operation {
public:
  result<op_output> run(const op_call& call) final;

protected:
  virtual result<op_output> compute(const op_call& call) = 0;
};

/// Calls `f(T{})` with the C++ element type of `type`; bool tensors are visited as uint8_t,
/// their storage (one byte, 0 or 1).
template <class F>
decltype(auto) visit_dtype(dtype type, F&& f) {
  switch (type) {
    case dtype::float32: return std::forward<F>(f)(float{});
    case dtype::float64: return std::forward<F>(f)(double{});
    case dtype::int8: return std::forward<F>(f)(std::int8_t{});
    case dtype::int32: return std::forward<F>(f)(std::int32_t{});
    case dtype::int64: return std::forward<F>(f)(std::int64_t{});
    case dtype::uint8: return std::forward<F>(f)(std::uint8_t{});
    case dtype::boolean: return std::forward<F>(f)(std::uint8_t{});
  }
  return std::forward<F>(f)(std::uint8_t{});
}

/// The elements of `t` as T, without the dtype check of tensor::values (the caller dispatched
/// on the dtype with visit_dtype).
template <class T>
const T* raw_values(const tensor& t) noexcept {
  return reinterpret_cast<const T*>(t.bytes().data());
}
template <class T>
T* raw_mutable_values(tensor& t) {
  return reinterpret_cast<T*>(t.mutable_bytes().data());
}

/// The first present input record; run() is only called with at least one present.
const record& first_present(const op_call& call);

/// The first present input as the shared record it arrived in (for pass-through).
record_ptr first_present_shared(const op_call& call);

/// The tensor called `name` in `r`, or the first tensor when `name` is empty; an error that
/// names the wanted tensor and lists the record's tensors when there is none. `what` says
/// whose input it is ("classify input", "ensemble input 'b'").
result<const named_tensor*> pick_tensor(const record& r, const std::string& name,
                                        std::string_view what);

/// pick_tensor's twin for signatures: the tensor called `name` in the input record's
/// signature, or the first when `name` is empty; an error naming it and listing what the input
/// holds when there is none. `kind` starts the message ("classify: its input never holds ...").
result<const tensor_signature*> pick_signature(const record_signature& in, const std::string& name,
                                               std::string_view kind);

/// A scalar tensor of a record signature (a condition's verdict, a count).
tensor_signature scalar_signature(std::string name, dtype type);

/// "a, b, c": the names of a record's tensors, for error messages.
std::string tensor_names(const record& r);

/// An error from an operation's factory, naming the operator and the parameter at fault:
/// "operator 'crop1' (crop): parameter 'height': must be at least 1".
error_info param_error(const graph::operator_spec& spec, std::string_view param,
                       std::string_view message);

/// The `labels`, `label` and `threshold` parameters of a condition that asks about one label
/// (classify, detected): at least one label; `label` one of them, or empty for any; a
/// threshold that is a number. Errors name the operator and the parameter.
struct label_condition {
  std::size_t label_count = 0;
  /// Index into labels of the label asked about; nullopt: any label.
  std::optional<std::int64_t> label;
  double threshold = 0;
};
result<label_condition> read_label_condition(const graph::operator_spec& spec);

/// Index of the largest element of `t` (flattened; the first on ties) and its value; `t` must
/// have at least one element.
std::pair<std::int64_t, double> argmax(const tensor& t);

/// The class a prediction names: an integer scalar is the class itself, anything else the
/// index of its largest element (argmax); nullopt for an empty tensor. Feedback compares labels
/// with it (actors/feedback_ledger.hpp, select.hpp).
std::optional<std::int64_t> predicted_class(const tensor& t);

} // namespace hogar::ops
