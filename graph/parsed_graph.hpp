// parsed_graph.hpp: what the reader hands the validator inside graph/ (not a public header).
// The reader reports a field it could not read and leaves the spec's default in its place; the
// validator must not then report the same field again as, say, "takes 1 input, got 0", so the
// reader names the fields it gave up on.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "graph/diagnostic.hpp"
#include "graph/spec.hpp"

namespace hogar::graph {

/// Fields of a spec that the reader could not read (already reported).
class unreadable_fields {
public:
  /// `section` is "graph", "input", "operator" or "output"; `index` is the item's position in
  /// its list (0 for "graph"); `field` a field name, or "params.NAME" for one parameter.
  void add(std::string_view section, std::size_t index, std::string_view field);
  bool contains(std::string_view section, std::size_t index, std::string_view field) const;

private:
  static std::string key(std::string_view section, std::size_t index, std::string_view field);
  std::set<std::string> keys_;
};

struct parsed_graph {
  graph_spec spec;
  std::vector<diagnostic> errors;
  unreadable_fields unreadable;
};

/// The reader behind parse_graph_text: never throws, always returns what it could read.
parsed_graph read_graph(std::string_view text, const std::string& file);

/// validate(), told which fields the reader already reported.
std::vector<diagnostic> validate_parsed(graph_spec& spec, const unreadable_fields& unreadable);

} // namespace hogar::graph
