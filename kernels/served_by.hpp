// served_by.hpp: which model version served a request at a model operator. Answers carry one
// entry per model operator the request went through, so that an A/B split or a hot swap can
// be followed request by request (`parameters.served_by` in KServe answers).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hogar {

struct served_by {
  /// The model operator.
  std::string op;
  /// The repository model's name, or the ONNX file's.
  std::string model;
  /// The repository version; 0 for a model given by path.
  std::int64_t version = 0;

  friend bool operator==(const served_by&, const served_by&) = default;
};

/// "detector:2" (the model and its version; the model alone for a model given by path).
inline std::string label(const served_by& s) {
  return s.version > 0 ? s.model + ":" + std::to_string(s.version) : s.model;
}

/// Adds the entries of `more` that `into` lacks (an operator is listed once).
inline void merge_served_by(std::vector<served_by>& into, const std::vector<served_by>& more) {
  for (auto& entry : more) {
    bool known = false;
    for (auto& have : into)
      known = known || have.op == entry.op;
    if (!known)
      into.push_back(entry);
  }
}

} // namespace hogar
