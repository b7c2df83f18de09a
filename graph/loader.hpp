// loader.hpp: reading a graph file into a validated graph_spec, collecting every error.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "graph/diagnostic.hpp"
#include "graph/spec.hpp"

namespace hogar::graph {

/// Graph files larger than this are refused before parsing (a graph is a few kilobytes).
inline constexpr std::size_t max_graph_file_bytes = 4 * 1024 * 1024;

struct load_result {
  /// Set only when there are no errors.
  std::shared_ptr<graph_spec> spec;
  std::vector<diagnostic> errors;

  bool ok() const noexcept { return spec != nullptr; }
};

/// Parses YAML text into a spec without semantic checks; syntax and type errors are reported
/// for every field, not only the first. `file` labels positions in diagnostics.
load_result parse_graph_text(std::string_view text, const std::string& file);

/// Semantic checks (kinds, parameters, references, cycles, conditions, names); fills in the
/// default of every parameter the file left out. Returns every problem found.
std::vector<diagnostic> validate(graph_spec& spec);

/// parse_graph_text + validate.
load_result load_graph_text(std::string_view text, const std::string& file = "<string>");

/// Reads, parses and validates a file; a missing, unreadable or oversized file is a
/// diagnostic at the file's position like any other.
load_result load_graph_file(const std::string& path);

} // namespace hogar::graph
