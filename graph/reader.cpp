// reader.cpp: YAML text -> graph_spec. Reads every field it can, reports every one it cannot
// (with its line, column and a hint) and carries on, so one run of `hogar graph check` lists all
// the problems of a file. Semantic checks (kinds, references, ranges) are validate.cpp's.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <exception>
#include <sstream>
#include <string_view>

#include <fmt/format.h>
#include <yaml-cpp/anchor.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/parser.h>
#include <yaml-cpp/yaml.h>

#include "graph/kinds.hpp"
#include "graph/loader.hpp"
#include "graph/parsed_graph.hpp"

namespace hogar::graph {

void unreadable_fields::add(std::string_view section, std::size_t index, std::string_view field) {
  keys_.insert(key(section, index, field));
}

bool unreadable_fields::contains(std::string_view section, std::size_t index,
                                 std::string_view field) const {
  return keys_.count(key(section, index, field)) > 0;
}

std::string unreadable_fields::key(std::string_view section, std::size_t index,
                                   std::string_view field) {
  return fmt::format("{}#{}.{}", section, index, field);
}

namespace {

/// Deeper than this, a graph file is not a graph file. yaml-cpp's parser recurses once per
/// level (its own guard stops at 2000 levels, deep enough to exhaust a sanitizer's stack), so
/// a first pass over the events refuses deep nesting before the real parse recurses at all.
constexpr int max_nesting_depth = 64;

/// Thrown out of the event handler to stop the first pass at the first level too deep.
struct nesting_too_deep {
  YAML::Mark mark;
};

/// Thrown out of the event handler when a document starts where the previous one started:
/// yaml-cpp 0.7 does not consume some stray tokens (a ',' outside brackets) and hands out an
/// empty document at the same place forever, so counting documents would never end.
struct parser_stuck {
  YAML::Mark mark;
};

/// The first pass: counts documents and nesting depth without building nodes.
class structure_check final : public YAML::EventHandler {
public:
  int documents = 0;

  void OnDocumentStart(const YAML::Mark& mark) override {
    // Every real document starts further into the text than the one before, which bounds
    // the count by the text's length.
    if (documents > 0 && mark.pos <= last_document_pos_)
      throw parser_stuck{mark};
    last_document_pos_ = mark.pos;
    ++documents;
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    enter(mark);
  }
  void OnSequenceEnd() override { --depth_; }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    enter(mark);
  }
  void OnMapEnd() override { --depth_; }

private:
  void enter(const YAML::Mark& mark) {
    if (++depth_ > max_nesting_depth)
      throw nesting_too_deep{mark};
  }

  int depth_ = 0;
  int last_document_pos_ = 0;
};

const std::vector<std::string> top_fields = {"graph", "description", "inputs", "operators",
                                             "outputs"};
const std::vector<std::string> input_fields = {"name", "dtype", "shape"};
const std::vector<std::string> operator_fields = {
  "name", "kind", "params", "inputs", "when", "replicas", "placement", "batching", "tuning",
  "stateful", "slo_ms", "image"};
const std::vector<std::string> placement_fields = {"labels", "gpus"};
const std::vector<std::string> image_fields = {"name", "version"};
const std::vector<std::string> batching_fields = {"policy", "max_batch_size",
                                                  "max_queue_delay_us"};
const std::vector<std::string> tuning_fields = {
  "policy",          "batch_size",  "queue_delay_us", "instances",     "intra_op_threads",
  "window_requests", "window_ms",   "slo_weight",     "cpu_weight_ms", "points",
  "seed"};
const std::vector<std::string> output_fields = {"name", "from"};

std::string join(const std::vector<std::string>& words) {
  return fmt::format("{}", fmt::join(words, ", "));
}

std::vector<std::string> kind_names() {
  std::vector<std::string> names;
  for (auto& kind : all_kinds())
    names.emplace_back(kind.name);
  return names;
}

std::vector<std::string> dtype_names() {
  std::vector<std::string> names;
  for (auto t : all_dtypes)
    names.emplace_back(to_string(t));
  return names;
}

/// "did you mean 'x'?" when `word` looks like a typo of one of `known`, else the list.
std::string suggest(std::string_view word, const std::vector<std::string>& known,
                    std::string_view what) {
  if (auto close = closest_match(word, known); !close.empty())
    return fmt::format("did you mean '{}'?", close);
  return fmt::format("known {}: {}", what, join(known));
}

// How a plain YAML scalar reads. YAML itself leaves plain scalars untyped; the graph language
// types them the way YAML 1.2's core schema does, and a quoted scalar is always a string.
enum class scalar_type { string, integer, number, boolean };

struct typed_scalar {
  scalar_type type = scalar_type::string;
  std::int64_t integer = 0;
  double number = 0;
  bool boolean = false;
};

std::optional<std::int64_t> parse_integer(std::string_view text) {
  if (!text.empty() && text.front() == '+')
    text.remove_prefix(1);
  if (text.empty())
    return std::nullopt;
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size())
    return std::nullopt;
  return value;
}

