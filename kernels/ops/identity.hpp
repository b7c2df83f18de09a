// identity.hpp: the `identity` kind: passes its input record through. Records hold shared
// tensors, so the output shares every byte with the input.
#pragma once

#include <memory>

#include "kernels/operation.hpp"

namespace hogar::ops {

result<std::unique_ptr<operation>> make_identity(const graph::operator_spec& spec);
/// Its input record, as it is.
result<record_signature> identity_signature(const signature_call& call);

} // namespace hogar::ops
