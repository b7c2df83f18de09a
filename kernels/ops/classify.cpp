#include "kernels/ops/classify.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "graph/spec.hpp"
#include "kernels/ops/common.hpp"

namespace hogar::ops {

namespace {

named_tensor condition(bool value) {
  return {std::string{condition_tensor_name}, tensor::scalar<bool>(value)};
}

class classify_operation final : public guarded_operation {
public:
  classify_operation(std::size_t label_count, std::optional<std::int64_t> label,
                     double threshold, std::string tensor_name)
    : label_count_(label_count),
      label_(label),
      threshold_(threshold),
      tensor_name_(std::move(tensor_name)) {}

protected:
  result<op_output> compute(const op_call& call) override {
    auto scores = pick_tensor(first_present(call), tensor_name_, "classify input");
    if (!scores)
      return scores.error();
    const tensor& t = (*scores)->value;
    if (static_cast<std::size_t>(t.element_count()) != label_count_)
      return fail(errc::invalid_argument,
                  fmt::format("classify: tensor '{}' shape {} holds {} scores but parameter "
                              "'labels' lists {} labels",
                              (*scores)->name, to_string(t.shape()), t.element_count(),
                              label_count_));
    auto [best, best_score] = argmax(t);
    double tested = label_ ? t.value_as_double(*label_) : best_score;
    op_output out;
    out.value.push_back({"label", tensor::scalar<std::int64_t>(best)});
    out.value.push_back({"score", tensor::scalar<float>(static_cast<float>(best_score))});
    out.value.push_back(condition(tested >= threshold_));
    return out;
  }

private:
  std::size_t label_count_;
  /// Index into labels of the label the condition asks about; nullopt: the best label.
  std::optional<std::int64_t> label_;
  double threshold_;
  std::string tensor_name_;
};

enum class reduce_kind { any, all, mean };

class threshold_operation final : public guarded_operation {
public:
  threshold_operation(double threshold, bool above, reduce_kind reduce, std::string tensor_name)
    : threshold_(threshold), above_(above), reduce_(reduce), tensor_name_(std::move(tensor_name)) {}

protected:
  result<op_output> compute(const op_call& call) override {
    auto picked = pick_tensor(first_present(call), tensor_name_, "threshold input");
    if (!picked)
      return picked.error();
    const tensor& t = (*picked)->value;
    const std::int64_t n = t.element_count();
    if (n == 0)
      return fail(errc::invalid_argument,
                  fmt::format("threshold: tensor '{}' shape {} has no elements to test",
                              (*picked)->name, to_string(t.shape())));
    auto passes = [this](double x) { return above_ ? x > threshold_ : x < threshold_; };
    bool verdict = visit_dtype(t.type(), [&](auto zero) {
      using T = decltype(zero);
      const T* v = raw_values<T>(t);
      const bool boolean = t.type() == dtype::boolean;
      auto at = [&](std::int64_t i) {
        return boolean ? (v[i] != 0 ? 1.0 : 0.0) : static_cast<double>(v[i]);
      };
      switch (reduce_) {
        case reduce_kind::any:
          for (std::int64_t i = 0; i < n; ++i)
            if (passes(at(i)))
              return true;
          return false;
        case reduce_kind::all:
          for (std::int64_t i = 0; i < n; ++i)
            if (!passes(at(i)))
              return false;
          return true;
        case reduce_kind::mean: {
          double sum = 0;
          for (std::int64_t i = 0; i < n; ++i)
            sum += at(i);
          return passes(sum / static_cast<double>(n));
        }
      }
      return false;
    });
    op_output out;
    out.value.push_back(condition(verdict));
    return out;
  }

private:
  double threshold_;
  /// true: an element passes when x > threshold; false: when x < threshold.
  bool above_;
  reduce_kind reduce_;
  std::string tensor_name_;
};

} // namespace

result<std::unique_ptr<operation>> make_classify(const graph::operator_spec& spec) {
  auto condition = read_label_condition(spec);
  if (!condition)
    return condition.error();
  graph::param_reader params{spec};
  return std::unique_ptr<operation>{std::make_unique<classify_operation>(
    condition->label_count, condition->label, condition->threshold, params.get_string("tensor"))};
}

result<std::unique_ptr<operation>> make_threshold(const graph::operator_spec& spec) {
  graph::param_reader params{spec};
  double threshold = params.get_number("threshold");
  if (std::isnan(threshold))
    return param_error(spec, "threshold", "must be a number, got NaN");
  const auto& comparison = params.get_string("comparison");
  if (comparison != "above" && comparison != "below")
    return param_error(spec, "comparison",
                       fmt::format("'{}' is not one of above, below", comparison));
  const auto& reduce_name = params.get_string("reduce");
  reduce_kind reduce;
  if (reduce_name == "any")
    reduce = reduce_kind::any;
  else if (reduce_name == "all")
    reduce = reduce_kind::all;
  else if (reduce_name == "mean")
    reduce = reduce_kind::mean;
  else
    return param_error(spec, "reduce",
                       fmt::format("'{}' is not one of any, all, mean", reduce_name));
  return std::unique_ptr<operation>{std::make_unique<threshold_operation>(
    threshold, comparison == "above", reduce, params.get_string("tensor"))};
}

result<record_signature> classify_signature(const signature_call& call) {
  graph::param_reader params{call.spec};
  auto picked = pick_signature(call.inputs.front(), params.get_string("tensor"), "classify");
  if (!picked)
    return picked.error();
  const auto& scores = **picked;
  const auto labels = params.get_strings("labels").size();
  // A score vector of fixed extents must hold one score per label, or every request fails.
  bool fixed = true;
  for (auto extent : scores.shape)
    fixed = fixed && extent >= 0;
  if (fixed && static_cast<std::size_t>(element_count(scores.shape)) != labels)
    return fail(errc::invalid_argument,
                fmt::format("classify: tensor '{}' shape {} holds {} scores but parameter "
                            "'labels' lists {} labels",
                            scores.name, to_string(scores.shape), element_count(scores.shape),
                            labels));
  return record_signature{{scalar_signature("label", dtype::int64),
                           scalar_signature("score", dtype::float32),
                           scalar_signature(std::string{condition_tensor_name}, dtype::boolean)},
                          false};
}

result<record_signature> threshold_signature(const signature_call& call) {
  graph::param_reader params{call.spec};
  auto picked = pick_signature(call.inputs.front(), params.get_string("tensor"), "threshold");
  if (!picked)
    return picked.error();
  return record_signature{{scalar_signature(std::string{condition_tensor_name}, dtype::boolean)},
                          false};
}

} // namespace hogar::ops