std::optional<double> parse_number(std::string_view text) {
  // Only decimal notation: from_chars would also take "inf" and "nan", which YAML spells
  // differently and which no parameter of the graph language wants.
  bool has_digit = false;
  for (char c : text) {
    if (c >= '0' && c <= '9')
      has_digit = true;
    else if (c != '.' && c != 'e' && c != 'E' && c != '+' && c != '-')
      return std::nullopt;
  }
  if (!has_digit)
    return std::nullopt;
  if (text.front() == '+')
    text.remove_prefix(1);
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || !std::isfinite(value))
    return std::nullopt;
  return value;
}

typed_scalar classify(const YAML::Node& node) {
  typed_scalar result;
  auto& tag = node.Tag();
  if (tag == "!" || tag == "tag:yaml.org,2002:str")
    return result;
  auto& text = node.Scalar();
  if (auto v = parse_integer(text)) {
    result.type = scalar_type::integer;
    result.integer = *v;
  } else if (auto d = parse_number(text)) {
    result.type = scalar_type::number;
    result.number = *d;
  } else if (text == "true" || text == "True" || text == "TRUE") {
    result.type = scalar_type::boolean;
    result.boolean = true;
  } else if (text == "false" || text == "False" || text == "FALSE") {
    result.type = scalar_type::boolean;
  }
  return result;
}

/// What a node holds, for "got ..." in messages: `string "two"`, `integer 3`, `a list`.
std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Map: return "a map";
    case YAML::NodeType::Scalar: {
      switch (classify(node).type) {
        case scalar_type::integer: return fmt::format("integer {}", node.Scalar());
        case scalar_type::number: return fmt::format("number {}", node.Scalar());
        case scalar_type::boolean: return fmt::format("bool {}", node.Scalar());
        case scalar_type::string: return fmt::format("string \"{}\"", node.Scalar());
      }
      break;
    }
    default: break;
  }
  return "nothing";
}

class reader {
public:
  reader(const std::string& file, parsed_graph& out) : file_(file), out_(out) {}

  void read(const YAML::Node& root) {
    auto& spec = out_.spec;
    spec.where = {file_, 1, 1};
    if (root.IsNull() || !root.IsDefined()) {
      error(spec.where, "graph file is empty",
            "a graph file names the graph (`graph: NAME`) and lists its inputs, operators and "
            "outputs");
      mark_all_unreadable();
      return;
    }
    spec.where = pos(root, spec.where);
    if (!root.IsMap()) {
      error(spec.where,
            fmt::format("a graph file must be a map of fields, got {}", describe(root)),
            "start with `graph: NAME`, then `inputs:`, `operators:` and `outputs:`");
      mark_all_unreadable();
      return;
    }
    bool has_name = false;
    for_each_field(root, "", top_fields, "fields", [&](const std::string& key,
                                                      const YAML::Node& value) {
      if (key == "graph") {
        has_name = true;
        if (auto name = read_string(value, "", key))
          spec.name = *name;
        else
          out_.unreadable.add("graph", 0, "graph");
      } else if (key == "description") {
        if (auto text = read_string(value, "", key))
          spec.description = *text;
      } else if (key == "inputs") {
        read_list(value, "", key, [&](const YAML::Node& item, std::size_t i) {
          read_input(item, i);
        });
      } else if (key == "operators") {
        read_list(value, "", key, [&](const YAML::Node& item, std::size_t i) {
          read_operator(item, i);
        });
      } else if (key == "outputs") {
        read_list(value, "", key, [&](const YAML::Node& item, std::size_t i) {
          read_output(item, i);
        });
      }
    });
    if (!has_name) {
      error(spec.where, "missing required field 'graph'",
            "name the graph on the first line: `graph: my-graph`");
      out_.unreadable.add("graph", 0, "graph");
    }
  }

private:
  // --- positions and errors ---

