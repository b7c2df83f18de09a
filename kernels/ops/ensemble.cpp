#include "kernels/ops/ensemble.hpp"

#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "graph/spec.hpp"
#include "kernels/ops/common.hpp"

namespace hogar::ops {

namespace {

enum class ensemble_method { mean, vote, best };

/// One present input and the tensor it contributes.
struct contribution {
  std::size_t input;
  const record* value;
  const named_tensor* picked;
};

class ensemble_operation final : public guarded_operation {
public:
  ensemble_operation(ensemble_method method, std::string tensor_name,
                     std::vector<std::string> input_names)
    : method_(method), tensor_name_(std::move(tensor_name)), input_names_(std::move(input_names)) {}

protected:
  result<op_output> compute(const op_call& call) override {
    std::vector<contribution> parts;
    for (std::size_t i = 0; i < call.inputs.size(); ++i) {
      if (call.inputs[i] == nullptr)
        continue;
      auto picked = pick_tensor(*call.inputs[i], tensor_name_,
                                fmt::format("ensemble input '{}'", input_name(i)));
      if (!picked)
        return picked.error();
      parts.push_back({i, call.inputs[i].get(), *picked});
    }
    if (parts.empty())
      return fail(errc::invalid_argument, "ensemble: no input is present");
    switch (method_) {
      case ensemble_method::mean: return mean(parts);
      case ensemble_method::vote: return vote(parts);
      case ensemble_method::best: return best(parts);
    }
    return fail(errc::internal, "ensemble: unknown method");
  }

private:
  result<op_output> mean(const std::vector<contribution>& parts) const {
    const auto& first = *parts.front().picked;
    for (auto& part : parts)
      if (part.picked->value.shape() != first.value.shape())
        return fail(errc::invalid_argument,
                    fmt::format("ensemble mean: input '{}' tensor '{}' has shape {} but input "
                                "'{}' tensor '{}' has shape {}",
                                input_name(part.input), part.picked->name,
                                to_string(part.picked->value.shape()),
                                input_name(parts.front().input), first.name,
                                to_string(first.value.shape())));
    const std::int64_t n = first.value.element_count();
    std::vector<double> sum(static_cast<std::size_t>(n), 0.0);
    for (auto& part : parts)
      visit_dtype(part.picked->value.type(), [&](auto zero) {
        using T = decltype(zero);
        const T* v = raw_values<T>(part.picked->value);
        for (std::int64_t i = 0; i < n; ++i)
          sum[static_cast<std::size_t>(i)] += static_cast<double>(v[i]);
      });
    tensor out{dtype::float32, first.value.shape()};
    auto dst = out.mutable_values<float>();
    const double count = static_cast<double>(parts.size());
    for (std::int64_t i = 0; i < n; ++i)
      dst[static_cast<std::size_t>(i)] = static_cast<float>(sum[static_cast<std::size_t>(i)] / count);
    op_output result;
    result.value.push_back({first.name, std::move(out)});
    return result;
  }

  result<op_output> vote(const std::vector<contribution>& parts) const {
    std::map<std::int64_t, std::int64_t> votes;
    for (auto& part : parts) {
      if (part.picked->value.element_count() == 0)
        return fail(errc::invalid_argument,
                    fmt::format("ensemble vote: input '{}' tensor '{}' shape {} is empty",
                                input_name(part.input), part.picked->name,
                                to_string(part.picked->value.shape())));
      ++votes[argmax(part.picked->value).first];
    }
    // std::map iterates labels in increasing order, so `>` keeps the lowest label on ties.
    std::int64_t label = votes.begin()->first;
    std::int64_t count = votes.begin()->second;
    for (auto [l, c] : votes)
      if (c > count) {
        label = l;
        count = c;
      }
    op_output out;
    out.value.push_back({"label", tensor::scalar<std::int64_t>(label)});
    out.value.push_back({"votes", tensor::scalar<std::int64_t>(count)});
    return out;
  }

  result<op_output> best(const std::vector<contribution>& parts) const {
    const contribution* winner = nullptr;
    double winner_max = 0;
    for (auto& part : parts) {
      if (part.picked->value.element_count() == 0)
        continue;
      double m = argmax(part.picked->value).second;
      if (winner == nullptr || m > winner_max) {
        winner = &part;
        winner_max = m;
      }
    }
    if (winner == nullptr)
      return fail(errc::invalid_argument,
                  fmt::format("ensemble best: every input's tensor '{}' is empty",
                              parts.front().picked->name));
    op_output out;
    out.value.reserve(winner->value->size() + 1);
    for (auto& entry : *winner->value)
      if (entry.name != "source")
        out.value.push_back(entry);
    out.value.push_back({"source", tensor::scalar<std::int64_t>(
                                     static_cast<std::int64_t>(winner->input))});
    return out;
  }

  std::string input_name(std::size_t i) const {
    return i < input_names_.size() ? input_names_[i] : std::to_string(i);
  }

  ensemble_method method_;
  std::string tensor_name_;
  /// spec.inputs[i].name, for error messages.
  std::vector<std::string> input_names_;
};

} // namespace

result<std::unique_ptr<operation>> make_ensemble(const graph::operator_spec& spec) {
  graph::param_reader params{spec};
  const auto& method_name = params.get_string("method");
  ensemble_method method;
  if (method_name == "mean")
    method = ensemble_method::mean;
  else if (method_name == "vote")
    method = ensemble_method::vote;
  else if (method_name == "best")
    method = ensemble_method::best;
  else
    return param_error(spec, "method",
                       fmt::format("'{}' is not one of mean, vote, best", method_name));
  std::vector<std::string> names;
  for (auto& input : spec.inputs)
    names.push_back(input.name);
  return std::unique_ptr<operation>{std::make_unique<ensemble_operation>(
    method, params.get_string("tensor"), std::move(names))};
}

} // namespace hogar::ops
