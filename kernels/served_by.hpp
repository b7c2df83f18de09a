// served_by.hpp: a request's trace. Which model version served it at each model operator, so
// that an A/B split or a hot swap can be followed request by request (`parameters.served_by`
// in KServe answers), and which conditional branches it took: each operator behind a `when`
// that ran for it (`parameters.branches`).
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
  /// Not a model entry: `op` is an operator behind a `when` whose gate let the request in
  /// (model and version empty).
  bool branch = false;

  friend bool operator==(const served_by&, const served_by&) = default;
};

/// "detector:2" (the model and its version; the model alone for a model given by path).
inline std::string label(const served_by& s) {
  return s.version > 0 ? s.model + ":" + std::to_string(s.version) : s.model;
}

/// The entry of a branch taken at `op`.
inline served_by branch_taken(std::string op) {
  return served_by{std::move(op), {}, 0, true};
}

/// Adds the entries of `more` that `into` lacks (an operator is listed once as a model and
/// once as a branch).
inline void merge_served_by(std::vector<served_by>& into, const std::vector<served_by>& more) {
  for (auto& entry : more) {
    bool known = false;
    for (auto& have : into)
      known = known || (have.op == entry.op && have.branch == entry.branch);
    if (!known)
      into.push_back(entry);
  }
}

} // namespace hogar