  source_position pos(const YAML::Node& node, const source_position& fallback) const {
    auto mark = node.Mark();
    if (mark.is_null() || mark.line < 0)
      return fallback;
    return {file_, mark.line + 1, mark.column + 1};
  }

  void error(source_position where, std::string message, std::string hint = {}) {
    out_.errors.push_back({std::move(where), std::move(message), std::move(hint)});
  }

  /// "operator 'x': " style prefix; empty for top-level fields.
  static std::string prefixed(std::string_view context, std::string_view text) {
    if (context.empty())
      return std::string{text};
    return fmt::format("{}: {}", context, text);
  }

  void mark_all_unreadable() {
    out_.unreadable.add("graph", 0, "graph");
    out_.unreadable.add("graph", 0, "inputs");
    out_.unreadable.add("graph", 0, "operators");
    out_.unreadable.add("graph", 0, "outputs");
  }

  // --- structure ---

  /// Calls `f(key, value)` for each field of `map`; reports unknown and repeated fields.
  template <class F>
  void for_each_field(const YAML::Node& map, std::string_view context,
                      const std::vector<std::string>& known, std::string_view known_what,
                      F&& f) {
    std::vector<std::string> seen;
    // Entries by value: an iterator's `->first` lives in a temporary proxy, so a reference
    // to it would dangle.
    for (const auto& entry : map) {
      const YAML::Node& key_node = entry.first;
      auto where = pos(key_node, pos(map, out_.spec.where));
      if (!key_node.IsScalar()) {
        error(where, prefixed(context, fmt::format("a field name must be a word, got {}",
                                                   describe(key_node))),
              fmt::format("known {}: {}", known_what, join(known)));
        continue;
      }
      auto& key = key_node.Scalar();
      if (std::find(known.begin(), known.end(), key) == known.end()) {
        error(where, prefixed(context, fmt::format("unknown field '{}'", key)),
              suggest(key, known, known_what));
        continue;
      }
      if (std::find(seen.begin(), seen.end(), key) != seen.end()) {
        error(where, prefixed(context, fmt::format("field '{}' appears twice", key)),
              "keep one of them");
        continue;
      }
      seen.push_back(key);
      f(key, entry.second);
    }
  }

  /// Calls `f(item, index)` for each item of the list `node` (a YAML sequence).
  template <class F>
  void read_list(const YAML::Node& node, std::string_view context, const std::string& field,
                 F&& f) {
    if (node.IsNull())
      return;  // `operators:` with nothing under it: an empty list, which validate reports
    if (!node.IsSequence()) {
      type_error(node, context, field, "a list");
      out_.unreadable.add("graph", 0, field);
      return;
    }
    std::size_t index = 0;
    for (const auto& item : node)
      f(item, index++);
  }

  void type_error(const YAML::Node& node, std::string_view context, std::string_view field,
                  std::string_view wanted, std::string hint = {}) {
    error(pos(node, out_.spec.where),
          prefixed(context, fmt::format("field '{}' must be {}, got {}", field, wanted,
                                        describe(node))),
          std::move(hint));
  }

  // --- scalars ---

  std::optional<std::string> read_string(const YAML::Node& node, std::string_view context,
                                         std::string_view field) {
    if (node.IsScalar() && classify(node).type == scalar_type::string)
      return node.Scalar();
    type_error(node, context, field, "a string",
               node.IsScalar() ? fmt::format("quote it: {}: \"{}\"", field, node.Scalar())
                               : std::string{});
    return std::nullopt;
  }

  std::optional<std::int64_t> read_integer(const YAML::Node& node, std::string_view context,
                                           std::string_view field) {
    if (node.IsScalar()) {
      auto scalar = classify(node);
      if (scalar.type == scalar_type::integer)
        return scalar.integer;
    }
    type_error(node, context, field, "an integer");
    return std::nullopt;
  }

  std::optional<double> read_number(const YAML::Node& node, std::string_view context,
                                    std::string_view field) {
    if (node.IsScalar()) {
      auto scalar = classify(node);
      if (scalar.type == scalar_type::integer)
        return static_cast<double>(scalar.integer);
      if (scalar.type == scalar_type::number)
        return scalar.number;
    }
    type_error(node, context, field, "a number");
    return std::nullopt;
  }

  std::optional<bool> read_bool(const YAML::Node& node, std::string_view context,
                                std::string_view field) {
    if (node.IsScalar()) {
      auto scalar = classify(node);
      if (scalar.type == scalar_type::boolean)
        return scalar.boolean;
    }
    type_error(node, context, field, "true or false");
    return std::nullopt;
  }

