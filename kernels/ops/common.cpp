#include "kernels/ops/common.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "graph/spec.hpp"

namespace hogar::ops {

result<op_output> guarded_operation::run(const op_call& call) {
  try {
    return compute(call);
  } catch (const std::exception& e) {
    return fail(errc::invalid_argument, e.what());
  }
}

const record& first_present(const op_call& call) {
  for (auto& r : call.inputs)
    if (r != nullptr)
      return *r;
  static const record empty;
  return empty;
}

record_ptr first_present_shared(const op_call& call) {
  for (auto& r : call.inputs)
    if (r != nullptr)
      return r;
  return std::make_shared<const record>();
}

std::string tensor_names(const record& r) {
  std::string out;
  for (auto& entry : r) {
    if (!out.empty())
      out += ", ";
    out += entry.name;
  }
  return out;
}

result<const named_tensor*> pick_tensor(const record& r, const std::string& name,
                                        std::string_view what) {
  if (name.empty()) {
    if (r.empty())
      return fail(errc::invalid_argument, fmt::format("{} has no tensors", what));
    return &r.front();
  }
  for (auto& entry : r)
    if (entry.name == name)
      return &entry;
  return fail(errc::invalid_argument, fmt::format("{} has no tensor '{}' (it has: {})", what,
                                                  name, r.empty() ? "none" : tensor_names(r)));
}

error_info param_error(const graph::operator_spec& spec, std::string_view param,
                       std::string_view message) {
  return fail(errc::invalid_argument, fmt::format("operator '{}' ({}): parameter '{}': {}",
                                                  spec.name, spec.kind, param, message));
}

std::pair<std::int64_t, double> argmax(const tensor& t) {
  return visit_dtype(t.type(), [&](auto zero) {
    using T = decltype(zero);
    const T* v = raw_values<T>(t);
    auto n = t.element_count();
    std::int64_t best = 0;
    for (std::int64_t i = 1; i < n; ++i)
      if (v[i] > v[best])
        best = i;
    return std::pair<std::int64_t, double>{best, static_cast<double>(v[best])};
  });
}

std::optional<std::int64_t> predicted_class(const tensor& t) {
  if (t.element_count() == 0)
    return std::nullopt;
  const bool integral = t.type() == dtype::int8 || t.type() == dtype::int32 ||
                        t.type() == dtype::int64 || t.type() == dtype::uint8;
  if (integral && t.element_count() == 1)
    return static_cast<std::int64_t>(t.value_as_double(0));
  return argmax(t).first;
}

tensor_signature scalar_signature(std::string name, dtype type) {
  return tensor_signature{std::move(name), type, {}, false};
}

result<const tensor_signature*> pick_signature(const record_signature& in, const std::string& name,
                                               std::string_view kind) {
  if (name.empty()) {
    if (in.tensors.empty())
      return fail(errc::invalid_argument, fmt::format("{}: its input record has no tensors", kind));
    return &in.tensors.front();
  }
  if (auto* t = in.find(name))
    return t;
  std::vector<std::string_view> names;
  for (auto& t : in.tensors)
    names.push_back(t.name);
  auto held = names.empty() ? std::string{"none"} : fmt::format("{}", fmt::join(names, ", "));
  return fail(errc::invalid_argument,
              fmt::format("{}: its input never holds tensor '{}' (it holds: {})", kind, name, held));
}

result<label_condition> read_label_condition(const graph::operator_spec& spec) {
  graph::param_reader params{spec};
  const auto& labels = params.get_strings("labels");
  if (labels.empty())
    return param_error(spec, "labels", "needs at least one label");
  label_condition out;
  out.label_count = labels.size();
  const auto& label = params.get_string("label");
  if (!label.empty()) {
    auto it = std::find(labels.begin(), labels.end(), label);
    if (it == labels.end())
      return param_error(spec, "label",
                         fmt::format("'{}' is not one of labels [{}]", label,
                                     fmt::join(labels, ", ")));
    out.label = it - labels.begin();
  }
  out.threshold = params.get_number("threshold");
  if (std::isnan(out.threshold))
    return param_error(spec, "threshold", "must be a number, got NaN");
  return out;
}

} // namespace hogar::ops
