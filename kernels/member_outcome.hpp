// member_outcome.hpp: one ensemble member's predictions checked against the labels feedback
// told (kernels/ops/select.hpp learns them; operator statistics carry them).
#pragma once

#include <cstdint>
#include <string>

namespace hogar {

struct member_outcome {
  std::string member;
  std::uint64_t labelled = 0;
  std::uint64_t correct = 0;
  /// The accuracy the selection policy uses now: the declared prior, moved by the labels.
  double accuracy = 0;
};

} // namespace hogar