  /// A list of strings; a single string is taken as a list of one when `single_ok`.
  std::optional<std::vector<std::pair<std::string, source_position>>>
  read_strings(const YAML::Node& node, std::string_view context, std::string_view field,
               bool single_ok) {
    using items = std::vector<std::pair<std::string, source_position>>;
    auto where = pos(node, out_.spec.where);
    if (single_ok && node.IsScalar() && classify(node).type == scalar_type::string)
      return items{{node.Scalar(), where}};
    if (node.IsNull())
      return items{};
    if (!node.IsSequence()) {
      type_error(node, context, field, single_ok ? "a name or a list of names" : "a list of strings");
      return std::nullopt;
    }
    items result;
    bool ok = true;
    for (const auto& item : node) {
      if (item.IsScalar() && classify(item).type == scalar_type::string) {
        result.emplace_back(item.Scalar(), pos(item, where));
      } else {
        error(pos(item, where),
              prefixed(context, fmt::format("every item of '{}' must be a string, got {}",
                                            field, describe(item))),
              item.IsScalar() ? fmt::format("quote it: \"{}\"", item.Scalar()) : std::string{});
        ok = false;
      }
    }
    if (!ok)
      return std::nullopt;
    return result;
  }

  // --- sections ---

  void read_input(const YAML::Node& node, std::size_t index) {
    auto& input = out_.spec.inputs.emplace_back();
    input.where = pos(node, out_.spec.where);
    auto context = fmt::format("input #{}", index + 1);
    if (!node.IsMap()) {
      error(input.where, fmt::format("{} must be a map with name, dtype and shape, got {}",
                                     context, describe(node)),
            "write `- {name: image, dtype: uint8, shape: [-1, -1, 3]}`");
      for (auto* field : {"name", "dtype", "shape"})
        out_.unreadable.add("input", index, field);
      return;
    }
    if (auto name = name_of(node))
      context = fmt::format("input '{}'", *name);
    bool has_name = false, has_dtype = false, has_shape = false;
    for_each_field(node, context, input_fields, "input fields", [&](const std::string& key,
                                                                    const YAML::Node& value) {
      if (key == "name") {
        has_name = true;
        if (auto name = read_string(value, context, key))
          input.name = *name;
        else
          out_.unreadable.add("input", index, key);
      } else if (key == "dtype") {
        has_dtype = true;
        auto name = read_string(value, context, key);
        if (!name)
          return;
        if (auto type = dtype_from_string(*name))
          input.type = *type;
        else
          error(pos(value, input.where), fmt::format("{}: unknown dtype '{}'", context, *name),
                suggest(*name, dtype_names(), "dtypes"));
      } else if (key == "shape") {
        has_shape = true;
        read_shape(value, context, input, index);
      }
    });
    missing_field(has_name, input.where, context, "name", "input", index,
                  "every input needs a name: `name: image`");
    missing_field(has_dtype, input.where, context, "dtype", "input", index,
                  "known dtypes: " + join(dtype_names()));
    missing_field(has_shape, input.where, context, "shape", "input", index,
                  "list the extents, -1 for any size: `shape: [-1, 224, 224, 3]`");
  }

  void read_shape(const YAML::Node& node, std::string_view context, input_spec& input,
                  std::size_t index) {
    if (!node.IsSequence()) {
      type_error(node, context, "shape", "a list of integers",
                 "list the extents, -1 for any size: `shape: [-1, 224, 224, 3]`");
      out_.unreadable.add("input", index, "shape");
      return;
    }
    for (const auto& item : node) {
      if (item.IsScalar() && classify(item).type == scalar_type::integer) {
        input.shape.push_back(classify(item).integer);
      } else {
        error(pos(item, input.where),
              fmt::format("{}: every extent of 'shape' must be an integer, got {}", context,
                          describe(item)),
              "use -1 for a dimension of any size");
        out_.unreadable.add("input", index, "shape");
      }
    }
  }

  void missing_field(bool present, const source_position& where, std::string_view context,
                     std::string_view field, std::string_view section, std::size_t index,
                     std::string hint) {
    if (present)
      return;
    error(where, fmt::format("{}: missing required field '{}'", context, field),
          std::move(hint));
    out_.unreadable.add(section, index, field);
  }

  /// The `name:` of an item when it is a plain string, to name the item in messages.
  static std::optional<std::string> name_of(const YAML::Node& map) {
    for (const auto& entry : map)
      if (entry.first.IsScalar() && entry.first.Scalar() == "name" && entry.second.IsScalar() &&
          classify(entry.second).type == scalar_type::string)
        return entry.second.Scalar();
    return std::nullopt;
  }

