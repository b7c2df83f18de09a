#include "kernels/ops/ensemble.hpp"

#include <cmath>
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

result<ensemble_selection> read_ensemble_selection(const graph::operator_spec& ensemble) {
  graph::param_reader params{ensemble};
  auto refuse = [&](std::string message) {
    return fail(errc::invalid_argument, fmt::format("ensemble '{}': {}", ensemble.name, message));
  };
  ensemble_selection out;
  out.selection = params.get_string("selection");
  if (out.selection == "all")
    return refuse("selection all runs every member: there is nothing to select");
  out.config.accuracy = params.get_numbers("accuracy");
  if (out.config.accuracy.size() != ensemble.inputs.size())
    return refuse(fmt::format("selection {} needs `accuracy`, one per member: {} for its {} "
                              "inputs",
                              out.selection, out.config.accuracy.size(), ensemble.inputs.size()));
  if (!(ensemble.slo_ms > 0))
    return refuse(fmt::format("selection {} needs slo_ms, the objective it selects for",
                              out.selection));
  out.config.slo_us = static_cast<std::int64_t>(std::llround(ensemble.slo_ms * 1000));
  out.config.batch_sizes = params.get_ints("batch_sizes");
  out.config.beta = params.get_number("beta");
  out.config.seed = static_cast<std::uint64_t>(params.get_int("seed"));
  if (auto checked = scheduling::make_ensemble_policy(out.selection, out.config); !checked)
    return refuse(checked.error().message);
  return out;
}

result<record_signature> ensemble_signature(const signature_call& call) {
  graph::param_reader params{call.spec};
  const auto& method = params.get_string("method");
  const auto& tensor_name = params.get_string("tensor");
  auto input_name = [&](std::size_t i) {
    return i < call.spec.inputs.size() ? call.spec.inputs[i].name : std::to_string(i);
  };
  // The tensor each input contributes (pick_tensor's twin).
  std::vector<tensor_signature> picked;
  for (std::size_t i = 0; i < call.inputs.size(); ++i) {
    const auto& in = call.inputs[i];
    const tensor_signature* t = tensor_name.empty()
                                  ? (in.tensors.empty() ? nullptr : &in.tensors.front())
                                  : in.find(tensor_name);
    if (!t)
      return fail(errc::invalid_argument,
                  fmt::format("ensemble input '{}' never holds {}", input_name(i),
                              tensor_name.empty() ? std::string{"a tensor"}
                                                  : fmt::format("tensor '{}'", tensor_name)));
    picked.push_back(*t);
  }
  auto scalar = [](std::string name) {
    return tensor_signature{std::move(name), dtype::int64, {}, false};
  };
  if (method == "vote")
    return record_signature{{scalar("label"), scalar("votes")}, false};
  if (method == "mean") {
    // Named after the first present input's tensor; every input's has the same shape.
    record_signature named{{picked.front()}, false};
    for (std::size_t i = 1; i < picked.size(); ++i) {
      auto same = record_signature{{picked[i]}, false};
      same.tensors.front().name = picked.front().name;
      auto unified =
        unify_alternatives(named, same, fmt::format("ensemble input '{}'", input_name(i)));
      if (!unified)
        return unified.error();
      named = std::move(*unified);
    }
    auto out = named.tensors.front();
    out.type = dtype::float32;
    out.optional = false;
    std::vector<tensor_signature> names{out};
    for (std::size_t i = 1; i < picked.size() && call.inputs[i - 1].may_be_absent; ++i)
      if (picked[i].name != out.name) {
        // The first input may be absent: the tensor may take the next one's name.
        for (auto& n : names)
          n.optional = true;
        auto other = out;
        other.name = picked[i].name;
        other.optional = true;
        names.push_back(std::move(other));
      }
    return record_signature{std::move(names), false};
  }
  if (method == "best") {
    // Any present input may win; its record (but "source") is passed on.
    auto without_source = [](const record_signature& r) {
      record_signature out;
      for (auto& t : r.tensors)
        if (t.name != "source")
          out.tensors.push_back(t);
      return out;
    };
    auto out = without_source(call.inputs.front());
    for (std::size_t i = 1; i < call.inputs.size(); ++i) {
      auto unified = unify_alternatives(out, without_source(call.inputs[i]),
                                        fmt::format("ensemble input '{}' may win", input_name(i)));
      if (!unified)
        return unified.error();
      out = std::move(*unified);
    }
    out.tensors.push_back(scalar("source"));
    return out;
  }
  return fail(errc::invalid_argument, fmt::format("'{}' is not one of mean, vote, best", method));
}

} // namespace hogar::ops
