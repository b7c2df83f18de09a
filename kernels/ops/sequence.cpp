#include "kernels/ops/sequence.hpp"

#include <fmt/format.h>

#include "graph/spec.hpp"
#include "kernels/ops/common.hpp"

namespace hogar::ops {

namespace {

constexpr std::string_view count_tensor = "count";

class sequence_operation final : public operation {
public:
  explicit sequence_operation(std::string output_name) : output_name_(std::move(output_name)) {}

  result<op_output> run(const op_call&) override {
    ++count_;
    op_output out;
    out.value.push_back({output_name_, tensor::from_values<std::int64_t>({1}, {count_})});
    return out;
  }

  record save_state(std::chrono::steady_clock::time_point) const override {
    return {{std::string{count_tensor}, tensor::from_values<std::int64_t>({1}, {count_})}};
  }

  result<bool> load_state(const record& state, std::chrono::steady_clock::time_point) override {
    auto* t = find_tensor(state, count_tensor);
    if (t == nullptr || t->type() != dtype::int64 || t->element_count() != 1)
      return fail(errc::invalid_argument, "a sequence's state is one int64 tensor 'count'");
    count_ = t->values<std::int64_t>()[0];
    return true;
  }

private:
  std::string output_name_;
  std::int64_t count_ = 0;
};

} // namespace

result<std::unique_ptr<operation>> make_sequence(const graph::operator_spec& spec) {
  graph::param_reader params{spec};
  auto name = params.get_string("output_name");
  if (name.empty())
    return param_error(spec, "output_name", "must not be empty");
  return std::unique_ptr<operation>{std::make_unique<sequence_operation>(name)};
}

result<record_signature> sequence_signature(const signature_call& call) {
  graph::param_reader params{call.spec};
  return record_signature{{tensor_signature{params.get_string("output_name"), dtype::int64, {1},
                                            false}},
                          false};
}

} // namespace hogar::ops