  void read_operator(const YAML::Node& node, std::size_t index) {
    auto& op = out_.spec.operators.emplace_back();
    op.where = pos(node, out_.spec.where);
    auto context = fmt::format("operator #{}", index + 1);
    if (!node.IsMap()) {
      error(op.where,
            fmt::format("{} must be a map of fields, got {}", context, describe(node)),
            "write `- name: detector` and, indented under it, `kind: ...`, `inputs: [...]`");
      for (auto* field : {"name", "kind", "inputs"})
        out_.unreadable.add("operator", index, field);
      return;
    }
    if (auto name = name_of(node))
      context = fmt::format("operator '{}'", *name);
    bool has_name = false, has_kind = false;
    for_each_field(node, context, operator_fields, "operator fields",
                   [&](const std::string& key, const YAML::Node& value) {
      if (key == "name") {
        has_name = true;
        if (auto name = read_string(value, context, key))
          op.name = *name;
        else
          out_.unreadable.add("operator", index, key);
      } else if (key == "kind") {
        has_kind = true;
        if (auto kind = read_string(value, context, key))
          op.kind = *kind;
        else
          out_.unreadable.add("operator", index, key);
      } else if (key == "params") {
        read_params(value, context, op, index);
      } else if (key == "inputs") {
        if (auto names = read_strings(value, context, key, true)) {
          for (auto& [name, where] : *names)
            op.inputs.push_back({name, where});
        } else {
          out_.unreadable.add("operator", index, key);
        }
      } else if (key == "when") {
        read_when(value, context, op, index);
      } else if (key == "replicas") {
        if (auto n = read_integer(value, context, key))
          op.replicas = *n;
        else
          out_.unreadable.add("operator", index, key);
      } else if (key == "placement") {
        read_placement(value, context, op, index);
      } else if (key == "batching") {
        read_batching(value, context, op, index);
      } else if (key == "tuning") {
        read_tuning(value, context, op, index);
      } else if (key == "stateful") {
        if (auto b = read_bool(value, context, key))
          op.stateful = *b;
      } else if (key == "slo_ms") {
        if (auto ms = read_number(value, context, key))
          op.slo_ms = *ms;
        else
          out_.unreadable.add("operator", index, key);
      } else if (key == "image") {
        read_image(value, context, op);
      }
    });
    missing_field(has_name, op.where, context, "name", "operator", index,
                  "every operator needs a name: `- name: detector`");
    missing_field(has_kind, op.where, context, "kind", "operator", index,
                  "known kinds: " + join(kind_names()));
  }

  void read_when(const YAML::Node& node, std::string_view context, operator_spec& op,
                 std::size_t index) {
    auto text = read_string(node, context, "when");
    if (!text) {
      out_.unreadable.add("operator", index, "when");
      return;
    }
    condition_ref when;
    when.where = pos(node, op.where);
    std::string_view name = *text;
    if (name.starts_with('!')) {
      when.negated = true;
      name.remove_prefix(1);
    } else if (name.starts_with("not ")) {
      when.negated = true;
      name.remove_prefix(4);
    }
    while (!name.empty() && name.front() == ' ')
      name.remove_prefix(1);
    while (!name.empty() && name.back() == ' ')
      name.remove_suffix(1);
    if (name.empty()) {
      error(when.where, fmt::format("{}: field 'when' names no operator", context),
            "write `when: check` or `when: \"!check\"`");
      out_.unreadable.add("operator", index, "when");
      return;
    }
    when.name = std::string{name};
    op.when = std::move(when);
  }

  void read_params(const YAML::Node& node, std::string_view context, operator_spec& op,
                   std::size_t index) {
    if (node.IsNull())
      return;
    if (!node.IsMap()) {
      type_error(node, context, "params", "a map of parameter names to values",
                 "write each parameter on its own line under `params:`, e.g. `cost_ms: 5`");
      out_.unreadable.add("operator", index, "params");
      return;
    }
    for (const auto& entry : node) {
      const YAML::Node& key = entry.first;
      auto where = pos(key, pos(node, op.where));
      if (!key.IsScalar()) {
        error(where, fmt::format("{}: a parameter name must be a word, got {}", context,
                                 describe(key)));
        continue;
      }
      auto& name = key.Scalar();
      if (op.find_param(name) != nullptr) {
        error(where, fmt::format("{}: parameter '{}' appears twice", context, name),
              "keep one of them");
        continue;
      }
      if (auto value = read_param_value(entry.second, context, name, where))
        op.params.push_back({name, std::move(*value), where});
      else
        out_.unreadable.add("operator", index, "params." + name);
    }
  }

