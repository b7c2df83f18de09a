// kinds.hpp: the built-in operator kinds of the graph language and the parameters each one
// takes. The validator checks graph files against this table; `hogar graph kinds` and the
// README's reference print it. The operations themselves live in kernels/.
#pragma once

#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "graph/spec.hpp"

namespace hogar::graph {

enum class param_type {
  boolean,
  integer,
  number,
  string,
  /// A string from a fixed set (`param_schema::choices`).
  choice,
  number_list,
  integer_list,
  string_list,
};

std::string_view to_string(param_type type) noexcept;

struct param_schema {
  std::string_view name;
  param_type type;
  /// nullopt: the parameter is required.
  std::optional<param_value> default_value;
  std::string_view help;
  /// Allowed values of a `choice` parameter.
  std::vector<std::string_view> choices = {};
  /// Inclusive bounds for numbers and integers (and for every element of a list).
  std::optional<double> min = std::nullopt;
  std::optional<double> max = std::nullopt;
};

struct kind_schema {
  std::string_view name;
  std::string_view summary;
  /// Data inputs (the `when` edge not counted); max_inputs < 0 means no upper bound.
  int min_inputs = 1;
  int max_inputs = 1;
  /// A condition operator emits a bool scalar tensor named "condition" and may be named by
  /// another operator's `when`.
  bool is_condition = false;
  std::vector<param_schema> params;
  /// Its replica keeps state across requests (a count, cached entries): it runs as one
  /// replica with a backup on another node (ARG primary-backup), as `stateful: true` asks of
  /// any operator.
  bool stateful = false;
};

/// The most members an ensemble with `selection: greedy` or `rafiki` may have: the selection
/// weighs every subset of them (scheduling::ensemble_members_max).
inline constexpr std::size_t selection_members_max = 8;

/// Every built-in kind, in the order the reference lists them.
std::span<const kind_schema> all_kinds() noexcept;

/// The kind called `name`, or nullptr.
const kind_schema* find_kind(std::string_view name) noexcept;

} // namespace hogar::graph
