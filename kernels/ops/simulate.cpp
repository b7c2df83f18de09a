#include "kernels/ops/simulate.hpp"

#include <chrono>
#include <cmath>
#include <string>

#include <fmt/format.h>

#include "graph/spec.hpp"
#include "kernels/ops/common.hpp"
#include "kernels/random_tensor.hpp"

namespace hogar::ops {

namespace {

using std::chrono::nanoseconds;
using std::chrono::steady_clock;

class simulate_operation final : public guarded_operation {
public:
  simulate_operation(nanoseconds cost, bool spin, std::string output_name, dtype output_type,
                     shape_t output_shape, std::int64_t fail_every, std::int64_t crash_every)
    : cost_(cost),
      spin_(spin),
      output_name_(std::move(output_name)),
      output_type_(output_type),
      output_shape_(std::move(output_shape)),
      fail_every_(fail_every),
      crash_every_(crash_every) {}

protected:
  result<op_output> compute(const op_call& call) override {
    ++calls_;
    if (crash_every_ > 0 && calls_ % crash_every_ == 0)
      throw replica_crash{fmt::format("simulated crash (call {}; crash_every={})", calls_,
                                      crash_every_)};
    if (fail_every_ > 0 && calls_ % fail_every_ == 0)
      return fail(errc::operator_failed, fmt::format("simulated failure (call {}; fail_every={})",
                                                     calls_, fail_every_));
    op_output out;
    if (output_name_.empty()) {
      out.passed_through = first_present_shared(call);
    } else {
      // Seed from every input (absent ones as a marker) so that equal inputs give equal
      // outputs and different inputs differ.
      std::uint64_t seed = 0x5eed5eed5eed5eedULL;
      for (auto& input : call.inputs)
        seed = splitmix64{seed ^ (input ? content_hash(*input) : 0xab5e47ULL)}.next();
      out.value.push_back({output_name_, uniform_tensor(output_type_, output_shape_, seed, 100)});
    }
    if (spin_) {
      auto until = steady_clock::now() + cost_;
      while (steady_clock::now() < until) {
      }
    } else {
      out.hold = cost_;
    }
    return out;
  }

private:
  nanoseconds cost_;
  bool spin_;
  std::string output_name_;
  dtype output_type_;
  shape_t output_shape_;
  std::int64_t fail_every_;
  std::int64_t crash_every_;
  /// Calls of this instance so far, failed ones included.
  std::int64_t calls_ = 0;
};

} // namespace

result<std::unique_ptr<operation>> make_simulate(const graph::operator_spec& spec) {
  graph::param_reader params{spec};
  double cost_ms = params.get_number("cost_ms");
  double per_item_ms = params.get_number("cost_per_item_ms");
  if (!(cost_ms >= 0) || !std::isfinite(cost_ms))
    return param_error(spec, "cost_ms", fmt::format("must be a finite value >= 0, got {}", cost_ms));
  if (!(per_item_ms >= 0) || !std::isfinite(per_item_ms))
    return param_error(spec, "cost_per_item_ms",
                       fmt::format("must be a finite value >= 0, got {}", per_item_ms));
  const auto& mode = params.get_string("mode");
  if (mode != "sleep" && mode != "spin")
    return param_error(spec, "mode", fmt::format("'{}' is not one of sleep, spin", mode));
  const auto& type_name = params.get_string("output_dtype");
  auto type = dtype_from_string(type_name);
  if (!type)
    return param_error(spec, "output_dtype", fmt::format("'{}' is not a dtype", type_name));
  shape_t shape = params.get_ints("output_shape");
  for (auto extent : shape)
    if (extent < 0)
      return param_error(spec, "output_shape",
                         fmt::format("extents must be >= 0, got {}", to_string(shape)));
  auto fail_every = params.get_int("fail_every");
  if (fail_every < 0)
    return param_error(spec, "fail_every", fmt::format("must be >= 0, got {}", fail_every));
  auto crash_every = params.get_int("crash_every");
  if (crash_every < 0)
    return param_error(spec, "crash_every", fmt::format("must be >= 0, got {}", crash_every));
  // One item per call for now: the batch dimension reaches operations with batching.
  auto cost = std::chrono::duration_cast<nanoseconds>(
    std::chrono::duration<double, std::milli>(cost_ms + per_item_ms));
  return std::unique_ptr<operation>{std::make_unique<simulate_operation>(
    cost, mode == "spin", params.get_string("output_name"), *type, std::move(shape),
    fail_every, crash_every)};
}

result<record_signature> simulate_signature(const signature_call& call) {
  graph::param_reader params{call.spec};
  const auto& name = params.get_string("output_name");
  if (!name.empty()) {
    auto type = dtype_from_string(params.get_string("output_dtype"));
    if (!type)
      return fail(errc::invalid_argument, "parameter 'output_dtype' is not a dtype");
    return record_signature{{tensor_signature{name, *type, params.get_ints("output_shape"), false}},
                            false};
  }
  // run() passes the first present input on: input i when every input before it is absent.
  record_signature out{call.inputs.front().tensors, false};
  for (std::size_t i = 1; i < call.inputs.size() && call.inputs[i - 1].may_be_absent; ++i) {
    auto unified = unify_alternatives(out, call.inputs[i],
                                      "the first present input is passed on");
    if (!unified)
      return unified.error();
    out = std::move(*unified);
  }
  return out;
}

} // namespace hogar::ops