  /// The value as written; validate.cpp converts it to the type the kind's schema asks for.
  std::optional<param_value> read_param_value(const YAML::Node& node, std::string_view context,
                                              const std::string& name,
                                              const source_position& key_where) {
    // An empty value has no text of its own: yaml-cpp marks it at the next token.
    auto where = node.IsNull() ? key_where : pos(node, key_where);
    if (node.IsScalar()) {
      auto scalar = classify(node);
      switch (scalar.type) {
        case scalar_type::integer: return param_value{scalar.integer};
        case scalar_type::number: return param_value{scalar.number};
        case scalar_type::boolean: return param_value{scalar.boolean};
        case scalar_type::string: return param_value{node.Scalar()};
      }
    }
    if (node.IsSequence()) {
      std::vector<typed_scalar> items;
      std::vector<std::string> texts;
      for (const auto& item : node) {
        if (!item.IsScalar()) {
          error(pos(item, where),
                fmt::format("{}: every item of parameter '{}' must be a single value, got {}",
                            context, name, describe(item)),
                "parameters are values or flat lists of values");
          return std::nullopt;
        }
        items.push_back(classify(item));
        texts.push_back(item.Scalar());
      }
      auto all = [&](auto pred) { return std::all_of(items.begin(), items.end(), pred); };
      // An empty list is typed by the schema in validate: any list type accepts it.
      if (items.empty())
        return param_value{std::vector<std::string>{}};
      if (all([](auto& s) { return s.type == scalar_type::integer; })) {
        std::vector<std::int64_t> values;
        for (auto& s : items)
          values.push_back(s.integer);
        return param_value{std::move(values)};
      }
      if (all([](auto& s) {
            return s.type == scalar_type::integer || s.type == scalar_type::number;
          })) {
        std::vector<double> values;
        for (auto& s : items)
          values.push_back(s.type == scalar_type::integer ? static_cast<double>(s.integer)
                                                          : s.number);
        return param_value{std::move(values)};
      }
      return param_value{std::move(texts)};
    }
    error(where,
          fmt::format("{}: parameter '{}' must be a value or a list of values, got {}", context,
                      name, describe(node)),
          node.IsNull() ? fmt::format("give it a value or leave it out: `{}: ...`", name)
                        : std::string{"parameters are values or flat lists of values"});
    return std::nullopt;
  }

  void read_placement(const YAML::Node& node, std::string_view context, operator_spec& op,
                      std::size_t index) {
    if (!node.IsMap()) {
      type_error(node, context, "placement", "a map with labels and gpus",
                 "write `placement: {labels: [gpu-node], gpus: 1}`");
      return;
    }
    auto inner = fmt::format("{}: placement", context);
    for_each_field(node, inner, placement_fields, "placement fields",
                   [&](const std::string& key, const YAML::Node& value) {
      if (key == "labels") {
        if (auto labels = read_strings(value, inner, key, true))
          for (auto& [label, where] : *labels)
            op.placement.labels.push_back(label);
      } else if (key == "gpus") {
        if (auto n = read_integer(value, inner, key))
          op.placement.gpus = *n;
        else
          out_.unreadable.add("operator", index, "placement.gpus");
      }
    });
  }

  /// `image: {name: hams/yolov3:3.0, version: "3"}`; either field may be left out.
  void read_image(const YAML::Node& node, std::string_view context, operator_spec& op) {
    if (!node.IsMap()) {
      type_error(node, context, "image", "a map with name and version",
                 "write `image: {name: hams/yolov3:3.0, version: \"3\"}`");
      return;
    }
    auto inner = fmt::format("{}: image", context);
    image_spec image;
    image.where = pos(node, op.where);
    for_each_field(node, inner, image_fields, "image fields",
                   [&](const std::string& key, const YAML::Node& value) {
      if (auto text = read_string(value, inner, key))
        (key == "name" ? image.name : image.version) = *text;
    });
    op.image = std::move(image);
  }

