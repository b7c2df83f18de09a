#include "kernels/ops/identity.hpp"

#include "kernels/ops/common.hpp"

namespace hogar::ops {

namespace {

class identity_operation final : public operation {
public:
  result<op_output> run(const op_call& call) override {
    return op_output{{}, {}, first_present_shared(call)};
  }
};

} // namespace

result<std::unique_ptr<operation>> make_identity(const graph::operator_spec&) {
  return std::unique_ptr<operation>{std::make_unique<identity_operation>()};
}

result<record_signature> identity_signature(const signature_call& call) {
  return record_signature{call.inputs.front().tensors, false};
}

} // namespace hogar::ops
