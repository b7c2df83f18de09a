// feedback_ledger.cpp: see feedback_ledger.hpp.
#include "actors/feedback_ledger.hpp"

#include <cmath>
#include <cstdlib>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "kernels/ops/common.hpp"

namespace hogar {

namespace {

bool integral(dtype t) {
  return t == dtype::int8 || t == dtype::int32 || t == dtype::int64 || t == dtype::uint8;
}

std::string shape_text(const shape_t& shape) { return fmt::format("[{}]", fmt::join(shape, ", ")); }

std::string tensor_names(const record& r) {
  std::vector<std::string_view> names;
  for (auto& nt : r)
    names.push_back(nt.name);
  return names.empty() ? std::string{"none"} : fmt::format("{}", fmt::join(names, ", "));
}

} // namespace

void feedback_ledger::remember(const std::string& id, const record& outputs,
                               const std::vector<served_by>& served, std::int64_t latency_ns,
                               std::int64_t now_ns, answer_origin origin) {
  if (!keeps())
    return;
  answer a;
  a.id = id;
  a.sequence = first_sequence_ + answers_.size();
  a.outputs = outputs;  // the tensors share their storage with the reply: no copy
  for (auto& s : served)
    if (!s.branch)
      a.served.push_back(s);
  a.latency_ns = latency_ns;
  a.at_ns = now_ns;
  a.origin = std::move(origin);
  for (auto& nt : outputs)
    a.bytes += nt.value.bytes().size();
  bytes_ += a.bytes;
  by_id_[id] = a.sequence;
  answers_.push_back(std::move(a));
  while (!answers_.empty() &&
         (answers_.size() > limits_.max_answers || bytes_ > limits_.max_bytes ||
          now_ns - answers_.front().at_ns > limits_.retention_ms * 1'000'000))
    forget_oldest();
}

void feedback_ledger::forget_oldest() {
  auto& oldest = answers_.front();
  if (auto i = by_id_.find(oldest.id); i != by_id_.end() && i->second == oldest.sequence)
    by_id_.erase(i);
  bytes_ -= oldest.bytes;
  answers_.pop_front();
  ++first_sequence_;
}

outcome_stats& feedback_ledger::row(const std::string& op, const std::string& model,
                                    std::int64_t version) {
  for (auto& r : outcomes_)
    if (r.op == op && r.model == model && r.version == version)
      return r;
  outcome_stats r;
  r.op = op;
  r.model = model;
  r.version = version;
  outcomes_.push_back(std::move(r));
  return outcomes_.back();
}

result<feedback_receipt> feedback_ledger::score(const feedback& f, std::int64_t now_ns,
                                                answer_origin* origin) {
  if (!keeps())
    return fail(errc::not_found,
                fmt::format("feedback for request '{}': this node keeps no answers "
                            "(feedback-retention-s or feedback-max-answers is 0)",
                            f.id));
  while (!answers_.empty() && now_ns - answers_.front().at_ns > limits_.retention_ms * 1'000'000)
    forget_oldest();
  auto found = by_id_.find(f.id);
  if (found == by_id_.end())
    return fail(errc::not_found,
                fmt::format("feedback for request '{}': no answer with this id is kept "
                            "(unknown, or answered more than {} s ago)",
                            f.id, limits_.retention_ms / 1000));
  auto& a = answers_[found->second - first_sequence_];
  if (a.scored)
    return fail(errc::invalid_argument,
                fmt::format("feedback for request '{}' was given already: each answer is "
                            "scored once",
                            f.id));
  if (f.has_label == !f.expected.empty())
    return fail(errc::invalid_argument,
                fmt::format("feedback for request '{}': give either \"label\" or \"expected\"",
                            f.id));
  feedback_receipt receipt;
  receipt.id = f.id;
  receipt.served = a.served;
  if (f.has_label) {
    if (f.label < 0)
      return fail(errc::invalid_argument,
                  fmt::format("feedback for request '{}': field label: a class is a "
                              "non-negative integer, got {}",
                              f.id, f.label));
    const named_tensor* scored = a.outputs.empty() ? nullptr : &a.outputs.front();
    if (!f.output.empty()) {
      scored = nullptr;
      for (auto& nt : a.outputs)
        if (nt.name == f.output)
          scored = &nt;
      if (!scored)
        return fail(errc::invalid_argument,
                    fmt::format("feedback for request '{}': field output: the answer has no "
                                "tensor '{}' (it has: {})",
                                f.id, f.output, tensor_names(a.outputs)));
    }
    if (!scored)
      return fail(errc::invalid_argument,
                  fmt::format("feedback for request '{}': the answer has no tensor to compare "
                              "a label with",
                              f.id));
    auto predicted = ops::predicted_class(scored->value);
    if (!predicted)
      return fail(errc::invalid_argument,
                  fmt::format("feedback for request '{}': the answer's '{}' is empty, it "
                              "predicts no class",
                              f.id, scored->name));
    const auto classes = scored->value.element_count();
    if (!(integral(scored->value.type()) && classes == 1) && f.label >= classes)
      return fail(errc::invalid_argument,
                  fmt::format("feedback for request '{}': field label: {} is not a class of "
                              "the answer's '{}' (0 to {})",
                              f.id, f.label, scored->name, classes - 1));
    receipt.has_label = true;
    receipt.predicted = *predicted;
    receipt.correct = *predicted == f.label;
  } else {
    double error_sum = 0;
    std::int64_t elements = 0;
    for (auto& want : f.expected) {
      const named_tensor* got = nullptr;
      for (auto& nt : a.outputs)
        if (nt.name == want.name)
          got = &nt;
      if (!got)
        return fail(errc::invalid_argument,
                    fmt::format("feedback for request '{}': field expected: the answer has no "
                                "tensor '{}' (it has: {})",
                                f.id, want.name, tensor_names(a.outputs)));
      if (got->value.type() != want.value.type() || got->value.shape() != want.value.shape())
        return fail(errc::invalid_argument,
                    fmt::format("feedback for request '{}': field expected '{}': {}{}, the "
                                "answer's is {}{}",
                                f.id, want.name, to_string(want.value.type()),
                                shape_text(want.value.shape()), to_string(got->value.type()),
                                shape_text(got->value.shape())));
      for (std::int64_t i = 0; i < want.value.element_count(); ++i)
        error_sum += std::abs(got->value.value_as_double(i) - want.value.value_as_double(i));
      elements += want.value.element_count();
    }
    receipt.error = elements > 0 ? error_sum / static_cast<double>(elements) : 0.0;
  }
  a.scored = true;
  if (origin)
    *origin = a.origin;
  auto count = [&](outcome_stats& r) {
    ++r.count;
    r.latency_ns += a.latency_ns;
    if (receipt.has_label) {
      ++r.labelled;
      r.correct += receipt.correct ? 1 : 0;
    } else {
      ++r.scored;
      r.error_sum += receipt.error;
      r.error_square_sum += receipt.error * receipt.error;
    }
  };
  count(row({}, {}, 0));
  for (auto& s : a.served)
    count(row(s.op, s.model, s.version));
  return receipt;
}

} // namespace hogar