  void read_batching(const YAML::Node& node, std::string_view context, operator_spec& op,
                     std::size_t index) {
    if (!node.IsMap()) {
      type_error(node, context, "batching", "a map with policy, max_batch_size and "
                                            "max_queue_delay_us",
                 "write `batching: {policy: static, max_batch_size: 8, max_queue_delay_us: "
                 "2000}`");
      return;
    }
    auto& batching = op.batching.emplace();
    batching.where = pos(node, op.where);
    auto inner = fmt::format("{}: batching", context);
    for_each_field(node, inner, batching_fields, "batching fields",
                   [&](const std::string& key, const YAML::Node& value) {
      if (key == "policy") {
        if (auto policy = read_string(value, inner, key))
          batching.policy = *policy;
        else
          out_.unreadable.add("operator", index, "batching.policy");
      } else if (key == "max_batch_size") {
        if (auto n = read_integer(value, inner, key))
          batching.max_batch_size = *n;
        else
          out_.unreadable.add("operator", index, "batching.max_batch_size");
      } else if (key == "max_queue_delay_us") {
        if (auto n = read_integer(value, inner, key))
          batching.max_queue_delay_us = *n;
        else
          out_.unreadable.add("operator", index, "batching.max_queue_delay_us");
      }
    });
  }

  void read_tuning(const YAML::Node& node, std::string_view context, operator_spec& op,
                   std::size_t index) {
    if (!node.IsMap()) {
      type_error(node, context, "tuning", "a map of knob bounds and tuner settings",
                 "write `tuning: {policy: rrl, batch_size: [1, 64], queue_delay_us: [0, 20000]}`");
      out_.unreadable.add("operator", index, "tuning");
      return;
    }
    auto& tuning = op.tuning.emplace();
    tuning.where = pos(node, op.where);
    auto inner = fmt::format("{}: tuning", context);
    for_each_field(node, inner, tuning_fields, "tuning fields",
                   [&](const std::string& key, const YAML::Node& value) {
      auto unreadable = [&] { out_.unreadable.add("operator", index, "tuning." + key); };
      if (key == "policy") {
        if (auto policy = read_string(value, inner, key))
          tuning.policy = *policy;
        else
          unreadable();
      } else if (key == "window_requests" || key == "window_ms" || key == "points" ||
                 key == "seed") {
        auto n = read_integer(value, inner, key);
        if (!n)
          return unreadable();
        (key == "window_requests" ? tuning.window_requests
         : key == "window_ms"     ? tuning.window_ms
         : key == "points"        ? tuning.points
                                  : tuning.seed) = *n;
      } else if (key == "slo_weight" || key == "cpu_weight_ms") {
        auto x = read_number(value, inner, key);
        if (!x)
          return unreadable();
        (key == "slo_weight" ? tuning.slo_weight : tuning.cpu_weight_ms) = *x;
      } else if (auto bounds = read_bounds(value, inner, key)) {
        tuning_knob knob{key, bounds->first, bounds->second, pos(value, tuning.where)};
        // Grid order, whatever the file's order.
        auto rank = [](const std::string& name) {
          return std::find(tuning_knob_names.begin(), tuning_knob_names.end(), name) -
                 tuning_knob_names.begin();
        };
        auto at = std::find_if(tuning.knobs.begin(), tuning.knobs.end(),
                               [&](auto& k) { return rank(k.name) > rank(key); });
        tuning.knobs.insert(at, std::move(knob));
      } else {
        unreadable();
      }
    });
  }

  /// `[lo, hi]`: a list of two integers.
  std::optional<std::pair<std::int64_t, std::int64_t>>
  read_bounds(const YAML::Node& node, std::string_view context, std::string_view field) {
    auto hint = fmt::format("write `{}: [LOW, HIGH]`, both inclusive", field);
    if (!node.IsSequence() || node.size() != 2) {
      type_error(node, context, field, "a list of two integers [low, high]", hint);
      return std::nullopt;
    }
    auto lo = read_integer(node[0], context, field);
    auto hi = read_integer(node[1], context, field);
    if (!lo || !hi)
      return std::nullopt;
    return std::pair{*lo, *hi};
  }

