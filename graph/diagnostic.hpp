// diagnostic.hpp: one problem found in a graph file, with its position and a hint.
#pragma once

#include <string>
#include <vector>

#include "graph/spec.hpp"

namespace hogar::graph {

struct diagnostic {
  source_position where;
  /// What is wrong, naming the field or operator: "operator 'ocr': unknown kind 'ocrr'".
  std::string message;
  /// How to fix it, or empty: "did you mean 'ocr'?", "known kinds: identity, simulate, ...".
  std::string hint;
};

/// "graph.yaml:12:5: error: <message>\n  hint: <hint>" (no hint line when the hint is empty).
std::string to_string(const diagnostic& d);

/// Every diagnostic, one after the other, newline-terminated.
std::string to_string(const std::vector<diagnostic>& ds);

/// The closest candidate by edit distance, if it is close enough to be a likely typo.
std::string closest_match(std::string_view word, const std::vector<std::string>& candidates);

} // namespace hogar::graph