  void read_output(const YAML::Node& node, std::size_t index) {
    auto& output = out_.spec.outputs.emplace_back();
    output.where = pos(node, out_.spec.where);
    auto context = fmt::format("output #{}", index + 1);
    if (!node.IsMap()) {
      error(output.where, fmt::format("{} must be a map with name and from, got {}", context,
                                      describe(node)),
            "write `- {name: boxes, from: detector.boxes}`");
      out_.unreadable.add("output", index, "name");
      out_.unreadable.add("output", index, "from");
      return;
    }
    if (auto name = name_of(node))
      context = fmt::format("output '{}'", *name);
    bool has_name = false, has_from = false;
    for_each_field(node, context, output_fields, "output fields",
                   [&](const std::string& key, const YAML::Node& value) {
      if (key == "name") {
        has_name = true;
        if (auto name = read_string(value, context, key))
          output.name = *name;
        else
          out_.unreadable.add("output", index, key);
        return;
      }
      has_from = true;
      auto from = read_string(value, context, key);
      if (!from) {
        out_.unreadable.add("output", index, key);
        return;
      }
      output.from.where = pos(value, output.where);
      auto dot = from->find('.');
      output.from.name = from->substr(0, dot);
      if (dot != std::string::npos)
        output.tensor = from->substr(dot + 1);
      if (output.from.name.empty() || (dot != std::string::npos && output.tensor.empty())) {
        error(output.from.where,
              fmt::format("{}: field 'from' must be OPERATOR or OPERATOR.TENSOR, got \"{}\"",
                          context, *from),
              "write `from: detector` or `from: detector.boxes`");
        out_.unreadable.add("output", index, key);
      }
    });
    missing_field(has_name, output.where, context, "name", "output", index,
                  "every output needs a name: `- name: result`");
    missing_field(has_from, output.where, context, "from", "output", index,
                  "name the operator or input it comes from: `from: detector`");
  }

  const std::string& file_;
  parsed_graph& out_;
};

source_position mark_position(const std::string& file, const YAML::Mark& mark) {
  if (mark.is_null() || mark.line < 0)
    return {file, 1, 1};
  return {file, mark.line + 1, mark.column + 1};
}

} // namespace

parsed_graph read_graph(std::string_view text, const std::string& file) {
  parsed_graph out;
  out.spec.file = file;
  out.spec.where = {file, 1, 1};
  auto give_up = [&](source_position where, std::string message, std::string hint) {
    out.errors.push_back({std::move(where), std::move(message), std::move(hint)});
    for (auto* field : {"graph", "inputs", "operators", "outputs"})
      out.unreadable.add("graph", 0, field);
  };
  if (text.size() > max_graph_file_bytes) {
    give_up({file, 0, 0},
            fmt::format("graph text is {:.1f} MiB; graph files are limited to {} MiB",
                        static_cast<double>(text.size()) / (1024.0 * 1024.0),
                        max_graph_file_bytes / (1024 * 1024)),
            "a graph file describes operators, not data: keep weights and inputs elsewhere");
    return out;
  }
  const char* malformed_hint =
    "YAML nests by indentation with spaces (no tabs); quote values that contain ': ', '#' or "
    "start with a special character";
  try {
    std::string buffer{text};
    {
      std::istringstream stream{buffer};
      YAML::Parser parser{stream};
      structure_check check;
      while (parser.HandleNextDocument(check)) {
      }
      if (check.documents > 1) {
        give_up({file, 1, 1},
                fmt::format("graph file holds {} YAML documents; a graph file holds one",
                            check.documents),
                "remove the `---` separators or split the file");
        return out;
      }
    }
    auto root = YAML::Load(buffer);
    reader{file, out}.read(root);
  } catch (const nesting_too_deep& e) {
    give_up(mark_position(file, e.mark),
            fmt::format("graph file nests deeper than {} levels", max_nesting_depth),
            "a graph needs a handful of levels; look for runaway brackets");
  } catch (const parser_stuck& e) {
    auto at = static_cast<std::size_t>(e.mark.pos);
    auto what = at < text.size() && text[at] > ' ' && text[at] < 0x7f
                  ? fmt::format("malformed YAML: unexpected '{}'", text[at])
                  : std::string{"malformed YAML: the parser cannot read on from here"};
    give_up(mark_position(file, e.mark), std::move(what), malformed_hint);
  } catch (const YAML::Exception& e) {
    give_up(mark_position(file, e.mark), "malformed YAML: " + e.msg, malformed_hint);
  } catch (const std::exception& e) {
    give_up({file, 0, 0}, fmt::format("cannot read graph: {}", e.what()), "");
  } catch (...) {
    give_up({file, 0, 0}, "cannot read graph: unknown failure in the YAML parser", "");
  }
  return out;
}

load_result parse_graph_text(std::string_view text, const std::string& file) {
  auto parsed = read_graph(text, file);
  load_result result;
  result.errors = std::move(parsed.errors);
  if (result.errors.empty())
    result.spec = std::make_shared<graph_spec>(std::move(parsed.spec));
  return result;
}

} // namespace hogar::graph
